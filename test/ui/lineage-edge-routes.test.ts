/**
 * Edge routing of the lineage layout (ui/src/lineage/edge-routes.ts): every edge, sampled along the
 * very curves the page draws (edge-path.ts), stays clear of every node it does not connect — assets,
 * collapsed groups, and the boxes of other groups — in layouts where a straight edge would cross
 * nodes, with dagre and with the linear layout, between groups in columns and back across a cycle.
 */
import { describe, expect, it } from "vitest";
import { samplePath } from "../../ui/src/lineage/edge-path.js";
import type { Point } from "../../ui/src/lineage/layered-layout.js";
import { assetNodeId, DAGRE_MAX_BOXES, groupNodeId, LINEAGE_SIZES, LineageGraph, type GraphAsset, type LineageLayout, type PlacedEdge } from "../../ui/src/lineage/lineage-layout.js";

interface Rect {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The rectangles an edge must not cross: nodes (assets, collapsed groups) and expanded groups' boxes. */
function obstacles(layout: LineageLayout): { nodes: Map<string, Rect>; boxes: Rect[] } {
  const nodes = new Map<string, Rect>();
  const boxes: Rect[] = [];
  const { assetWidth, assetHeight } = LINEAGE_SIZES;
  for (const a of layout.assets) nodes.set(assetNodeId(a.key), { id: assetNodeId(a.key), x: a.x, y: a.y, width: assetWidth, height: assetHeight });
  for (const g of layout.groups) {
    const rect = { id: groupNodeId(g.name), x: g.x, y: g.y, width: g.width, height: g.height };
    if (g.expanded) boxes.push(rect);
    else nodes.set(rect.id, rect);
  }
  return { nodes, boxes };
}

/** The edge's drawn path: from its source's right side through its bends to its target's left side. */
function pathOf(edge: PlacedEdge, nodes: Map<string, Rect>, withBends = true): Point[] {
  const s = nodes.get(edge.source)!;
  const t = nodes.get(edge.target)!;
  return [{ x: s.x + s.width, y: s.y + s.height / 2 }, ...(withBends ? (edge.via ?? []) : []), { x: t.x, y: t.y + t.height / 2 }];
}

/** Whether segment a–b passes through the inside of `r` (its border may be touched). */
function crosses(a: Point, b: Point, r: Rect): boolean {
  const e = 0.5;
  const [x0, x1, y0, y1] = [r.x + e, r.x + r.width - e, r.y + e, r.y + r.height - e];
  // Liang–Barsky clipping of the segment against the (slightly shrunk) rectangle.
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  for (const [p, q] of [
    [-dx, a.x - x0],
    [dx, x1 - a.x],
    [-dy, a.y - y0],
    [dy, y1 - a.y],
  ] as const) {
    if (p === 0) {
      if (q < 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return true;
}

/** Rectangles in a grid of cells, to find those near a segment without trying them all. */
class Grid {
  private readonly cells = new Map<string, Rect[]>();
  constructor(
    rects: Iterable<Rect>,
    private readonly size = 400,
  ) {
    for (const r of rects) this.cover(r.x, r.y, r.x + r.width, r.y + r.height, (key) => {
      let list = this.cells.get(key);
      if (!list) this.cells.set(key, (list = []));
      list.push(r);
    });
  }
  private cover(x0: number, y0: number, x1: number, y1: number, visit: (key: string) => void): void {
    for (let i = Math.floor(x0 / this.size); i <= Math.floor(x1 / this.size); i++) for (let j = Math.floor(y0 / this.size); j <= Math.floor(y1 / this.size); j++) visit(`${i},${j}`);
  }
  near(a: Point, b: Point): Set<Rect> {
    const out = new Set<Rect>();
    this.cover(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(a.x, b.x), Math.max(a.y, b.y), (key) => this.cells.get(key)?.forEach((r) => out.add(r)));
    return out;
  }
}

/**
 * Every crossing of an edge with a node or box that is not its own: "<edge> crosses <id>". An
 * edge may pass inside the boxes of the groups it leaves and enters, never through other groups'.
 */
function crossings(layout: LineageLayout, withBends = true): string[] {
  const { nodes, boxes } = obstacles(layout);
  const grid = new Grid([...nodes.values(), ...boxes]);
  const groupOfNode = new Map<string, string>([...layout.assets.map((a) => [assetNodeId(a.key), groupNodeId(a.group)] as const)]);
  const found: string[] = [];
  for (const edge of layout.edges) {
    const own = new Set([edge.source, edge.target, groupOfNode.get(edge.source) ?? edge.source, groupOfNode.get(edge.target) ?? edge.target]);
    const samples = samplePath(pathOf(edge, nodes, withBends), 16);
    for (let i = 1; i < samples.length; i++) {
      for (const r of grid.near(samples[i - 1]!, samples[i]!)) {
        if (!own.has(r.id) && crosses(samples[i - 1]!, samples[i]!, r)) found.push(`${edge.id} crosses ${r.id}`);
      }
    }
  }
  return [...new Set(found)];
}

/** `chains` chains a→b→c→d in one group, each with a shortcut a→d that a straight line would draw through b and c. */
function shortcuts(chains: number, group = "g"): GraphAsset[] {
  const assets: GraphAsset[] = [];
  for (let i = 0; i < chains; i++) {
    assets.push(
      { key: `a${i}`, group, deps: [] },
      { key: `b${i}`, group, deps: [`a${i}`] },
      { key: `c${i}`, group, deps: [`b${i}`] },
      { key: `d${i}`, group, deps: [`c${i}`, `a${i}`] },
    );
  }
  return assets;
}

/** A layered random DAG like bench/ui.ts generates (see lineage-layout.test.ts), with edges that skip layers too. */
function layeredDag(n: number, layers: number, groups: number): GraphAsset[] {
  let seed = 7;
  const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const perLayer = Math.ceil(n / layers);
  const assets: GraphAsset[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / perLayer);
    const deps = new Set<string>();
    for (let k = 1 + Math.floor(random() * 3); layer > 0 && k > 0; k--) {
      const from = Math.max(0, layer - 1 - (random() < 0.15 ? Math.floor(random() * 4) : 0));
      deps.add(`a${from * perLayer + Math.floor(random() * perLayer)}`);
    }
    assets.push({ key: `a${i}`, group: `g${Math.floor((i % perLayer) / (perLayer / groups)) + groups * Math.floor(layer / (layers / 2))}`, deps: [...deps] });
  }
  return assets;
}

describe("lineage edge routing", () => {
  it("routes a shortcut around the assets between its ends (dagre's layout of a small group)", () => {
    const layout = new LineageGraph(shortcuts(2)).layout({ visible: null, expanded: ["g"] });
    expect(layout.assets.length).toBeLessThanOrEqual(DAGRE_MAX_BOXES);
    expect(crossings(layout)).toEqual([]);
  });

  it("routes shortcuts around the assets between their ends in the linear layout of a big group", () => {
    const layout = new LineageGraph(shortcuts(15)).layout({ visible: null, expanded: ["g"] });
    expect(layout.assets.length).toBeGreaterThan(DAGRE_MAX_BOXES);
    // Without its bends, the shortcut a0 → d0 would be drawn straight through b0 and c0.
    expect(crossings(layout, false)).toEqual(expect.arrayContaining(["asset:a0->asset:d0 crosses asset:b0", "asset:a0->asset:d0 crosses asset:c0"]));
    expect(crossings(layout)).toEqual([]);
    // One straight run, at a free height, across the two columns it crosses.
    const shortcut = layout.edges.find((e) => e.id === "asset:a0->asset:d0")!;
    const [b0, c0] = ["b0", "c0"].map((k) => layout.assets.find((a) => a.key === k)!);
    expect(shortcut.via).toHaveLength(2);
    expect(shortcut.via![0]!.y).toBe(shortcut.via![1]!.y);
    expect(shortcut.via![0]!.x).toBeLessThanOrEqual(b0!.x);
    expect(shortcut.via![1]!.x).toBeGreaterThanOrEqual(c0!.x + LINEAGE_SIZES.assetWidth);
  });

  it("routes edges between groups out of their group, around the groups between, and into the target's group", () => {
    // ingest feeds stage, which feeds report; ingest also feeds report directly (past stage).
    const assets: GraphAsset[] = [
      ...shortcuts(3, "ingest"),
      { key: "s1", group: "stage", deps: ["d0", "d1", "d2"] },
      { key: "s2", group: "stage", deps: ["s1"] },
      { key: "s3", group: "stage", deps: ["s2"] },
      { key: "r1", group: "report", deps: ["s3"] },
      { key: "r2", group: "report", deps: ["r1", "b1"] },
      { key: "r3", group: "report", deps: ["r2", "a2"] },
    ];
    const graph = new LineageGraph(assets);
    const expanded = graph.layout({ visible: null, expanded: ["ingest", "stage", "report"] });
    expect(crossings(expanded, false).length).toBeGreaterThan(0);
    expect(crossings(expanded)).toEqual([]);
    // Into report past r1: at the group's side, away from r1's height (else it would read as an edge into r1).
    const report = expanded.groups.find((g) => g.name === "report")!;
    const r1 = expanded.assets.find((a) => a.key === "r1")!;
    for (const id of ["asset:b1->asset:r2", "asset:a2->asset:r3"]) {
      const entry = expanded.edges.find((e) => e.id === id)!.via!.find((p) => p.x === report.x)!;
      expect(entry.y < r1.y || entry.y > r1.y + LINEAGE_SIZES.assetHeight, id).toBe(true);
    }
    // Collapsed groups are nodes that edges go around as well.
    for (const open of [["ingest"], ["report"], ["stage"], []]) expect(crossings(graph.layout({ visible: null, expanded: open })), open.join()).toEqual([]);
  });

  it("routes the edges of groups that feed each other (same column) around, entering from the left", () => {
    const assets: GraphAsset[] = [
      { key: "a1", group: "a", deps: [] },
      { key: "b1", group: "b", deps: [] },
      { key: "a2", group: "a", deps: ["a1", "b1"] },
      { key: "b2", group: "b", deps: ["b1", "a1"] },
      { key: "c1", group: "c", deps: ["a2", "b2"] },
      { key: "d1", group: "d", deps: ["c1"] },
    ];
    const graph = new LineageGraph(assets);
    for (const expanded of [[], ["a", "b", "c", "d"]]) {
      const layout = graph.layout({ visible: null, expanded });
      expect(crossings(layout), expanded.join()).toEqual([]);
      const { nodes } = obstacles(layout);
      // Every edge arrives at its target's left side from the left: the last bend is left of it.
      for (const edge of layout.edges) {
        const path = pathOf(edge, nodes);
        expect(path.at(-2)!.x, edge.id).toBeLessThanOrEqual(path.at(-1)!.x);
      }
    }
  });

  it("keeps 3,000 assets' edges, some skipping layers, clear of every node", () => {
    const assets = layeredDag(3_000, 12, 4);
    const graph = new LineageGraph(assets);
    const groups = [...new Set(assets.map((a) => a.group))];
    const layout = graph.layout({ visible: null, expanded: groups });
    expect(layout.assets).toHaveLength(3_000);
    expect(crossings(layout, false).length).toBeGreaterThan(0);
    expect(crossings(layout)).toEqual([]);
    expect(crossings(graph.layout({ visible: null, expanded: [] }))).toEqual([]);
  });
});
