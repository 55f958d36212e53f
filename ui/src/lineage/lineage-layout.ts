/**
 * The lineage graph's geometry, in two levels: each expanded group is laid out on its own (its
 * assets and the edges between them), then the groups are laid out as boxes (an expanded group as
 * big as its content, a collapsed one as one node), edges between groups ordering them left to
 * right. Group boxes therefore never overlap, a group's layout is reused while only other groups
 * change, and a huge graph can start as one node per group.
 *
 * Small sparse graphs go through dagre, whose layouts are the nicer; the others through
 * `layeredLayout`, which stays linear. Either way, edges are then routed around the boxes they do
 * not touch (edge-routes.ts): through each group's columns, then between the groups' columns.
 * Dagre's cost grows fast with edges and cycles: measured here, 20 boxes with 280 edges (the bench's group graph) 3 s, 100 boxes
 * with 200 edges 0.3–0.7 s, 10 boxes with 65 edges 0.1–0.2 s, 1,000 boxes of the bench's shape 32 s.
 *
 * Pure (no DOM): it runs in the layout worker and in unit tests. Imports carry `.js` so that the
 * tests' NodeNext resolution and Vite both accept them.
 */
import dagre from "@dagrejs/dagre";
import { EdgeRouter, RoutePoints } from "./edge-routes.js";
import { layeredLayout, type LayoutBox, type LayoutEdge, type LayoutSpacing, type PlacedLayout, type Point } from "./layered-layout.js";

/** What the layout needs of an asset. */
export interface GraphAsset {
  key: string;
  group: string;
  /** Upstream keys; keys that are not in the graph are ignored. */
  deps: readonly string[];
}

/** Which part of the graph to show. */
export interface LineageLayoutRequest {
  /** Keys to show (a selection), or null for every asset. */
  visible: readonly string[] | null;
  /** Groups shown with their assets inside; the other groups are one node each. */
  expanded: readonly string[];
}

/** A group, as a box around its assets (expanded) or as one node. Coordinates are top-left. */
export interface PlacedGroup {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  expanded: boolean;
  /** Its assets that are shown (or that it stands for, when collapsed). */
  assetCount: number;
}

/** An asset of an expanded group, in graph coordinates. */
export interface PlacedAsset {
  key: string;
  group: string;
  x: number;
  y: number;
}

/** An edge between two shown nodes (node ids of `assetNodeId`/`groupNodeId`); `count` asset edges merged in it. */
export interface PlacedEdge {
  id: string;
  source: string;
  target: string;
  count: number;
  /**
   * Points to pass through between the ends, so that the edge goes around every box it does not
   * touch (through the gaps of the columns it crosses); absent when a plain curve is clear.
   */
  via?: Point[];
}

/** The whole picture. */
export interface LineageLayout {
  groups: PlacedGroup[];
  assets: PlacedAsset[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/** Sizes of what is drawn, in pixels; the node components use the same. */
export const LINEAGE_SIZES = {
  assetWidth: 250,
  assetHeight: 78,
  groupWidth: 250,
  groupHeight: 96,
  groupPadding: 20,
  groupHeader: 38,
} as const;

/** Above this many boxes in one layout, `layeredLayout` replaces dagre. */
export const DAGRE_MAX_BOXES = 40;
/** Above this many edges per box in one layout, `layeredLayout` replaces dagre (dense graphs are its slow case). */
export const DAGRE_MAX_EDGES_PER_BOX = 1.5;

const ASSET_SPACING: LayoutSpacing = { rankSep: 70, nodeSep: 18 };
const GROUP_SPACING: LayoutSpacing = { rankSep: 90, nodeSep: 40 };
const CACHE_LIMIT = 2000;

/** The xyflow node id of an asset. */
export function assetNodeId(key: string): string {
  return `asset:${key}`;
}

/** The xyflow node id of a group (its box when expanded, its node when collapsed). */
export function groupNodeId(name: string): string {
  return `group:${name}`;
}

/** Places boxes with dagre when it is fast enough, else with `layeredLayout`. */
export function placeBoxes(boxes: readonly LayoutBox[], edges: readonly LayoutEdge[], spacing: LayoutSpacing): PlacedLayout {
  if (boxes.length > DAGRE_MAX_BOXES || edges.length > boxes.length * DAGRE_MAX_EDGES_PER_BOX) return layeredLayout(boxes, edges, spacing);
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", ranksep: spacing.rankSep, nodesep: spacing.nodeSep, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const box of boxes) g.setNode(box.id, { width: box.width, height: box.height });
  for (const edge of edges) {
    if (edge.from !== edge.to && g.hasNode(edge.from) && g.hasNode(edge.to)) g.setEdge(edge.from, edge.to);
  }
  dagre.layout(g);
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  const centers = boxes.map((box) => {
    const node = g.node(box.id) as { x: number; y: number };
    minX = Math.min(minX, node.x - box.width / 2);
    minY = Math.min(minY, node.y - box.height / 2);
    maxX = Math.max(maxX, node.x + box.width / 2);
    maxY = Math.max(maxY, node.y + box.height / 2);
    return node;
  });
  const positions = new Map<string, Point>();
  boxes.forEach((box, i) => {
    const c = centers[i]!;
    positions.set(box.id, { x: c.x - box.width / 2 - minX, y: c.y - box.height / 2 - minY });
  });
  return { positions, width: boxes.length ? maxX - minX : 0, height: boxes.length ? maxY - minY : 0 };
}

function isAcyclic(boxes: readonly LayoutBox[], edges: readonly LayoutEdge[]): boolean {
  const waiting = new Map(boxes.map((b) => [b.id, 0]));
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (e.from === e.to || !waiting.has(e.from) || !waiting.has(e.to)) continue;
    waiting.set(e.to, waiting.get(e.to)! + 1);
    out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  }
  const queue = boxes.filter((b) => waiting.get(b.id) === 0).map((b) => b.id);
  for (let i = 0; i < queue.length; i++) {
    for (const next of out.get(queue[i]!) ?? []) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  return queue.length === boxes.length;
}

/** An asset graph indexed once, laid out on request; each group's inner layout is cached. */
export class LineageGraph {
  private readonly groupOf = new Map<string, string>();
  /** Group names in order of first appearance (the snapshot's topological order). */
  private readonly groupNames: string[] = [];
  private readonly membersOf = new Map<string, string[]>();
  /** Every asset edge whose both ends exist: [upstream, downstream]. */
  private readonly edges: [string, string][] = [];
  private readonly innerCache = new Map<string, PlacedLayout>();
  /** Each inner layout's boxes by column, made when an edge is first routed through it. */
  private readonly routers = new WeakMap<PlacedLayout, EdgeRouter>();
  /** Longest path from a root, per asset: where the asset stands in the flow of data. */
  private readonly assetRank = new Map<string, number>();

  constructor(assets: readonly GraphAsset[]) {
    for (const asset of assets) {
      this.groupOf.set(asset.key, asset.group);
      let members = this.membersOf.get(asset.group);
      if (!members) {
        members = [];
        this.membersOf.set(asset.group, members);
        this.groupNames.push(asset.group);
      }
      members.push(asset.key);
    }
    for (const asset of assets) {
      for (const dep of asset.deps) if (dep !== asset.key && this.groupOf.has(dep)) this.edges.push([dep, asset.key]);
    }
    this.rankAssets(assets);
  }

  // Definitions are acyclic (they are validated when loaded); an asset on a cycle would keep rank 0.
  private rankAssets(assets: readonly GraphAsset[]): void {
    const waiting = new Map<string, number>();
    const children = new Map<string, string[]>();
    for (const a of assets) waiting.set(a.key, 0);
    for (const [from, to] of this.edges) {
      waiting.set(to, waiting.get(to)! + 1);
      let list = children.get(from);
      if (!list) children.set(from, (list = []));
      list.push(to);
    }
    const queue = assets.filter((a) => waiting.get(a.key) === 0).map((a) => a.key);
    for (const key of queue) this.assetRank.set(key, 0);
    for (let i = 0; i < queue.length; i++) {
      const key = queue[i]!;
      for (const child of children.get(key) ?? []) {
        this.assetRank.set(child, Math.max(this.assetRank.get(child) ?? 0, this.assetRank.get(key)! + 1));
        const left = waiting.get(child)! - 1;
        waiting.set(child, left);
        if (left === 0) queue.push(child);
      }
    }
  }

  /**
   * Groups' columns: by the group graph's own ranks (dagre)
   * when it is small, sparse and acyclic; else by where each group's data starts (the lowest
   * rank of its shown assets), since the longest-path ranks of a cyclic group graph stretch it
   * into one long chain (measured on the bench's 40 groups: 38 columns in one row).
   */
  private placeGroups(boxes: LayoutBox[], edges: LayoutEdge[], shownMembers: ReadonlyMap<string, string[]>): PlacedLayout {
    if (boxes.length <= DAGRE_MAX_BOXES && edges.length <= boxes.length * DAGRE_MAX_EDGES_PER_BOX && isAcyclic(boxes, edges)) {
      return placeBoxes(boxes, edges, GROUP_SPACING);
    }
    const start = new Map<string, number>();
    for (const box of boxes) start.set(box.id, Math.min(...shownMembers.get(box.id)!.map((k) => this.assetRank.get(k) ?? 0)));
    return layeredLayout(boxes, edges, GROUP_SPACING, start);
  }

  /** The layout of the part of the graph that `request` shows. */
  layout(request: LineageLayoutRequest): LineageLayout {
    const visible = request.visible ? new Set(request.visible.filter((k) => this.groupOf.has(k))) : null;
    const isShown = (key: string) => visible === null || visible.has(key);
    const expanded = new Set(request.expanded);

    const shownMembers = new Map<string, string[]>();
    for (const name of this.groupNames) {
      const members = visible === null ? this.membersOf.get(name)! : this.membersOf.get(name)!.filter(isShown);
      if (members.length > 0) shownMembers.set(name, members);
    }

    const nodeOf = (key: string): string => {
      const group = this.groupOf.get(key)!;
      return expanded.has(group) ? assetNodeId(key) : groupNodeId(group);
    };
    const innerEdges = new Map<string, LayoutEdge[]>();
    const groupEdges = new Map<string, LayoutEdge>();
    const shownEdges = new Map<string, PlacedEdge>();
    // One asset edge per shown edge, to find its route once groups are placed (an array: looking
    // edges up by id again cost a tenth of the layout of 100,000 assets).
    const samples: { edge: PlacedEdge; from: string; to: string; fromGroup: string; toGroup: string }[] = [];
    for (const [from, to] of this.edges) {
      if (!isShown(from) || !isShown(to)) continue;
      const fromGroup = this.groupOf.get(from)!;
      const toGroup = this.groupOf.get(to)!;
      if (fromGroup === toGroup) {
        if (!expanded.has(fromGroup)) continue;
        let list = innerEdges.get(fromGroup);
        if (!list) innerEdges.set(fromGroup, (list = []));
        list.push({ from, to });
      } else {
        groupEdges.set(`${fromGroup}\u0000${toGroup}`, { from: fromGroup, to: toGroup });
      }
      const source = nodeOf(from);
      const target = nodeOf(to);
      const id = `${source}->${target}`;
      const edge = shownEdges.get(id);
      if (edge) edge.count++;
      else {
        const placed: PlacedEdge = { id, source, target, count: 1 };
        shownEdges.set(id, placed);
        samples.push({ edge: placed, from, to, fromGroup, toGroup });
      }
    }

    const { assetWidth, groupWidth, groupHeight, groupPadding, groupHeader } = LINEAGE_SIZES;
    const inner = new Map<string, PlacedLayout>();
    const groupBoxes: LayoutBox[] = [];
    for (const [name, members] of shownMembers) {
      if (!expanded.has(name)) {
        groupBoxes.push({ id: name, width: groupWidth, height: groupHeight });
        continue;
      }
      const placed = this.innerLayout(name, members, visible === null, innerEdges.get(name) ?? []);
      inner.set(name, placed);
      groupBoxes.push({
        id: name,
        width: Math.max(placed.width, assetWidth) + 2 * groupPadding,
        height: placed.height + groupHeader + 2 * groupPadding,
      });
    }
    const outer = this.placeGroups(groupBoxes, [...groupEdges.values()], shownMembers);

    const groups: PlacedGroup[] = [];
    const assets: PlacedAsset[] = [];
    for (const box of groupBoxes) {
      const at = outer.positions.get(box.id)!;
      const members = shownMembers.get(box.id)!;
      const placed = inner.get(box.id);
      groups.push({ name: box.id, x: at.x, y: at.y, width: box.width, height: box.height, expanded: placed !== undefined, assetCount: members.length });
      if (!placed) continue;
      for (const key of members) {
        const p = placed.positions.get(key)!;
        assets.push({ key, group: box.id, x: at.x + groupPadding + p.x, y: at.y + groupHeader + groupPadding + p.y });
      }
    }
    const groupSizes = new Map(groupBoxes.map((b) => [b.id, { width: b.width, height: b.height }]));
    const outerRouter = new EdgeRouter(outer.positions, groupSizes, { top: Number.NEGATIVE_INFINITY, bottom: Number.POSITIVE_INFINITY, loopY: -GROUP_SPACING.nodeSep / 2 });
    const routed = new Map<string, RoutedGroup>(groups.map((g) => [g.name, { group: g, inner: inner.get(g.name) ?? null, router: null }]));
    const points = new RoutePoints();
    for (const { edge, from, to, fromGroup, toGroup } of samples) {
      this.route(from, to, routed.get(fromGroup)!, routed.get(toGroup)!, outerRouter, points);
      const via = points.take();
      if (via) edge.via = via;
    }
    return { groups, assets, edges: [...shownEdges.values()], width: outer.width, height: outer.height };
  }

  /**
   * The bends of the edge drawn for asset edge `from` → `to` (between assets, or groups standing
   * for them), into `out` in graph coordinates: within one group through its columns; between
   * groups out through the source group's columns, between the groups' columns (around the groups
   * in between), and in through the target group's columns.
   */
  private route(from: string, to: string, source: RoutedGroup, target: RoutedGroup, outerRouter: EdgeRouter, out: RoutePoints): void {
    const fromGroup = source.group;
    const toGroup = target.group;
    // A group's inner layout starts this far from the group's corner.
    const { groupPadding: innerX } = LINEAGE_SIZES;
    const innerY = LINEAGE_SIZES.groupHeader + LINEAGE_SIZES.groupPadding;
    if (source === target) {
      if (!source.inner) return;
      out.dx = fromGroup.x + innerX;
      out.dy = fromGroup.y + innerY;
      this.innerRouter(source).route(from, to, out);
      return;
    }
    let y = fromGroup.y + fromGroup.height / 2;
    if (source.inner) {
      out.dx = fromGroup.x + innerX;
      out.dy = fromGroup.y + innerY;
      const router = this.innerRouter(source);
      y = router.exitRight(from, router.middleY(from), out) + out.dy;
      out.dx = out.dy = 0;
      out.push(fromGroup.x + fromGroup.width, y);
    }
    const toRouter = target.inner ? this.innerRouter(target) : null;
    let targetY = toGroup.y + toGroup.height / 2;
    // Into an expanded group at a height where its first column has no asset, unless the target is
    // in that column: arriving at another asset's side would read as an edge into it.
    let entryY = 0;
    let middleY = 0;
    if (toRouter) {
      middleY = toRouter.middleY(to);
      entryY = toRouter.column(to) === 0 ? middleY : toRouter.freeY(0, middleY);
      targetY = entryY + toGroup.y + innerY;
    }
    outerRouter.leave(fromGroup.name, y, out);
    outerRouter.arrive(outerRouter.column(fromGroup.name), y, toGroup.name, targetY, out);
    if (toRouter) {
      out.push(toGroup.x, targetY);
      out.dx = toGroup.x + innerX;
      out.dy = toGroup.y + innerY;
      toRouter.enterLeft(to, entryY, middleY, out);
    }
  }

  /** The router of an expanded group's assets: made once per inner layout, kept while the layout is cached. */
  private innerRouter(routed: RoutedGroup): EdgeRouter {
    if (routed.router) return routed.router;
    const placed = routed.inner!;
    let router = this.routers.get(placed);
    if (!router) {
      const { assetWidth: width, assetHeight: height, groupPadding } = LINEAGE_SIZES;
      router = new EdgeRouter(placed.positions, { width, height }, { top: -groupPadding, bottom: placed.height + groupPadding, loopY: -groupPadding / 2 });
      this.routers.set(placed, router);
    }
    routed.router = router;
    return router;
  }

  private innerLayout(group: string, members: string[], everyMember: boolean, edges: LayoutEdge[]): PlacedLayout {
    const cacheKey = everyMember ? `${group}\u0000*` : `${group}\u0000${members.join("\u0000")}`;
    const cached = this.innerCache.get(cacheKey);
    if (cached) return cached;
    const { assetWidth, assetHeight } = LINEAGE_SIZES;
    const placed = placeBoxes(
      members.map((key) => ({ id: key, width: assetWidth, height: assetHeight })),
      edges,
      ASSET_SPACING,
    );
    if (this.innerCache.size >= CACHE_LIMIT) this.innerCache.clear();
    this.innerCache.set(cacheKey, placed);
    return placed;
  }
}

/** A placed group while edges are routed: its inner layout when expanded, and that layout's router once needed. */
interface RoutedGroup {
  group: PlacedGroup;
  inner: PlacedLayout | null;
  router: EdgeRouter | null;
}
