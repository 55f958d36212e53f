import type { Definitions } from "../../../definitions/definitions.js";
import type { AssetAutomationState, AutomationCursor } from "../../../storage/automation-records.js";
import { EventType } from "../../../storage/records.js";
import type { Storage } from "../../../storage/storage.js";
import { evaluateAutomation, type AutomationEvaluation } from "../evaluate-automation.js";

/** Runs made by harnesses of this process, numbered (harnesses may share a storage). */
let runs = 0;

/**
 * Evaluations one after the other, each starting from the cursor and states the previous one
 * returned (as the automation loop stores them), over real storage; and ways to write the facts
 * the conditions read (materializations, failed and running attempts).
 */
export class AutomationHarness {
  cursor: AutomationCursor | undefined;
  readonly states = new Map<string, AssetAutomationState>();

  constructor(
    readonly storage: Storage,
    public defs: Definitions,
  ) {}

  /** Evaluates at `now` and keeps its cursor and states for the next one. */
  async evaluate(now: number): Promise<AutomationEvaluation> {
    const evaluation = await evaluateAutomation(this.defs, this.storage, { cursor: this.cursor, states: this.states, now });
    this.cursor = evaluation.cursor;
    for (const state of evaluation.assetStates) this.states.set(state.assetKey, state);
    for (const key of evaluation.deleteAssetStates) this.states.delete(key);
    return evaluation;
  }

  /** Materializes assets (each at `partition`, null: unpartitioned) in one finished run, at `timestamp`. */
  async materialize(assetKeys: readonly string[], partition: string | null = null, timestamp?: number): Promise<string> {
    const runId = await this.#run(assetKeys, partition);
    for (const assetKey of assetKeys) {
      await this.storage.storeEvent({ runId, type: EventType.StepStart, stepKey: assetKey, assetKey, partition, ...(timestamp === undefined ? {} : { timestamp }) });
      await this.storage.storeEvent({ runId, type: EventType.AssetMaterialization, stepKey: assetKey, assetKey, partition, ...(timestamp === undefined ? {} : { timestamp }) });
    }
    await this.storage.storeEvent({ runId, type: EventType.RunSuccess });
    return runId;
  }

  /** A run whose step of `assetKey` failed. */
  async fail(assetKey: string, partition: string | null = null): Promise<string> {
    const runId = await this.#run([assetKey], partition);
    await this.storage.storeEvent({ runId, type: EventType.StepStart, stepKey: assetKey, assetKey, partition });
    await this.storage.storeEvent({ runId, type: EventType.StepFailure, stepKey: assetKey, assetKey, partition });
    await this.storage.storeEvent({ runId, type: EventType.RunFailure });
    return runId;
  }

  /** A queued run of these assets (in progress until it ends). */
  async queue(assetKeys: readonly string[], partition: string | null = null, tags: Record<string, string> = {}): Promise<string> {
    const runId = `run-${++runs}`;
    await this.storage.createRun({ runId, jobName: "__asset_job", selection: [...assetKeys], partition, tags });
    return runId;
  }

  async #run(assetKeys: readonly string[], partition: string | null): Promise<string> {
    const runId = await this.queue(assetKeys, partition);
    await this.storage.storeEvent({ runId, type: EventType.RunStart });
    return runId;
  }
}
