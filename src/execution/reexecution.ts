import { randomUUID } from "node:crypto";
import { RunNotFoundError, UsageError } from "../definitions/errors.js";
import { FINISHED_RUN_STATUSES, type NewRun, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";

/** Tag on a re-execution: `from_failure` or `all`. */
export const REEXECUTION_TAG = "sluice/reexecution";
/** Tag on automatic run retries: the attempt number (2 for the first retry). */
export const RETRY_NUMBER_TAG = "sluice/retry_number";

/**
 * The run that re-executes `parentRunId`: all its steps, or with `fromFailure` only those that did
 * not succeed (failed, skipped, never started). Steps that succeeded are not run again: their
 * outputs are loaded through IO managers (an op's from the run that produced it). Throws
 * RunNotFoundError, or UsageError when the parent has not finished or nothing failed.
 */
export async function reexecutionOf(storage: Storage, parentRunId: string, options: { fromFailure: boolean; tags?: Record<string, string> }): Promise<NewRun> {
  const parent = await storage.getRun(parentRunId);
  if (!parent) throw new RunNotFoundError(parentRunId);
  if (!FINISHED_RUN_STATUSES.includes(parent.status)) {
    throw new UsageError(`Run "${parentRunId}" is ${parent.status}; only a finished run can be re-executed.`);
  }
  let selection = parent.selection;
  if (options.fromFailure) {
    const succeeded = new Set((await storage.getStepStats(parentRunId)).filter((s) => s.status === "SUCCESS").map((s) => s.key));
    selection = parent.selection.filter((k) => !succeeded.has(k));
    if (selection.length === 0) {
      throw new UsageError(`Run "${parentRunId}" has no failed or skipped step to re-execute (status ${parent.status}).`);
    }
  }
  return {
    runId: randomUUID(),
    jobName: parent.jobName,
    selection,
    // A subset of the parent's steps is no longer what the parent's expression selects.
    selectionExpression: options.fromFailure ? null : parent.selectionExpression,
    partition: parent.partition,
    config: parent.config,
    tags: { ...parent.tags, ...(options.tags ?? {}), [REEXECUTION_TAG]: options.fromFailure ? "from_failure" : "all" },
    parentRunId: parent.runId,
    rootRunId: parent.rootRunId ?? parent.runId,
  };
}

/** True when the run re-executes another. */
export function isReexecution(run: RunRecord): boolean {
  return run.parentRunId !== null;
}
