/**
 * From the API's assets and a layout to what xyflow draws, and the little bookkeeping around it:
 * a fingerprint of the graph's definitions (to lay out again only when they change), status
 * counts per group, and which asset keys a set of selected nodes stands for.
 */
import { Position, type NodeHandle } from "@xyflow/react";
import type { AssetSummaryJson } from "../assets/asset-json";
import type { LineageFlowEdge } from "./lineage-edges";
import { LINEAGE_SIZES, assetNodeId, groupNodeId, type LineageLayout } from "./lineage-layout";
import type { AssetFlowNode, GroupBoxFlowNode, GroupFlowNode, StatusCounts } from "./lineage-nodes";

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

// Handles given with the node let xyflow draw edges before (or without) measuring the DOM, which
// matters when only the visible part of a big graph is rendered.
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
  onToggle: (group: string) => void;
}

/** The xyflow nodes of a layout: group boxes first (so they are drawn behind), then groups and assets. */
export function flowNodes({ layout, assetsByKey, counts, selected, onToggle }: NodeInputs): LineageFlowNode[] {
  const nodes: LineageFlowNode[] = [];
  const { assetWidth, assetHeight } = LINEAGE_SIZES;
  for (const g of layout.groups) {
    const id = groupNodeId(g.name);
    const data = { name: g.name, assetCount: g.assetCount, counts: counts.get(g.name) ?? {}, onToggle };
    const size = { width: g.width, height: g.height, measured: { width: g.width, height: g.height } };
    if (g.expanded) {
      nodes.unshift({ id, type: "groupBox", position: { x: g.x, y: g.y }, ...size, data, selectable: false, focusable: false, className: "lineage-box-node" });
    } else {
      nodes.push({ id, type: "group", position: { x: g.x, y: g.y }, ...size, data, selected: selected.has(id), handles: handles(g.width, g.height) });
    }
  }
  const assetHandles = handles(assetWidth, assetHeight);
  for (const a of layout.assets) {
    const asset = assetsByKey.get(a.key);
    if (!asset) continue;
    const id = assetNodeId(a.key);
    nodes.push({
      id,
      type: "asset",
      position: { x: a.x, y: a.y },
      width: assetWidth,
      height: assetHeight,
      measured: { width: assetWidth, height: assetHeight },
      data: { asset },
      selected: selected.has(id),
      handles: assetHandles,
    });
  }
  return nodes;
}

/** The xyflow edges of a layout; merged edges (into or out of a collapsed group) say how many they stand for. */
export function flowEdges(layout: LineageLayout, selected: ReadonlySet<string>): LineageFlowEdge[] {
  return layout.edges.map((e) => ({
    id: e.id,
    type: "lineage",
    source: e.source,
    target: e.target,
    data: e.via ? { via: e.via } : {},
    selectable: false,
    focusable: false,
    className: selected.has(e.source) || selected.has(e.target) ? "lineage-edge active" : "lineage-edge",
    ...(e.count > 1 ? { label: String(e.count), labelBgPadding: [4, 2] as [number, number] } : {}),
  }));
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
