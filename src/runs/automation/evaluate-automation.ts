import type { Definitions } from "../../definitions/definitions.js";
import type { AssetAutomationState, AutomationCursor, NewAssetEvaluation } from "../../storage/automation-records.js";
import type { Storage } from "../../storage/storage.js";

/** A run the automation loop asks for: assets that can run together, for one partition (null: unpartitioned). */
export interface AutomationRequest {
  /** Asset keys, in topological order. */
  assetKeys: string[];
  partition: string | null;
}

/** What one evaluation of every asset's condition decided, not yet recorded. */
export interface AutomationEvaluation {
  /** The previous cursor's evaluationId + 1. */
  evaluationId: number;
  /** Epoch ms (the `now` it was given). */
  evaluatedAt: number;
  /** The cursor to store with it. */
  cursor: AutomationCursor;
  /** States that differ from the ones given (new, changed); assets whose state to drop (no condition any more). */
  assetStates: AssetAutomationState[];
  deleteAssetStates: string[];
  /** Evaluations worth keeping: those whose result differs from the asset's previous kept one, or that requested runs. */
  evaluations: NewAssetEvaluation[];
  /** Every asset's evaluation, kept or not (preview shows them all), in topological order. */
  allEvaluations: NewAssetEvaluation[];
  /** The runs to create: one per partition and group of assets that can run together. */
  requests: AutomationRequest[];
}

/** What an evaluation starts from: the stored cursor and per-asset states (none before the first). */
export interface AutomationPrevious {
  cursor: AutomationCursor | undefined;
  states: ReadonlyMap<string, AssetAutomationState>;
  /** The clock (epoch ms). */
  now: number;
}

/**
 * Evaluates the automation condition of every asset that has one, reading the facts it needs
 * (materializations, attempts, runs in flight, checks, observations) from storage; records
 * nothing. Deterministic for given storage contents, previous state and `now`.
 */
export async function evaluateAutomation(defs: Definitions, storage: Storage, previous: AutomationPrevious): Promise<AutomationEvaluation> {
  void defs;
  void storage;
  void previous;
  throw new Error("evaluateAutomation: not built yet");
}
