import { hostname } from "node:os";
import type { Definitions } from "../definitions/definitions.js";
import { RunNotFoundError } from "../definitions/errors.js";
import { EventType, FINISHED_RUN_STATUSES, RunStatus, type NewRun, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { EventListener } from "./event-writer.js";
import type { RunResult } from "./execute-run.js";
import { executeRunRecord, type RunRecordOptions } from "./execute-run-record.js";
import type { RunTarget } from "./materialize-assets.js";

/** Identifies this process as the executor of runs it claims. */
export function localWorkerId(role = "cli"): string {
  return `${role}:${hostname()}:${process.pid}`;
}

/**
 * Records a run as QUEUED, like every run, then claims and executes it in this process and waits.
 * If a daemon's coordinator claims it first, follows that run's events until it ends instead.
 */
export async function runInForeground(
  target: RunTarget,
  defs: Definitions,
  newRun: Omit<NewRun, "status">,
  options: RunRecordOptions & { onEvent?: EventListener } = {},
): Promise<RunResult> {
  const { storage } = target;
  const run = await storage.createRun({ ...newRun, status: RunStatus.Queued });
  const listeners = [...(options.listeners ?? []), ...(options.onEvent ? [options.onEvent] : [])];
  if (await storage.claimRun(run.runId, localWorkerId())) {
    const claimed = (await storage.getRun(run.runId))!;
    return executeRunRecord(target, defs, claimed, { ...options, listeners });
  }
  return followRun(storage, run.runId, listeners, options.signal);
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
  return {
    runId: run.runId,
    status: run.status,
    success: run.status === RunStatus.Success,
    succeeded: steps.filter((s) => s.status === "SUCCESS").map((s) => s.key),
    failures,
    skipped: steps.filter((s) => s.status === "SKIPPED").map((s) => s.key),
    runError: runFailure?.data.error ?? null,
    valueOf: () => undefined,
  };
}
