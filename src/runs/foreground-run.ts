import type { Definitions } from "../definitions/definitions.js";
import { RunNotFoundError } from "../definitions/errors.js";
import { EventType, FINISHED_RUN_STATUSES, RunStatus, type NewRun, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { EventListener } from "../execution/run-event-writer.js";
import type { RunResult } from "../execution/execute-run.js";
import { executeRunRecord, recordRunFailure, type RunRecordOptions } from "./execute-run-record.js";
import type { RunDestination } from "./run-target.js";
import { currentRunProcess, localWorkerId } from "./run-process.js";

/**
 * Records a run (made by newRun) as QUEUED, like every run, then claims and executes it in this process and waits.
 * If a daemon's coordinator claims it first, follows that run's events until it ends instead. When
 * storage fails under the run, waits (up to 10 minutes, saying so) until the run's FAILURE can be
 * recorded and resolves with it; throws the storage error if it never can.
 */
export async function runInForeground(
  target: RunDestination,
  defs: Definitions,
  record: NewRun,
  options: RunRecordOptions & {
    onEvent?: EventListener;
    /** Where waiting for storage to take the run's end is reported (default: stderr). */
    log?: (line: string) => void;
  } = {},
): Promise<RunResult> {
  const { storage } = target;
  const run = await storage.createRun({ ...record, status: RunStatus.Queued });
  const listeners = [...(options.listeners ?? []), ...(options.onEvent ? [options.onEvent] : [])];
  // The run's process is this one: if it dies mid-run, the next command on this machine ends it.
  if (await storage.claimRun(run.runId, localWorkerId(), currentRunProcess())) {
    const claimed = (await storage.getRun(run.runId))!;
    try {
      return await executeRunRecord(target, defs, claimed, { ...options, listeners });
    } catch (err) {
      // Its events could not all be stored (a full disk, a database gone for longer than its
      // reconnect window): the run must still end, with that reason, once storage takes writes again.
      const log = options.log ?? ((line: string): void => void process.stderr.write(`${line}\n`));
      // Storage closed or broken for good: one try, then the error; a full disk or a lost server: wait.
      if (!(await recordRunFailure(storage, run.runId, err, { log, ...(mayRecover(err) ? {} : { giveUpMs: 0 }) }))) throw err;
      const ended = await storage.getRun(run.runId);
      if (!ended) throw err;
      return resultOfRecord(storage, ended);
    }
  }
  return followRun(storage, run.runId, listeners, options.signal);
}

/** Codes of a full disk: SQLite's, the system's (and quota), Postgres's `disk_full`. */
const DISK_FULL_CODES: readonly unknown[] = ["SQLITE_FULL", "ENOSPC", "EDQUOT", "53100"];

/** True for a storage error that goes away by itself or once someone acts: a full disk, a lost database server. */
function mayRecover(err: unknown): boolean {
  for (let cause = err, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause.name === "StorageUnavailableError" || DISK_FULL_CODES.includes((cause as { code?: unknown }).code)) return true;
  }
  return false;
}

/** Feeds a run's events to listeners until the run ends; resolves with its result. */
export async function followRun(storage: Storage, runId: string, listeners: EventListener[], signal?: AbortSignal, pollMs = 200): Promise<RunResult> {
  let afterId = 0;
  for (;;) {
    const events = await storage.getEvents(runId, { afterId });
    for (const event of events) {
      afterId = event.id;
      for (const listener of listeners) listener(event);
    }
    const run = await storage.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    if (FINISHED_RUN_STATUSES.includes(run.status) && events.length === 0) return resultOfRecord(storage, run);
    if (signal?.aborted && (run.status === RunStatus.Started || run.status === RunStatus.Starting)) {
      await storage.setRunStatus(runId, RunStatus.Canceling, { onlyFrom: [RunStatus.Started, RunStatus.Starting] });
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** A RunResult rebuilt from storage (for runs executed elsewhere). */
export async function resultOfRecord(storage: Storage, run: RunRecord): Promise<RunResult> {
  const steps = await storage.getStepStats(run.runId);
  const failures = (await storage.getEvents(run.runId, { types: [EventType.StepFailure] }))
    .filter((e) => e.stepKey !== null && e.data.error)
    .map((e) => ({ stepKey: e.stepKey!, error: e.data.error! }));
  const runFailure = (await storage.getEvents(run.runId, { types: [EventType.RunFailure] }))[0];
  const materializations = await storage.getEvents(run.runId, { types: [EventType.AssetMaterialization] });
  return {
    runId: run.runId,
    status: run.status,
    success: run.status === RunStatus.Success,
    succeeded: steps.filter((s) => s.status === "SUCCESS").map((s) => s.key),
    materialized: [...new Set(materializations.flatMap((e) => (e.assetKey !== null ? [e.assetKey] : [])))],
    failures,
    skipped: steps.filter((s) => s.status === "SKIPPED").map((s) => s.key),
    runError: runFailure?.data.error ?? null,
    outputOf: () => undefined,
  };
}
