import type { ConditionParams, ConditionType } from "../definitions/automation/automation-condition.js";
import type { NewRun, RunRecord } from "./records.js";

/**
 * Records of declarative automation (see `src/definitions/automation/`): the loop's cursor, the
 * state each asset's condition carries from one evaluation to the next, and the evaluations kept
 * for explanations. The partition key of an unpartitioned asset is written `""` in key lists.
 */

/** The name of the automation loop's instigator state (started and stopped like a sensor). */
export const AUTOMATION_INSTIGATOR = "__automation__";

/** Where the automation loop stands: its previous evaluation. */
export interface AutomationCursor {
  /** The id of the previous evaluation (0: none yet); each evaluation's is the previous one's + 1. */
  evaluationId: number;
  /** When the previous evaluation happened (epoch ms), null before the first. */
  evaluatedAt: number | null;
  /** The greatest event id the previous evaluation had read: what is newer is "newly updated". */
  lastEventId: number;
}

/** What an asset's condition carries to the next evaluation. */
export interface AssetAutomationState {
  assetKey: string;
  /** A hash of the condition tree: when it changes, the state is dropped (an initial evaluation again). */
  conditionHash: string;
  /** Node path (`"0"`, `"0.1.0"`: child indexes from the root) → partition keys it was true for (stateful nodes: `since`, `newly_true`). */
  nodes: Record<string, string[]>;
  /** Partition keys this evaluation requested (`newly_requested` at the next one). */
  requested: string[];
  /** A hash of the result (each node's true keys) of the asset's latest kept evaluation: an equal result is not kept again. */
  resultHash: string | null;
}

/** One node of an evaluated condition tree: what it is, and for how many partitions it was true. */
export interface ConditionNodeEvaluation {
  type: ConditionType;
  label: string | null;
  description: string;
  params: ConditionParams;
  /** Partitions it was evaluated for (1 for an unpartitioned asset), and for how many it was true. */
  candidateCount: number;
  trueCount: number;
  /** The first true partition keys (at most 20; `""` for an unpartitioned asset). */
  trueKeys: string[];
  children: ConditionNodeEvaluation[];
}

/** An asset's condition, evaluated: kept when its result differs from the asset's previous kept one, or when it requested runs. */
export interface AssetEvaluationRecord {
  /** Row id (paging). */
  id: number;
  assetKey: string;
  evaluationId: number;
  /** Epoch ms. */
  evaluatedAt: number;
  /** How many partitions it requested, and the first (at most 100; `""` for an unpartitioned asset). */
  requestedCount: number;
  requestedKeys: string[];
  /** Runs that the requests went into. */
  runIds: string[];
  tree: ConditionNodeEvaluation;
}

/** An evaluation to record (before it has a row id and runs). */
export type NewAssetEvaluation = Omit<AssetEvaluationRecord, "id" | "runIds">;

/** A run the loop requests, with the assets whose evaluations it answers. */
export interface AutomationRunLaunch {
  run: NewRun;
  assetKeys: readonly string[];
}

/** One evaluation of the automation loop, to record at once. */
export interface AutomationTickWrite {
  /** The cursor read before evaluating: the write happens only if it is still the stored one. */
  previousEvaluationId: number;
  cursor: AutomationCursor;
  /** States that changed (others are kept as stored); states of assets no longer automated to delete. */
  assetStates: readonly AssetAutomationState[];
  deleteAssetStates: readonly string[];
  evaluations: readonly NewAssetEvaluation[];
  launches: readonly AutomationRunLaunch[];
}

/** What recording an evaluation did. */
export interface AutomationTickResult {
  /** False when another writer recorded that evaluation first (nothing was stored). */
  recorded: boolean;
  runs: RunRecord[];
}
