/**
 * From the API's assets and a layout to what xyflow draws, and the little bookkeeping around it:
 * a fingerprint of the graph's definitions (to lay out again only when they change), status
 * counts per group, and which asset keys a set of selected nodes stands for.
 */
import { MarkerType, Position, type EdgeMarker, type NodeHandle } from "@xyflow/react";
import type { AssetSummaryJson } from "../assets/asset-json";
import { checkSummarySignature } from "../checks/check-types";
import type { LineageFlowEdge } from "./lineage-edges";
import { LINEAGE_SIZES, assetNodeId, groupNodeId, type LineageLayout } from "./lineage-layout";

import type { AssetFlowNode, GroupBoxFlowNode, GroupFlowNode, StatusCounts } from "./lineage-nodes";

const isAssetNodeId = (id: string) => id.startsWith("asset:");

// The arrowheads at the downstream end of edges, in the colours of lineage.css's edge strokes
// (a marker is drawn outside the edge's path, so it cannot take the path's CSS colour).
// Sizes are in stroke widths (1.4 px, 2 px when active): an arrow about 8 px long either way.
const ARROW: EdgeMarker = { type: MarkerType.ArrowClosed, color: "#9aa6b8", width: 22, height: 22 };
const ACTIVE_ARROW: EdgeMarker = { type: MarkerType.ArrowClosed, color: "#2f6fde", width: 16, height: 16 };

/** Any node of the lineage graph. */
export type LineageFlowNode = AssetFlowNode | GroupFlowNode | GroupBoxFlowNode;

/**
 * A fingerprint of what the definitions say about the assets (keys, groups, deps, tags, owners,
 * kinds), blind to statuses: equal fingerprints need no new layout nor new selection.
 */
export function definitionsFingerprint(assets: readonly AssetSummaryJson[]): string {
  // FNV-1a over the fields, 32 bits; with the count it is plenty to tell generations apart.
  let hash = 0x811c9dc5;
  const add = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    hash ^= 0xff;
    hash = Math.imul(hash, 0x01000193);
  };
  for (const a of assets) {
    add(a.key);
    add(a.group);
    add(a.deps.join("\u0000"));
    add(a.kinds.join("\u0000"));
    add(a.owners.join("\u0000"));
    for (const [k, v] of Object.entries(a.tags)) add(`${k}=${v}`);
  }
  return `${assets.length}:${(hash >>> 0).toString(16)}`;
}

/** Shown assets per group, in the API's (topological) order. */
export function membersByGroup(assets: readonly AssetSummaryJson[], visible: ReadonlySet<string> | null): Map<string, AssetSummaryJson[]> {
  const out = new Map<string, AssetSummaryJson[]>();
  for (const a of assets) {
    if (visible && !visible.has(a.key)) continue;
    let list = out.get(a.group);
    if (!list) out.set(a.group, (list = []));
    list.push(a);
  }
  return out;
}

/** How many of each group's assets have each status. */
export function statusCounts(members: ReadonlyMap<string, readonly AssetSummaryJson[]>): Map<string, StatusCounts> {
  const out = new Map<string, StatusCounts>();
  for (const [group, list] of members) {
    const counts: StatusCounts = {};
    for (const a of list) counts[a.status] = (counts[a.status] ?? 0) + 1;
    out.set(group, counts);
  }
  return out;
}

// Handles given with the node let xyflow place edges of nodes it has not drawn (and so not
// measured) yet: only the visible part of a big graph is drawn.
function handles(width: number, height: number): NodeHandle[] {
  return [
    { type: "target", position: Position.Left, x: 0, y: height / 2, width: 1, height: 1 },
    { type: "source", position: Position.Right, x: width - 1, y: height / 2, width: 1, height: 1 },
  ];
}

/** Everything the nodes need besides the layout. */
export interface NodeInputs {
  layout: LineageLayout;
  assetsByKey: ReadonlyMap<string, AssetSummaryJson>;
  counts: ReadonlyMap<string, StatusCounts>;
  selected: ReadonlySet<string>;
  /** Must keep its identity: it is not part of what makes a node new. */
  onToggle: (group: string) => void;
  /** Draw group boxes but not the assets in them (zoomed far out on a big graph). */
  hideAssets: boolean;
}

/**
 * Builds xyflow's nodes and edges, reusing the objects of those that did not change since the
 * previous build of the same layout: xyflow then re-renders only the nodes whose status or
 * selection changed, which keeps a click or a status refresh cheap on thousands of nodes.
 */
export class FlowElements {
  private layout: LineageLayout | null = null;
  private nodes = new Map<string, { signature: string; node: LineageFlowNode }>();
  private edges = new Map<string, { signature: string; edge: LineageFlowEdge }>();

  /** Nodes of a layout: group boxes first (so they are drawn behind), then groups and assets. */
  buildNodes({ layout, assetsByKey, counts, selected, onToggle, hideAssets }: NodeInputs): LineageFlowNode[] {
    this.reset(layout);
    const previous = this.nodes;
    const next = new Map<string, { signature: string; node: LineageFlowNode }>();
    const reuse = (id: string, signature: string, make: () => LineageFlowNode): LineageFlowNode => {
      const old = previous.get(id);
      const node = old && old.signature === signature ? old.node : make();
      next.set(id, { signature, node });
      return node;
    };
    const boxes: LineageFlowNode[] = [];
    const nodes: LineageFlowNode[] = [];
    for (const g of layout.groups) {
      const id = groupNodeId(g.name);
      const groupCounts = counts.get(g.name) ?? {};
      const isSelected = selected.has(id);
      const signature = `${JSON.stringify(groupCounts)}|${isSelected}|${hideAssets}`;
      const size = { width: g.width, height: g.height, measured: { width: g.width, height: g.height } };
      const data = { name: g.name, assetCount: g.assetCount, counts: groupCounts, onToggle, assetsHidden: hideAssets };
      if (g.expanded) {
        boxes.push(reuse(id, signature, () => ({ id, type: "lineageGroupBox", position: { x: g.x, y: g.y }, ...size, data, selectable: false, focusable: false, className: "lineage-box-node" })));
      } else {
        nodes.push(reuse(id, signature, () => ({ id, type: "lineageGroup", position: { x: g.x, y: g.y }, ...size, data, selected: isSelected, handles: handles(g.width, g.height) })));
      }
    }
    const { assetWidth, assetHeight } = LINEAGE_SIZES;
    const assetHandles = handles(assetWidth, assetHeight);
    for (const a of layout.assets) {
      const asset = assetsByKey.get(a.key);
      if (!asset) continue;
      const id = assetNodeId(a.key);
      const isSelected = selected.has(id);
      const signature = `${asset.status}|${asset.latestMaterialization?.timestamp ?? ""}|${asset.freshness?.status ?? ""}|${asset.staleness?.status ?? ""}|${checkSummarySignature(asset.checkSummary)}|${isSelected}|${hideAssets}`;
      nodes.push(
        reuse(id, signature, () => ({
          id,
          type: "lineageAsset",
          position: { x: a.x, y: a.y },
          width: assetWidth,
          height: assetHeight,
          measured: { width: assetWidth, height: assetHeight },
          data: { asset },
          selected: isSelected,
          handles: assetHandles,
          hidden: hideAssets,
        })),
      );
    }
    this.nodes = next;
    return boxes.concat(nodes);
  }

  /** Edges of a layout; merged edges (into or out of a collapsed group) say how many they stand for. */
  buildEdges(layout: LineageLayout, selected: ReadonlySet<string>, hideAssets: boolean): LineageFlowEdge[] {
    this.reset(layout);
    const next = new Map<string, { signature: string; edge: LineageFlowEdge }>();
    const edges = layout.edges.map((e) => {
      const active = selected.has(e.source) || selected.has(e.target);
      const hidden = hideAssets && (isAssetNodeId(e.source) || isAssetNodeId(e.target));
      const signature = `${active}|${hidden}`;
      const old = this.edges.get(e.id);
      const edge: LineageFlowEdge =
        old && old.signature === signature
          ? old.edge
          : {
              id: e.id,
              type: "lineage",
              source: e.source,
              target: e.target,
              data: e.via ? { via: e.via } : {},
              selectable: false,
              focusable: false,
              // Nothing to click on an edge: no invisible wider path for the pointer.
              interactionWidth: 0,
              className: active ? "lineage-edge active" : "lineage-edge",
              markerEnd: active ? ACTIVE_ARROW : ARROW,
              hidden,
              ...(e.count > 1 ? { label: String(e.count) } : {}),
            };
      next.set(e.id, { signature, edge });
      return edge;
    });
    this.edges = next;
    return edges;
  }

  private reset(layout: LineageLayout): void {
    if (layout === this.layout) return;
    this.layout = layout;
    this.nodes.clear();
    this.edges.clear();
  }
}

/** The asset keys that selected nodes stand for: an asset its own key, a collapsed group its shown assets. */
export function selectedAssetKeys(selected: ReadonlySet<string>, layout: LineageLayout | null, members: ReadonlyMap<string, readonly AssetSummaryJson[]>): string[] {
  if (!layout || selected.size === 0) return [];
  const keys: string[] = [];
  for (const g of layout.groups) {
    if (!g.expanded && selected.has(groupNodeId(g.name))) for (const a of members.get(g.name) ?? []) keys.push(a.key);
  }
  for (const a of layout.assets) if (selected.has(assetNodeId(a.key))) keys.push(a.key);
  return keys;
}

/** A rectangle of the graph's coordinates. */
export interface GraphRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The viewport that centers `rect` in a canvas of the given size, as large as fits with `padding`
 * (a fraction of the rectangle on each side) within the zoom limits: xyflow's fitView, computed
 * from the layout alone so that it can be set before any node is drawn.
 */
export function viewportFor(
  rect: GraphRect,
  canvas: { clientWidth: number; clientHeight: number },
  limits: { minZoom: number; maxZoom: number; padding: number },
): { x: number; y: number; zoom: number } {
  const fit = Math.min(canvas.clientWidth / (rect.width * (1 + 2 * limits.padding)), canvas.clientHeight / (rect.height * (1 + 2 * limits.padding)));
  const zoom = Math.min(limits.maxZoom, Math.max(limits.minZoom, Number.isFinite(fit) ? fit : limits.maxZoom));
  return {
    x: canvas.clientWidth / 2 - (rect.x + rect.width / 2) * zoom,
    y: canvas.clientHeight / 2 - (rect.y + rect.height / 2) * zoom,
    zoom,
  };
}
