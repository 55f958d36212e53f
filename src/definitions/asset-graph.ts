import { upstreamKeys, type AssetDefinition } from "./asset.js";
import { DefinitionError } from "./errors.js";

/** The serializable facts about one asset that selection, planning and the UI need. */
export interface AssetNode {
  key: string;
  group: string;
  description: string | undefined;
  tags: Record<string, string>;
  owners: string[];
  kinds: string[];
  /** Upstream keys (inputs and ordering-only deps). */
  deps: string[];
}

/**
 * The asset dependency graph: nodes in a topological order (upstream before downstream, otherwise
 * in declaration order), with parent and child lookups.
 */
export class AssetGraph {
  /** Nodes, topologically sorted. */
  readonly assets: readonly AssetNode[];
  private readonly byKey: Map<string, AssetNode>;
  private readonly childrenByKey: Map<string, string[]>;

  private constructor(sorted: AssetNode[]) {
    this.assets = sorted;
    this.byKey = new Map(sorted.map((n) => [n.key, n]));
    this.childrenByKey = new Map(sorted.map((n) => [n.key, []]));
    for (const node of sorted) {
      for (const dep of node.deps) this.childrenByKey.get(dep)?.push(node.key);
    }
  }

  /**
   * Builds the graph, checking that every dependency exists and that there is no cycle.
   * Throws DefinitionError naming the asset (and, for a cycle, its whole path).
   */
  static fromDefinitions(definitions: readonly AssetDefinition<unknown>[]): AssetGraph {
    const nodes = new Map<string, AssetNode>();
    for (const def of definitions) {
      nodes.set(def.key, {
        key: def.key,
        group: def.group,
        description: def.description,
        tags: { ...def.tags },
        owners: [...def.owners],
        kinds: [...def.kinds],
        deps: upstreamKeys(def),
      });
    }
    for (const def of definitions) {
      for (const [input, upstream] of Object.entries(def.ins)) {
        if (!nodes.has(upstream)) {
          throw new DefinitionError(
            `Asset "${def.key}" takes input "${input}" from asset "${upstream}", which is not defined. ` +
              `Add "${upstream}" to the assets of your Definitions, or fix the key.`,
            def.key,
          );
        }
      }
      for (const dep of def.deps) {
        if (!nodes.has(dep)) {
          throw new DefinitionError(
            `Asset "${def.key}" depends on "${dep}", which is not defined. ` +
              `Add "${dep}" to the assets of your Definitions, or fix the key.`,
            def.key,
          );
        }
      }
    }
    return new AssetGraph(topologicalSort(nodes));
  }

  /** The node, or undefined. */
  get(key: string): AssetNode | undefined {
    return this.byKey.get(key);
  }

  /** True when the key is an asset of the graph. */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Upstream keys of an asset. */
  parents(key: string): readonly string[] {
    return this.byKey.get(key)?.deps ?? [];
  }

  /** Downstream keys of an asset. */
  children(key: string): readonly string[] {
    return this.childrenByKey.get(key) ?? [];
  }

  /** Asset keys in topological order. */
  keys(): string[] {
    return this.assets.map((n) => n.key);
  }
}

/**
 * Depth-first post-order, iterative so a 10,000-asset chain cannot overflow the stack. Visiting
 * roots in declaration order keeps the result stable between loads. Throws DefinitionError with
 * the cycle's path; `noun` names the nodes in that message ("Assets", "Ops of job x").
 */
export function topologicalSort<T extends { key: string; deps: readonly string[] }>(nodes: Map<string, T>, noun = "Assets"): T[] {
  const state = new Map<string, "visiting" | "done">();
  const sorted: T[] = [];
  for (const root of nodes.keys()) {
    if (state.has(root)) continue;
    const stack: { key: string; next: number }[] = [{ key: root, next: 0 }];
    state.set(root, "visiting");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const node = nodes.get(frame.key)!;
      if (frame.next < node.deps.length) {
        const dep = node.deps[frame.next++]!;
        const depState = state.get(dep);
        if (depState === "visiting") throw cycleError(stack.map((f) => f.key), dep, noun);
        if (depState === undefined) {
          state.set(dep, "visiting");
          stack.push({ key: dep, next: 0 });
        }
      } else {
        stack.pop();
        state.set(frame.key, "done");
        sorted.push(node);
      }
    }
  }
  return sorted;
}

function cycleError(path: string[], closing: string, noun: string): DefinitionError {
  // The stack runs downstream → upstream; print the cycle in dependency order (upstream first).
  const start = path.indexOf(closing);
  const cycle = path.slice(start).reverse();
  const text = [...cycle, cycle[0]].map((k) => `"${k}"`).join(" → ");
  return new DefinitionError(
    `${noun} form a dependency cycle: ${text}. Each arrow means "is needed by". ` +
      `Remove one of these dependencies so that no asset needs itself.`,
    closing,
  );
}
