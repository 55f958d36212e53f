import { RunNotFoundError } from "../definitions/errors.js";
import { EventType, FINISHED_RUN_STATUSES, LogLevel, RunStatus, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";

/** What a cancel request did. */
export const CancelOutcome = {
  /** The run was QUEUED: it is CANCELED now and will never start. */
  Canceled: "CANCELED",
  /** The run was starting or running: it is CANCELING, and its worker stops its steps. */
  Canceling: "CANCELING",
  /** The run had already finished; nothing changed. */
  AlreadyFinished: "ALREADY_FINISHED",
  /** The run was already CANCELING (or changed status meanwhile); nothing changed. */
  Unchanged: "UNCHANGED",
} as const;
/** One of the values of {@link CancelOutcome}. */
export type CancelOutcome = (typeof CancelOutcome)[keyof typeof CancelOutcome];

/** The outcome of {@link requestCancel} and the run as it is afterwards. */
export interface CancelResult {
  outcome: CancelOutcome;
  run: RunRecord;
}

/**
 * Asks a run to stop. A queued run never started: it is canceled outright (with a RUN_CANCELED
 * event). A starting or running one is moved to CANCELING: its worker aborts its steps, and run
 * monitoring kills the worker if it does not stop in time. Throws RunNotFoundError.
 */
export async function requestCancel(storage: Storage, runId: string): Promise<CancelResult> {
  const record = await storage.getRun(runId);
  if (!record) throw new RunNotFoundError(runId);
  if (FINISHED_RUN_STATUSES.includes(record.status)) return { outcome: CancelOutcome.AlreadyFinished, run: record };
  let outcome: CancelOutcome = CancelOutcome.Unchanged;
  if (await storage.setRunStatus(runId, RunStatus.Canceled, { onlyFrom: [RunStatus.Queued] })) {
    await storage.storeEvent({ runId, type: EventType.RunCanceled, level: LogLevel.Warn, message: "Run canceled before it started." });
    outcome = CancelOutcome.Canceled;
  } else if (await storage.setRunStatus(runId, RunStatus.Canceling, { onlyFrom: [RunStatus.Starting, RunStatus.Started] })) {
    outcome = CancelOutcome.Canceling;
  }
  const now = await storage.getRun(runId);
  return { outcome, run: now ?? record };
}
