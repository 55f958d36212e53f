/**
 * The lineage view's geometry (ui/src/lineage), which runs in a Web Worker in the browser and is
 * pure TypeScript, so it is checked here directly: group boxes hold their assets and never
 * overlap, edges point right, collapsed groups merge their edges, a selection shows only its assets,
 * and the linear-time layout used for big groups keeps those properties on 10,000 assets.
 */
import { describe, expect, it } from "vitest";
import { layeredLayout, type LayoutBox, type LayoutEdge } from "../../ui/src/lineage/layered-layout.js";
import { DAGRE_MAX_BOXES, LINEAGE_SIZES, LineageGraph, type GraphAsset, type LineageLayout, type PlacedGroup } from "../../ui/src/lineage/lineage-layout.js";

/** The quickstart's six assets in three groups. */
const QUICKSTART: GraphAsset[] = [
  { key: "raw/orders", group: "ingest", deps: [] },
  { key: "raw/customers", group: "ingest", deps: [] },
  { key: "clean/orders", group: "transform", deps: ["raw/orders"] },
  { key: "report/daily_revenue", group: "report", deps: ["clean/orders"] },
  { key: "report/revenue_by_country", group: "report", deps: ["clean/orders", "raw/customers"] },
  { key: "export/daily_revenue_csv", group: "report", deps: ["report/daily_revenue"] },
];

function overlaps(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function assetBox(layout: LineageLayout, key: string) {
  const a = layout.assets.find((x) => x.key === key);
  if (!a) throw new Error(`asset ${key} is not in the layout`);
  return { ...a, width: LINEAGE_SIZES.assetWidth, height: LINEAGE_SIZES.assetHeight };
}

function group(layout: LineageLayout, name: string): PlacedGroup {
  const g = layout.groups.find((x) => x.name === name);
  if (!g) throw new Error(`group ${name} is not in the layout`);
  return g;
}

/** A layered random DAG like bench/ui.ts generates: `layers` ranks, 1–3 parents in the previous rank. */
function layeredDag(n: number, layers: number, groups: number): GraphAsset[] {
  let seed = 42;
  const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const perLayer = Math.ceil(n / layers);
  const assets: GraphAsset[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / perLayer);
    const deps = new Set<string>();
    if (layer > 0) for (let k = 1 + Math.floor(random() * 3); k > 0; k--) deps.add(`a${(layer - 1) * perLayer + Math.floor(random() * perLayer)}`);
    assets.push({ key: `a${i}`, group: `g${Math.floor((i % perLayer) / (perLayer / groups)) + groups * Math.floor(layer / (layers / 2))}`, deps: [...deps] });
  }
  return assets;
}

describe("lineage layout", () => {
  it("puts every asset inside its group's box, boxes apart, edges left to right", () => {
    const layout = new LineageGraph(QUICKSTART).layout({ visible: null, expanded: ["ingest", "transform", "report"] });
    expect(layout.groups.map((g) => [g.name, g.assetCount, g.expanded])).toEqual([
      ["ingest", 2, true],
      ["transform", 1, true],
      ["report", 3, true],
    ]);
    expect(layout.assets).toHaveLength(6);
    for (const a of layout.assets) {
      const box = group(layout, a.group);
      const node = assetBox(layout, a.key);
      expect(node.x).toBeGreaterThanOrEqual(box.x);
      expect(node.y).toBeGreaterThanOrEqual(box.y + LINEAGE_SIZES.groupHeader);
      expect(node.x + node.width).toBeLessThanOrEqual(box.x + box.width);
      expect(node.y + node.height).toBeLessThanOrEqual(box.y + box.height);
    }
    for (const a of layout.groups) for (const b of layout.groups) if (a !== b) expect(overlaps(a, b), `${a.name} / ${b.name}`).toBe(false);
    for (const a of layout.assets) for (const b of layout.assets) if (a !== b) expect(overlaps(assetBox(layout, a.key), assetBox(layout, b.key))).toBe(false);
    // Every dependency is an edge, drawn from left to right.
    expect(layout.edges.map((e) => e.id).sort()).toEqual(
      [
        "asset:raw/orders->asset:clean/orders",
        "asset:clean/orders->asset:report/daily_revenue",
        "asset:clean/orders->asset:report/revenue_by_country",
        "asset:raw/customers->asset:report/revenue_by_country",
        "asset:report/daily_revenue->asset:export/daily_revenue_csv",
      ].sort(),
    );
    for (const e of layout.edges) {
      const from = assetBox(layout, e.source.slice("asset:".length));
      const to = assetBox(layout, e.target.slice("asset:".length));
      expect(from.x + from.width, e.id).toBeLessThan(to.x);
    }
  });

  it("shows a collapsed group as one node and merges the edges through it", () => {
    const layout = new LineageGraph(QUICKSTART).layout({ visible: null, expanded: ["transform"] });
    expect(layout.assets.map((a) => a.key)).toEqual(["clean/orders"]);
    const ingest = group(layout, "ingest");
    expect([ingest.expanded, ingest.assetCount, ingest.width, ingest.height]).toEqual([false, 2, LINEAGE_SIZES.groupWidth, LINEAGE_SIZES.groupHeight]);
    expect(layout.edges.map((e) => [e.id, e.count]).sort()).toEqual([
      ["asset:clean/orders->group:report", 2],
      ["group:ingest->asset:clean/orders", 1],
      ["group:ingest->group:report", 1],
    ]);
    expect(group(layout, "ingest").x).toBeLessThan(group(layout, "transform").x);
    expect(group(layout, "transform").x).toBeLessThan(group(layout, "report").x);
  });

  it("shows only the assets of a selection, and the groups that hold them", () => {
    const layout = new LineageGraph(QUICKSTART).layout({ visible: ["raw/orders", "clean/orders", "no/such/asset"], expanded: ["ingest", "transform", "report"] });
    expect(layout.groups.map((g) => [g.name, g.assetCount])).toEqual([
      ["ingest", 1],
      ["transform", 1],
    ]);
    expect(layout.assets.map((a) => a.key)).toEqual(["raw/orders", "clean/orders"]);
    expect(layout.edges.map((e) => e.id)).toEqual(["asset:raw/orders->asset:clean/orders"]);
  });

  it("places groups that feed each other (a cycle between groups) side by side, in the order data flows", () => {
    // a and b exchange data both ways (a1 → b2, b1 → a2); c reads both; d reads c.
    const assets: GraphAsset[] = [
      { key: "a1", group: "a", deps: [] },
      { key: "b1", group: "b", deps: [] },
      { key: "a2", group: "a", deps: ["a1", "b1"] },
      { key: "b2", group: "b", deps: ["b1", "a1"] },
      { key: "c1", group: "c", deps: ["a2", "b2"] },
      { key: "d1", group: "d", deps: ["c1"] },
    ];
    const layout = new LineageGraph(assets).layout({ visible: null, expanded: [] });
    expect(group(layout, "a").x).toBe(group(layout, "b").x);
    expect(group(layout, "a").x).toBeLessThan(group(layout, "c").x);
    expect(group(layout, "c").x).toBeLessThan(group(layout, "d").x);
    expect(overlaps(group(layout, "a"), group(layout, "b"))).toBe(false);
  });

  it("lays out 10,000 assets in groups too big for dagre with the same guarantees", () => {
    const assets = layeredDag(10_000, 20, 10);
    const groups = new Set(assets.map((a) => a.group));
    const everything = [...groups];
    const layout = new LineageGraph(assets).layout({ visible: null, expanded: everything });
    expect(layout.assets).toHaveLength(10_000);
    expect(layout.groups).toHaveLength(groups.size);
    expect(Math.max(...layout.groups.map((g) => g.assetCount))).toBeGreaterThan(DAGRE_MAX_BOXES);
    for (const a of layout.groups) for (const b of layout.groups) if (a !== b) expect(overlaps(a, b), `${a.name} / ${b.name}`).toBe(false);
    const byKey = new Map(layout.assets.map((a) => [a.key, a]));
    for (const asset of assets) {
      const node = byKey.get(asset.key)!;
      const box = group(layout, asset.group);
      expect(node.x >= box.x && node.y >= box.y && node.x + LINEAGE_SIZES.assetWidth <= box.x + box.width && node.y + LINEAGE_SIZES.assetHeight <= box.y + box.height).toBe(true);
      for (const dep of asset.deps) {
        // Within a group, an upstream asset is in a column further left.
        if (assets[Number(dep.slice(1))]!.group === asset.group) expect(byKey.get(dep)!.x).toBeLessThan(node.x);
      }
    }
    const overview = new LineageGraph(assets).layout({ visible: null, expanded: [] });
    expect(overview.assets).toHaveLength(0);
    expect(overview.groups.every((g) => !g.expanded)).toBe(true);
    expect(overview.edges.reduce((sum, e) => sum + e.count, 0)).toBe(
      assets.reduce((sum, a) => sum + a.deps.filter((d) => assets[Number(d.slice(1))]!.group !== a.group).length, 0),
    );
  });
});

describe("layeredLayout", () => {
  const boxes = (ids: string[]): LayoutBox[] => ids.map((id) => ({ id, width: 100, height: 40 }));

  it("keeps boxes of one column apart and edges pointing right", () => {
    const edges: LayoutEdge[] = [
      { from: "a", to: "c" },
      { from: "b", to: "c" },
      { from: "c", to: "d" },
      { from: "c", to: "e" },
      { from: "a", to: "e" },
    ];
    const { positions, width, height } = layeredLayout(boxes(["a", "b", "c", "d", "e"]), edges, { rankSep: 50, nodeSep: 10 });
    for (const e of edges) expect(positions.get(e.from)!.x + 100, `${e.from}->${e.to}`).toBeLessThan(positions.get(e.to)!.x);
    const [a, b] = [positions.get("a")!, positions.get("b")!];
    expect(a.x).toBe(b.x);
    expect(Math.abs(a.y - b.y)).toBeGreaterThanOrEqual(50);
    expect(width).toBe(3 * 100 + 2 * 50);
    expect(height).toBeGreaterThanOrEqual(90);
    for (const p of positions.values()) expect(p.y >= 0 && p.y + 40 <= height + 1e-9).toBe(true);
  });

  it("places every box of a cyclic graph (the edge that closes the cycle points back)", () => {
    const { positions } = layeredLayout(
      boxes(["a", "b", "c"]),
      [
        { from: "a", to: "b" },
        { from: "b", to: "c" },
        { from: "c", to: "a" },
        { from: "a", to: "a" },
        { from: "a", to: "zzz" },
      ],
      { rankSep: 50, nodeSep: 10 },
    );
    expect(positions.size).toBe(3);
    expect(positions.get("a")!.x).toBeLessThan(positions.get("b")!.x);
    expect(positions.get("b")!.x).toBeLessThan(positions.get("c")!.x);
  });
});
