import { AssetKind, assetKindOf, type AssetDefinition } from "../../definitions/asset.js";
import type { AutomationCondition, ConditionSnapshot } from "../../definitions/automation/automation-condition.js";
import type { Definitions } from "../../definitions/definitions.js";
import type { AssetAutomationState, AutomationCursor, NewAssetEvaluation } from "../../storage/automation-records.js";
import type { Storage } from "../../storage/storage.js";
import { DepReadings } from "./asset-scope.js";
import { UNPARTITIONED_KEY, loadAutomationFacts } from "./automation-facts.js";
import { groupRequests } from "./automation-requests.js";
import { conditionHash, resultHash } from "./condition-hash.js";
import { ConditionEvaluator } from "./condition-evaluator.js";

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

/** How many requested keys an evaluation record lists. */
const REQUESTED_KEYS_SHOWN = 100;

/**
 * Evaluates the automation condition of every materializable asset that has one, per partition,
 * in topological order (so that an upstream's requests are known to its downstream assets'
 * `will_be_requested`), reading the facts it needs (materializations, attempts, runs in flight,
 * checks, observations, dynamic partitions) from storage in bulk, once; records nothing.
 * Deterministic for given storage contents, previous state and `now`. Throws StorageError when
 * storage cannot be read.
 *
 * Candidates are the asset's partition keys at `now` (`""` for an unpartitioned asset); the root's
 * true keys are requested. A state whose condition hash differs from the condition's is dropped (an
 * edited condition starts over: `initial_evaluation` is true again).
 *
 * @example
 * const evaluation = await evaluateAutomation(defs, storage, { cursor, states, now: Date.now() });
 * for (const request of evaluation.requests) console.log(request.assetKeys, request.partition);
 */
export async function evaluateAutomation(defs: Definitions, storage: Storage, previous: AutomationPrevious): Promise<AutomationEvaluation> {
  const now = new Date(previous.now);
  const facts = await loadAutomationFacts(defs, storage, now, previous.cursor?.lastEventId ?? null);
  const evaluationId = (previous.cursor?.evaluationId ?? 0) + 1;

  const automated: { def: AssetDefinition; condition: AutomationCondition; snapshot: ConditionSnapshot; hash: string }[] = [];
  for (const key of defs.assetGraph.keys()) {
    const def = defs.assets.get(key)!;
    if (def.automation === undefined || assetKindOf(def) !== AssetKind.Materializable) continue;
    const { snapshot, hash } = describedCondition(def.automation);
    automated.push({ def, condition: def.automation, snapshot, hash });
  }
  const previousStates = new Map<string, AssetAutomationState>();
  for (const { def, hash } of automated) {
    const state = previous.states.get(def.key);
    if (state !== undefined && state.conditionHash === hash) previousStates.set(def.key, state);
  }
  const checkNames = new Map<string, string[]>();
  const blockingCheckNames = new Map<string, string[]>();
  for (const check of defs.checks.values()) {
    for (const [byAsset, counted] of [[checkNames, true], [blockingCheckNames, check.blocking]] as const) {
      if (!counted) continue;
      const names = byAsset.get(check.assetKey) ?? [];
      names.push(check.name);
      byAsset.set(check.assetKey, names);
    }
  }

  const requested = new Map<string, Set<string>>();
  const evaluator = new ConditionEvaluator({ facts, readings: new DepReadings(defs.assets, now), now, cursor: previous.cursor, requested, previousStates, checkNames, blockingCheckNames });
  const assetStates: AssetAutomationState[] = [];
  const evaluations: NewAssetEvaluation[] = [];
  const allEvaluations: NewAssetEvaluation[] = [];
  const requestedAssets: { def: AssetDefinition; keys: string[] }[] = [];
  for (const { def, condition, snapshot, hash } of automated) {
    const candidates = def.partitions ? def.partitions.keys(now) : [UNPARTITIONED_KEY];
    const result = evaluator.evaluateAsset(def, condition, snapshot, candidates);
    requested.set(def.key, new Set(result.requested));
    if (result.requested.length > 0) requestedAssets.push({ def, keys: result.requested });

    const stored = previous.states.get(def.key);
    const state: AssetAutomationState = { assetKey: def.key, conditionHash: hash, nodes: result.nodes, requested: result.requested, resultHash: resultHash(result.trueKeysByPath) };
    if (stored === undefined || !sameState(stored, state)) assetStates.push(state);

    const record: NewAssetEvaluation = {
      assetKey: def.key,
      evaluationId,
      evaluatedAt: previous.now,
      requestedCount: result.requested.length,
      requestedKeys: result.requested.slice(0, REQUESTED_KEYS_SHOWN),
      tree: result.tree,
    };
    allEvaluations.push(record);
    if (result.requested.length > 0 || state.resultHash !== stored?.resultHash) evaluations.push(record);
  }

  const automatedKeys = new Set(automated.map((a) => a.def.key));
  return {
    evaluationId,
    evaluatedAt: previous.now,
    cursor: { evaluationId, evaluatedAt: previous.now, lastEventId: facts.latestEventId },
    assetStates,
    deleteAssetStates: [...previous.states.keys()].filter((k) => !automatedKeys.has(k)),
    evaluations,
    allEvaluations,
    requests: groupRequests(requestedAssets),
  };
}

/** Snapshots and hashes of conditions, made once per condition value (they are immutable; definitions outlive evaluations). */
const described = new WeakMap<AutomationCondition, { snapshot: ConditionSnapshot; hash: string }>();

function describedCondition(condition: AutomationCondition): { snapshot: ConditionSnapshot; hash: string } {
  let entry = described.get(condition);
  if (entry === undefined) {
    const snapshot = condition.toJSON();
    entry = { snapshot, hash: conditionHash(snapshot) };
    described.set(condition, entry);
  }
  return entry;
}

function sameState(a: AssetAutomationState, b: AssetAutomationState): boolean {
  return a.conditionHash === b.conditionHash && a.resultHash === b.resultHash && JSON.stringify(a.requested) === JSON.stringify(b.requested) && JSON.stringify(a.nodes) === JSON.stringify(b.nodes);
}
