import type { Definitions } from "../definitions/definitions.js";
import { errorMessage, SluiceError, StorageError } from "../definitions/errors.js";
import { automatedAssetKeys } from "../runs/automation/automation-status.js";
import { evaluateAutomation } from "../runs/automation/evaluate-automation.js";
import { newRun } from "../runs/new-run.js";
import { AUTOMATION_INSTIGATOR, type AutomationRunLaunch, type AutomationTickResult } from "../storage/automation-records.js";
import { InstigatorStatus } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { DaemonHooks } from "./daemon-hooks.js";

/** What an AutomationDaemon needs. */
export interface AutomationDaemonOptions {
  storage: Storage;
  defs: Definitions;
  /** The clock (tests step through time with it). */
  now?: () => number;
  hooks?: DaemonHooks;
  log?: (line: string) => void;
}

/** What one tick did: nothing (stopped, no condition), lost the race to another writer, or recorded. */
export type AutomationTickOutcome =
  | { kind: "idle"; reason: "stopped" | "no_conditions" }
  | { kind: "superseded"; evaluationId: number }
  | { kind: "recorded"; evaluationId: number; result: AutomationTickResult; skipped: number };

/**
 * The automation half of the daemon: each `tick()` evaluates the automation condition of every
 * asset that has one, from the stored cursor and states, turns each request into a run (newRun,
 * tagged with the evaluation id), and records runs, evaluations, states and cursor in one
 * transaction that fails over to nothing when another writer recorded that evaluation first. A
 * daemon killed between evaluating and recording evaluates again from the same cursor, so a
 * request is never lost nor made twice.
 *
 * @example
 * const automation = new AutomationDaemon({ storage, defs, log: console.error });
 * await automation.tick();
 */
export class AutomationDaemon {
  readonly #storage: Storage;
  readonly #defs: Definitions;
  readonly #now: () => number;
  readonly #hooks: DaemonHooks;
  readonly #log: (line: string) => void;
  readonly #automated: number;

  constructor(opts: AutomationDaemonOptions) {
    this.#storage = opts.storage;
    this.#defs = opts.defs;
    this.#now = opts.now ?? (() => Date.now());
    this.#hooks = opts.hooks ?? {};
    this.#log = opts.log ?? (() => undefined);
    this.#automated = automatedAssetKeys(opts.defs).length;
  }

  /** One evaluation, recorded. Throws when storage fails (the evaluation is then made again next tick). */
  async tick(): Promise<AutomationTickOutcome> {
    if (this.#automated === 0) return { kind: "idle", reason: "no_conditions" };
    const state = await this.#storage.getInstigatorState(AUTOMATION_INSTIGATOR);
    const status = state?.status ?? this.#defs.automation.defaultStatus;
    if (status !== InstigatorStatus.Running) return { kind: "idle", reason: "stopped" };

    const [cursor, stored] = await Promise.all([this.#storage.getAutomationCursor(), this.#storage.getAutomationStates()]);
    const evaluation = await evaluateAutomation(this.#defs, this.#storage, {
      cursor,
      states: new Map(stored.map((s) => [s.assetKey, s])),
      now: this.#now(),
    });
    const origin = { kind: "automation", evaluationId: evaluation.evaluationId } as const;
    const launches: AutomationRunLaunch[] = [];
    let skipped = 0;
    for (const request of evaluation.requests) {
      try {
        const run = newRun({ defs: this.#defs, target: { assets: request.assetKeys }, partition: request.partition, origin });
        launches.push({ run, assetKeys: request.assetKeys });
      } catch (err) {
        // A run that could not start (bad config, a missing env var) is left out, and the others go
        // on. Its assets still count as requested (newly_requested resets their triggers): they are
        // asked for again at their next trigger (an upstream update, a cron tick), not at every
        // evaluation, which would repeat this error every interval.
        if (!(err instanceof SluiceError) || err instanceof StorageError) throw err;
        skipped++;
        this.#log(`automation: cannot request a run of ${describe(request.assetKeys, request.partition)}: ${errorMessage(err)}`);
      }
    }
    this.#hooks.at?.("automation_evaluated");
    const result = await this.#storage.recordAutomationTick({
      previousEvaluationId: cursor?.evaluationId ?? 0,
      cursor: evaluation.cursor,
      assetStates: evaluation.assetStates,
      deleteAssetStates: evaluation.deleteAssetStates,
      evaluations: evaluation.evaluations,
      launches,
    });
    this.#hooks.at?.("automation_recorded");
    if (!result.recorded) {
      this.#log(`automation: evaluation ${evaluation.evaluationId} was recorded by another daemon first; its runs were not requested here`);
      return { kind: "superseded", evaluationId: evaluation.evaluationId };
    }
    for (const run of result.runs) {
      this.#log(`automation: requested run ${run.runId} of ${describe(run.selection, run.partition)} (evaluation ${evaluation.evaluationId})`);
    }
    return { kind: "recorded", evaluationId: evaluation.evaluationId, result, skipped };
  }
}

function describe(assetKeys: readonly string[], partition: string | null): string {
  const assets = assetKeys.map((k) => `"${k}"`).join(", ");
  return `${assetKeys.length === 1 ? "asset" : "assets"} ${assets}${partition !== null ? `, partition "${partition}"` : ""}`;
}
