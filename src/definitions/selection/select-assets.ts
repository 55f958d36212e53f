/**
 * Evaluation of selection expressions against an asset graph, with Dagster's semantics (see
 * `selection-ast.ts`). Selections are byte masks over the graph's asset positions, so every set
 * operation is O(V) and every traversal, `roots` and `sinks` O(V + E).
 */
import { SelectionError } from "../errors.js";
import type { AndNode, AssetStatusValue, OrNode, SelectionNode, TraversalDepth } from "./selection-ast.js";
import { parseSelection } from "./selection-parser.js";

/** What selection needs to know of an asset. */
export interface SelectableAsset {
  /** Key with `/` between components, e.g. `raw/orders`. */
  readonly key: string;
  readonly group: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly owners: readonly string[];
  readonly kinds: readonly string[];
  /** Keys of the assets this one reads; all present in the graph. */
  readonly deps: readonly string[];
}

/** The assets to select from, topologically sorted (every asset after its deps). */
export interface SelectableGraph {
  readonly assets: readonly SelectableAsset[];
}

/** The keys of the assets that have a status now (see `status:` in selection-ast.ts). */
export type StatusOf = (value: AssetStatusValue) => ReadonlySet<string>;

/** Options of {@link selectAssets}. */
export interface SelectOptions {
  /**
   * Answers `status:VALUE` (the instance's view: runtime selections from the CLI and the server
   * pass one). Without it, a selection using `status:` throws SelectionError.
   */
  statusOf?: StatusOf;
}

type Mask = Uint8Array;

/** Parent and child lists in compressed form: the neighbours of `v` are `edges[start[v]..start[v+1]]`. */
interface Adjacency {
  readonly start: Int32Array;
  readonly edges: Int32Array;
}

interface GraphIndex {
  readonly assets: readonly SelectableAsset[];
  readonly parents: Adjacency;
  readonly children: Adjacency;
  /** Positions with every asset after its parents. */
  readonly order: Int32Array;
}

function buildIndex(graph: SelectableGraph): GraphIndex {
  const { assets } = graph;
  const size = assets.length;
  const positions = new Map<string, number>();
  assets.forEach((asset, position) => positions.set(asset.key, position));

  const edgeFrom: number[] = [];
  const edgeTo: number[] = [];
  let sorted = true;
  assets.forEach((asset, position) => {
    for (const dep of asset.deps) {
      const parent = positions.get(dep);
      // A self-dependency (a partitioned asset reading its own past) is not an edge for
      // selection: Dagster ignores it in roots and sinks, and it adds nothing to traversals.
      if (parent === undefined || parent === position) continue;
      edgeFrom.push(parent);
      edgeTo.push(position);
      if (parent > position) sorted = false;
    }
  });
  const parents = compress(size, edgeTo, edgeFrom);
  const children = compress(size, edgeFrom, edgeTo);
  const order = sorted ? Int32Array.from({ length: size }, (_, i) => i) : topologicalOrder(parents, children);
  return { assets, parents, children, order };
}

function compress(size: number, from: readonly number[], to: readonly number[]): Adjacency {
  const start = new Int32Array(size + 1);
  for (const node of from) start[node + 1]!++;
  for (let i = 0; i < size; i++) start[i + 1]! += start[i]!;
  const cursor = start.slice(0, size);
  const edges = new Int32Array(from.length);
  from.forEach((node, i) => {
    edges[cursor[node]!++] = to[i]!;
  });
  return { start, edges };
}

// Only for graphs handed over unsorted; assets on a cycle (which a valid graph has not) go last.
function topologicalOrder(parents: Adjacency, children: Adjacency): Int32Array {
  const size = parents.start.length - 1;
  const waiting = Int32Array.from({ length: size }, (_, v) => parents.start[v + 1]! - parents.start[v]!);
  const order: number[] = [];
  const placed = new Uint8Array(size);
  for (let v = 0; v < size; v++) if (waiting[v] === 0) order.push(v);
  for (let i = 0; i < order.length; i++) {
    const v = order[i]!;
    placed[v] = 1;
    for (let e = children.start[v]!; e < children.start[v + 1]!; e++) {
      const child = children.edges[e]!;
      if (--waiting[child]! === 0) order.push(child);
    }
  }
  for (let v = 0; v < size; v++) if (!placed[v]) order.push(v);
  return Int32Array.from(order);
}

function filter(index: GraphIndex, keep: (asset: SelectableAsset) => boolean): Mask {
  return Uint8Array.from(index.assets, (asset) => (keep(asset) ? 1 : 0));
}

/** Dagster's wildcard match: the whole string, `*` = any run of characters (`/` included). */
function wildcard(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

function matches(pattern: string, value: string, compiled: RegExp | null): boolean {
  return compiled ? compiled.test(value) : value === pattern;
}

/** Adds to `into` every asset within `depth` steps of `seed` along `adjacency`, seed included. */
function expand(seed: Mask, adjacency: Adjacency, depth: TraversalDepth, into: Mask): void {
  const seen = seed.slice();
  let frontier: number[] = [];
  seed.forEach((selected, v) => {
    if (selected) frontier.push(v);
  });
  const limit = depth === "all" ? Number.POSITIVE_INFINITY : depth;
  for (let level = 0; level < limit && frontier.length > 0; level++) {
    const next: number[] = [];
    for (const v of frontier) {
      for (let e = adjacency.start[v]!; e < adjacency.start[v + 1]!; e++) {
        const w = adjacency.edges[e]!;
        if (!seen[w]) {
          seen[w] = 1;
          next.push(w);
        }
      }
    }
    frontier = next;
  }
  seen.forEach((selected, v) => {
    if (selected) into[v] = 1;
  });
}

/**
 * Keeps the assets of `selection` that have no relative (through `relatives`) in `selection` at
 * any distance; `order` visits every asset after all of its relatives.
 */
function withoutSelectedRelatives(selection: Mask, relatives: Adjacency, order: Iterable<number>): Mask {
  const hasSelectedRelative = new Uint8Array(selection.length);
  for (const v of order) {
    for (let e = relatives.start[v]!; e < relatives.start[v + 1]!; e++) {
      const r = relatives.edges[e]!;
      if (selection[r] || hasSelectedRelative[r]) {
        hasSelectedRelative[v] = 1;
        break;
      }
    }
  }
  return selection.map((selected, v) => (selected && !hasSelectedRelative[v] ? 1 : 0));
}

/**
 * The operands of the `and` (or `or`) chain rooted at `node`, left to right, found without
 * recursion: every nested node of the same type is part of the chain, whichever side it is on.
 */
function chainOperands(node: AndNode | OrNode): SelectionNode[] {
  const operands: SelectionNode[] = [];
  const pending: SelectionNode[] = [node];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (next.type === node.type) pending.push((next as AndNode | OrNode).right, (next as AndNode | OrNode).left);
    else operands.push(next);
  }
  return operands;
}

// Recursion depth is bounded: the parser limits nesting, and chains are folded iteratively.
function evaluate(node: SelectionNode, index: GraphIndex, options: SelectOptions): Mask {
  const size = index.assets.length;
  switch (node.type) {
    case "all":
      return new Uint8Array(size).fill(1);
    case "key": {
      const compiled = node.pattern.includes("*") ? wildcard(node.pattern) : null;
      return filter(index, (asset) => matches(node.pattern, asset.key, compiled));
    }
    case "key_substring":
      return filter(index, (asset) => asset.key.includes(node.value));
    case "tag": {
      const { key, value } = node;
      if (key === null) return new Uint8Array(size);
      return filter(index, (asset) => Object.hasOwn(asset.tags, key) && asset.tags[key] === value);
    }
    case "owner": {
      const { value } = node;
      return value === null ? new Uint8Array(size) : filter(index, (asset) => asset.owners.includes(value));
    }
    case "group": {
      const { value } = node;
      // Dagster treats an empty group name like <null>: no group at all.
      if (!value) return new Uint8Array(size);
      const compiled = value.includes("*") ? wildcard(value) : null;
      return filter(index, (asset) => matches(value, asset.group, compiled));
    }
    case "kind": {
      const { value } = node;
      return filter(index, (asset) => (value === null ? asset.kinds.length === 0 : asset.kinds.includes(value)));
    }
    case "status": {
      if (options.statusOf === undefined) {
        throw new SelectionError(
          `status:${node.value} depends on the instance (what ran and what checks found), so it cannot be used in this selection; ` +
            `select by key, group, tag, owner or kind here.`,
          `status:${node.value}`,
        );
      }
      const having = options.statusOf(node.value);
      return filter(index, (asset) => having.has(asset.key));
    }
    case "not":
      return evaluate(node.operand, index, options).map((selected) => (selected ? 0 : 1));
    case "and":
    case "or": {
      // A chain `a or b or c ...` is a left-deep tree as deep as it is long: fold it in a loop.
      const [first, ...rest] = chainOperands(node);
      const result = evaluate(first!, index, options);
      for (const operand of rest) {
        const mask = evaluate(operand, index, options);
        if (node.type === "and") for (let v = 0; v < size; v++) result[v]! &= mask[v]!;
        else for (let v = 0; v < size; v++) result[v]! |= mask[v]!;
      }
      return result;
    }
    case "traversal": {
      const seed = evaluate(node.operand, index, options);
      const result = seed.slice();
      if (node.upstream !== null) expand(seed, index.parents, node.upstream, result);
      if (node.downstream !== null) expand(seed, index.children, node.downstream, result);
      return result;
    }
    case "roots":
      return withoutSelectedRelatives(evaluate(node.operand, index, options), index.parents, index.order);
    case "sinks":
      return withoutSelectedRelatives(evaluate(node.operand, index, options), index.children, index.order.slice().reverse());
  }
}

/**
 * Selects assets of `graph` by a selection expression (Dagster's syntax) or a parsed one.
 * Returns the selected keys in the graph's order; a selection that matches nothing returns
 * `[]` (whether that is an error is the caller's decision).
 *
 * `status:VALUE` selects the assets `options.statusOf(VALUE)` returns.
 *
 * @throws SelectionError when `expression` is a string that does not parse, or uses `status:`
 *   without `options.statusOf`.
 * @example
 * const graph = { assets: [
 *   { key: "raw/orders", group: "ingest", tags: {}, owners: [], kinds: ["csv"], deps: [] },
 *   { key: "orders", group: "core", tags: { pii: "" }, owners: [], kinds: [], deps: ["raw/orders"] },
 *   { key: "report", group: "core", tags: {}, owners: [], kinds: [], deps: ["orders"] },
 * ] };
 * selectAssets("+key:orders", graph); // ["raw/orders", "orders"]
 * selectAssets("group:core and not tag:pii", graph); // ["report"]
 */
export function selectAssets(expression: string | SelectionNode, graph: SelectableGraph, options: SelectOptions = {}): string[] {
  const node = typeof expression === "string" ? parseSelection(expression) : expression;
  const index = buildIndex(graph);
  const selected = evaluate(node, index, options);
  const keys: string[] = [];
  selected.forEach((isSelected, position) => {
    if (isSelected) keys.push(index.assets[position]!.key);
  });
  return keys;
}

/** The `status:` values an expression uses, each once, in order of appearance (none: a static selection). */
export function statusValuesOf(expression: string | SelectionNode): AssetStatusValue[] {
  const values = new Set<AssetStatusValue>();
  const pending: SelectionNode[] = [typeof expression === "string" ? parseSelection(expression) : expression];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.type === "status") values.add(node.value);
    else if (node.type === "and" || node.type === "or") pending.push(node.right, node.left);
    else if ("operand" in node) pending.push(node.operand);
  }
  return [...values];
}

/**
 * A `statusOf` for selections fixed at load (`what`: "a job's selection"): any `status:` in them is
 * refused, since what it selects changes as runs happen.
 */
export function refuseStatus(what: string): StatusOf {
  return (value) => {
    throw new SelectionError(
      `status:${value} depends on the instance, so it cannot be used in ${what}; select by key, group, tag, owner or kind ` +
        `(status: works in sluice materialize --select, and in the UI).`,
      `status:${value}`,
    );
  };
}
