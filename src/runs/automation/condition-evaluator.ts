import { AssetKind, assetKindOf, type AssetDefinition } from "../../definitions/asset.js";
import type { AutomationCondition, ConditionSnapshot } from "../../definitions/automation/automation-condition.js";
import type { AssetAutomationState, AutomationCursor, ConditionNodeEvaluation } from "../../storage/automation-records.js";
import type { DepReading, DepReadings } from "./asset-scope.js";
import type { AutomationFacts } from "./automation-facts.js";
import { CronTicks } from "./cron-ticks.js";
import { latestWindowKeys } from "./latest-time-window.js";

/** How many true keys a node of an evaluation lists. */
const TRUE_KEYS_SHOWN = 20;

/** What the evaluation of every asset shares. */
export interface EvaluatorInputs {
  facts: AutomationFacts;
  readings: DepReadings;
  now: Date;
  cursor: AutomationCursor | undefined;
  /** Asset → partition keys this evaluation requests (filled in topological order). */
  requested: ReadonlyMap<string, ReadonlySet<string>>;
  /** Asset → its previous state, only when it is for the current condition (an edited condition starts over). */
  previousStates: ReadonlyMap<string, AssetAutomationState>;
  /** Asset → names of its checks. */
  checkNames: ReadonlyMap<string, readonly string[]>;
  /** Asset → names of its blocking checks. */
  blockingCheckNames: ReadonlyMap<string, readonly string[]>;
}

/** One asset's condition, evaluated. */
export interface AssetConditionResult {
  /** The root's true keys: what to request, in the asset's order. */
  requested: string[];
  tree: ConditionNodeEvaluation;
  /** State of the stateful nodes (path → keys), for the next evaluation. */
  nodes: Record<string, string[]>;
  /** Every node's true keys, in evaluation order (the tree's shape gives each its path): what the result hash is made of. */
  trueKeysByPath: string[][];
}

/** Where a node is evaluated: on its asset's own partitions, or on a dep's partitions that a downstream asset reads. */
interface Scope {
  def: AssetDefinition;
  /** Null for the asset's own condition; for a dep, whether it can run in the downstream asset's run. */
  sameRun: boolean | null;
  /** For a dep: the downstream asset whose condition reads it. */
  downstream?: AssetDefinition;
  /** The stateful nodes' previous and next keys (the asset's own condition only). */
  state: { previous: Record<string, string[]>; next: Record<string, string[]>; trueKeys: string[][] } | null;
  /** How a true key is shown in the evaluation (prefixed by the dep's key in a dep's scope). */
  show(key: string): string;
}

interface NodeResult {
  keys: string[];
  evaluation: ConditionNodeEvaluation;
}

/**
 * Evaluates conditions per partition (see the factories of `AutomationCondition` for what each node
 * means). A node gets the keys it is evaluated on and returns those it is true for, in the same
 * order: `and` gives each child the keys still true, `or` gives every child all of them, `not` is
 * its keys minus its child's; deps conditions evaluate their child on the deps' keys.
 */
export class ConditionEvaluator {
  readonly #in: EvaluatorInputs;
  readonly #ticks: CronTicks;
  readonly #latest = new Map<string, Set<string>>();

  constructor(inputs: EvaluatorInputs) {
    this.#in = inputs;
    this.#ticks = new CronTicks(inputs.now);
  }

  /** Evaluates `def`'s condition on `candidates` (its partition keys now, `[""]` unpartitioned). */
  evaluateAsset(def: AssetDefinition, condition: AutomationCondition, snapshot: ConditionSnapshot, candidates: string[]): AssetConditionResult {
    const previous = this.#in.previousStates.get(def.key)?.nodes ?? {};
    const state = { previous, next: {} as Record<string, string[]>, trueKeys: [] as string[][] };
    const scope: Scope = { def, sameRun: null, state, show: (k) => k };
    const root = this.#node(condition, snapshot, "0", candidates, scope);
    return { requested: root.keys, tree: root.evaluation, nodes: state.next, trueKeysByPath: state.trueKeys };
  }

  #node(node: AutomationCondition, snap: ConditionSnapshot, path: string, keys: string[], scope: Scope): NodeResult {
    const children: ConditionNodeEvaluation[] = [];
    const keysOut = this.#keys(node, snap, path, keys, scope, children);
    scope.state?.trueKeys.push(keysOut);
    return {
      keys: keysOut,
      evaluation: {
        type: node.type,
        label: node.label,
        description: snap.description,
        params: snap.params,
        candidateCount: keys.length,
        trueCount: keysOut.length,
        trueKeys: keysOut.slice(0, TRUE_KEYS_SHOWN).map(scope.show),
        children,
      },
    };
  }

  #child(node: AutomationCondition, snap: ConditionSnapshot, path: string, i: number, keys: string[], scope: Scope, out: ConditionNodeEvaluation[]): string[] {
    const result = this.#node(node.children[i]!, snap.children[i]!, childPath(path, i), keys, scope);
    out.push(result.evaluation);
    return result.keys;
  }

  #keys(node: AutomationCondition, snap: ConditionSnapshot, path: string, keys: string[], scope: Scope, out: ConditionNodeEvaluation[]): string[] {
    const { facts, cursor } = this.#in;
    const asset = scope.def.key;
    // Nothing to evaluate: facts are false for no key (combinators still list their children).
    if (keys.length === 0 && !COMBINATORS.has(node.type)) {
      if (node.type === "any_deps_match" || node.type === "all_deps_match") this.#child(node, snap, path, 0, keys, { ...scope, state: null }, out);
      return [];
    }
    switch (node.type) {
      case "missing": {
        // External and observable source assets are not ours to materialize: never missing.
        if (assetKindOf(scope.def) !== AssetKind.Materializable) return [];
        const updates = facts.updates.get(asset);
        return updates ? keys.filter((k) => !updates.has(k)) : keys;
      }
      case "newly_updated": {
        const updates = facts.updates.get(asset);
        if (!cursor || !updates) return [];
        const fresh = keys.filter((k) => (updates.get(k)?.eventId ?? 0) > cursor.lastEventId);
        const down = scope.downstream;
        if (down === undefined) return fresh;
        // A dep updated by a run that also selected the downstream asset was handled by that run,
        // even when the downstream step then failed or was skipped: no second request for it.
        const steps = [down.key, ...(down.multiAsset ? [down.multiAsset.name] : [])];
        return fresh.filter((k) => {
          const selection = facts.updateRunSelections.get(updates.get(k)!.runId);
          return selection === undefined || !steps.some((step) => selection.has(step));
        });
      }
      case "newly_requested":
        return within(keys, this.#in.previousStates.get(asset)?.requested);
      case "will_be_requested":
        return scope.sameRun === false ? [] : within(keys, this.#in.requested.get(asset));
      case "in_progress":
        return within(keys, facts.inProgress.get(asset));
      case "execution_failed":
        return within(keys, facts.failed.get(asset));
      case "initial_evaluation":
        return this.#in.previousStates.has(asset) ? [] : keys;
      case "in_latest_time_window":
        return this.#inLatestWindow(scope.def, node, keys);
      case "cron_tick_passed": {
        const since = cursor?.evaluatedAt;
        return since != null && this.#ticks.passedSince(node.params.cron!, node.params.timezone ?? "UTC", since) ? keys : [];
      }
      case "checks_passed": {
        const names = (node.params.blockingOnly ? this.#in.blockingCheckNames : this.#in.checkNames).get(asset) ?? [];
        if (names.length === 0) return keys;
        const byKey = facts.checks.get(asset);
        return keys.filter((k) => names.every((n) => byKey?.get(k)?.get(n) === true));
      }
      case "any_deps_match":
      case "all_deps_match":
        return this.#depsMatch(node, snap, path, keys, scope, out);
      case "all_deps_updated_since_cron":
        return this.#depsUpdatedSince(node, keys, scope);
      case "and": {
        let current = keys;
        node.children.forEach((_, i) => (current = this.#child(node, snap, path, i, current, scope, out)));
        return current;
      }
      case "or": {
        const union: string[] = [];
        node.children.forEach((_, i) => union.push(...this.#child(node, snap, path, i, keys, scope, out)));
        return union.length === 0 ? [] : within(keys, union);
      }
      case "not": {
        const child = this.#child(node, snap, path, 0, keys, scope, out);
        if (child.length === 0) return keys;
        const lookup = collection(child);
        return keys.filter((k) => !has(lookup, k));
      }
      case "since": {
        const trigger = this.#child(node, snap, path, 0, keys, scope, out);
        const reset = new Set(this.#child(node, snap, path, 1, keys, scope, out));
        // Keys not evaluated now keep their state; reset wins over trigger.
        const before = scope.state?.previous[path] ?? [];
        if (before.length === 0 && trigger.length === 0) return [];
        const held = new Set([...before, ...trigger]);
        for (const k of reset) held.delete(k);
        if (scope.state && held.size > 0) scope.state.next[path] = [...held];
        return within(keys, held);
      }
      case "newly_true": {
        const child = this.#child(node, snap, path, 0, keys, scope, out);
        const previous = scope.state?.previous[path] ?? [];
        if (scope.state) {
          // Keys not evaluated now keep what they were; the others are what the child is now.
          const evaluated = collection(keys);
          const next = previous.length === 0 ? child : [...previous.filter((k) => !has(evaluated, k)), ...child];
          if (next.length > 0) scope.state.next[path] = next;
        }
        if (previous.length === 0) return child;
        const before = collection(previous);
        return child.filter((k) => !has(before, k));
      }
    }
  }

  #inLatestWindow(def: AssetDefinition, node: AutomationCondition, keys: string[]): string[] {
    if (!def.partitions) return keys;
    const lookback = node.params.lookback ?? null;
    const cacheKey = `${def.partitions.id}\0${String(lookback)}`;
    let latest = this.#latest.get(cacheKey);
    if (latest === undefined) {
      const found = latestWindowKeys(def.partitions, lookback, this.#in.now);
      if (found === null) return keys; // Not time windows: every partition is "latest".
      latest = found;
      this.#latest.set(cacheKey, latest);
    }
    return within(keys, latest);
  }

  #deps(node: AutomationCondition, scope: Scope): DepReading[] {
    const ignore = new Set(node.params.ignore ?? []);
    const allow = node.params.allow ? new Set(node.params.allow) : null;
    return this.#in.readings.of(scope.def).filter((r) => !ignore.has(r.dep.key) && (allow === null || allow.has(r.dep.key)));
  }

  #depsMatch(node: AutomationCondition, snap: ConditionSnapshot, path: string, keys: string[], scope: Scope, out: ConditionNodeEvaluation[]): string[] {
    const deps = this.#deps(node, scope);
    const any = node.type === "any_deps_match";
    let merged: ConditionNodeEvaluation | undefined;
    // Per downstream key: how many deps match (any: at least one; all: every one).
    const matches = new Map<string, number>(keys.map((k) => [k, 0]));
    for (const reading of deps) {
      // The child is stateless (checked at load): evaluated once on every key any downstream key reads.
      let wanted: string[];
      if (keys.length === 1) wanted = reading.upstreamKeys(keys[0]!);
      else {
        const union = new Set<string>();
        for (const k of keys) for (const u of reading.upstreamKeys(k)) union.add(u);
        wanted = [...union];
      }
      const dep = reading.dep;
      const depScope: Scope = { def: dep, sameRun: reading.sameRun, downstream: scope.def, state: null, show: dep.partitions ? (k) => `${dep.key}:${k}` : () => dep.key };
      const result = this.#node(node.children[0]!, snap.children[0]!, childPath(path, 0), wanted, depScope);
      merged = merged === undefined ? result.evaluation : mergeEvaluations(merged, result.evaluation);
      if (result.keys.length === 0) continue;
      const isTrue = collection(result.keys);
      for (const k of keys) if (reading.upstreamKeys(k).some((u) => has(isTrue, u))) matches.set(k, matches.get(k)! + 1);
    }
    out.push(merged ?? this.#node(node.children[0]!, snap.children[0]!, childPath(path, 0), [], { ...scope, state: null }).evaluation);
    return keys.filter((k) => (any ? matches.get(k)! > 0 : matches.get(k)! === deps.length));
  }

  #depsUpdatedSince(node: AutomationCondition, keys: string[], scope: Scope): string[] {
    const tick = this.#ticks.latestAtOrBefore(node.params.cron!, node.params.timezone ?? "UTC");
    const deps = this.#deps(node, scope);
    return keys.filter((k) =>
      deps.every((reading) => {
        const updates = this.#in.facts.updates.get(reading.dep.key);
        const requested = reading.sameRun ? this.#in.requested.get(reading.dep.key) : undefined;
        return reading.upstreamKeys(k).every((u) => (updates?.get(u)?.timestamp ?? -Infinity) >= tick || requested?.has(u) === true);
      }),
    );
  }
}

/** Paths of children, made once per position (a handful of distinct strings, used by every asset). */
const childPaths = new Map<string, string[]>();
function childPath(path: string, i: number): string {
  let paths = childPaths.get(path);
  if (paths === undefined) {
    paths = [];
    childPaths.set(path, paths);
  }
  return (paths[i] ??= `${path}.${i}`);
}

/** Nodes that combine others (evaluated even on no keys, to list their children). */
const COMBINATORS = new Set(["and", "or", "not", "since", "newly_true"]);

/** Keys to look up: a short list is searched (most assets have one key), a long one hashed. */
type Lookup = ReadonlySet<string> | readonly string[];

function collection(keys: readonly string[]): Lookup {
  return keys.length > 16 ? new Set(keys) : keys;
}

function has(lookup: Lookup, key: string): boolean {
  return Array.isArray(lookup) ? lookup.includes(key) : (lookup as ReadonlySet<string>).has(key);
}

/** The keys of `keys` that are in `lookup`, in `keys`' order. */
function within(keys: string[], lookup: Lookup | undefined): string[] {
  if (lookup === undefined) return [];
  if (Array.isArray(lookup) ? lookup.length === 0 : (lookup as ReadonlySet<string>).size === 0) return [];
  const l = Array.isArray(lookup) && lookup.length > 16 ? new Set(lookup as readonly string[]) : lookup;
  return keys.filter((k) => has(l, k));
}

/** One evaluation of a deps condition's child for all deps: counts added, true keys listed up to the limit. */
function mergeEvaluations(a: ConditionNodeEvaluation, b: ConditionNodeEvaluation): ConditionNodeEvaluation {
  return {
    ...a,
    candidateCount: a.candidateCount + b.candidateCount,
    trueCount: a.trueCount + b.trueCount,
    trueKeys: a.trueKeys.length >= TRUE_KEYS_SHOWN || b.trueKeys.length === 0 ? a.trueKeys : [...a.trueKeys, ...b.trueKeys].slice(0, TRUE_KEYS_SHOWN),
    children: a.children.map((c, i) => (b.children[i] ? mergeEvaluations(c, b.children[i]!) : c)),
  };
}
