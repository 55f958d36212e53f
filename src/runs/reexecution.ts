import { isCheckKey } from "../definitions/asset-check.js";
import { RunNotFoundError, UsageError } from "../definitions/errors.js";
import { EventType, FINISHED_RUN_STATUSES, type NewRun, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { newRun } from "./new-run.js";

export { REEXECUTION_TAG, RETRY_NUMBER_TAG } from "./new-run.js";

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
    const steps = await storage.getStepStats(parentRunId);
    const succeeded = new Set(steps.filter((s) => s.status === "SUCCESS").map((s) => s.key));
    // A multi-asset's step is keyed by its name, not by the assets it materializes: those assets
    // succeeded with it.
    for (const event of await storage.getEvents(parentRunId, { types: [EventType.AssetMaterialization] })) {
      if (event.assetKey !== null && event.stepKey !== null && event.stepKey !== event.assetKey && succeeded.has(event.stepKey)) succeeded.add(event.assetKey);
    }
    // An asset's checks run in its run without being in the selection: one that failed (a blocking
    // one that skipped what follows) runs again, so the steps it guards wait for it again.
    const checks = steps.filter((s) => s.status !== "SUCCESS" && isCheckKey(s.key) && !parent.selection.includes(s.key)).map((s) => s.key);
    selection = [...parent.selection.filter((k) => !succeeded.has(k)), ...checks];
    if (selection.length === 0) {
      throw new UsageError(`Run "${parentRunId}" has no failed or skipped step to re-execute (status ${parent.status}).`);
    }
  }
  return newRun({ parent, steps: selection, fromFailure: options.fromFailure, tags: options.tags ?? {} });
}

/** True when the run re-executes another. */
export function isReexecution(run: RunRecord): boolean {
  return run.parentRunId !== null;
}
