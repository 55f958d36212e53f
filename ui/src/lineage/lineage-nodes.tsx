/**
 * What the lineage graph draws: an asset (key, kinds, status badge, or for a partitioned asset its
 * partitions materialized of all, and the time of its latest materialization), a collapsed group (one node standing for its assets, with their statuses
 * counted) and an expanded group's box. Sizes come from LINEAGE_SIZES, which the layout uses.
 */
import { Handle, Position, useStore, type Node, type NodeProps, type ReactFlowState } from "@xyflow/react";
import { memo } from "react";
import { useClock } from "../assets/use-clock";
import { assetPath, type AssetStatus, type AssetSummaryJson } from "../assets/asset-json";
import { FreshnessMarker } from "../assets/freshness-marker";
import { CheckBadge } from "../checks/CheckBadge";
import { StatusBadge, Time } from "../components/common";
import { AssetKindMarker } from "../external/external-asset-panel";
import { StaleMarker } from "../assets/staleness-marker";
import "../partitions/partitions.css";

/** An asset node's data. */
export interface AssetNodeData extends Record<string, unknown> {
  asset: AssetSummaryJson;
}

/** Counts of a group's assets per status. */
export type StatusCounts = Partial<Record<AssetStatus, number>>;

/** A group's data, collapsed or as a box. */
export interface GroupNodeData extends Record<string, unknown> {
  name: string;
  assetCount: number;
  counts: StatusCounts;
  onToggle: (group: string) => void;
  /** Its assets are not drawn (zoomed far out on a big graph). */
  assetsHidden?: boolean;
}

/** The xyflow node of an asset. */
export type AssetFlowNode = Node<AssetNodeData, "lineageAsset">;
/** The xyflow node of a collapsed group. */
export type GroupFlowNode = Node<GroupNodeData, "lineageGroup">;
/** The xyflow node of an expanded group's box. */
export type GroupBoxFlowNode = Node<GroupNodeData, "lineageGroupBox">;

const STATUS_ORDER: AssetStatus[] = ["FAILED", "IN_PROGRESS", "QUEUED", "MATERIALIZED", "NEVER_MATERIALIZED"];
const STATUS_LABEL: Record<AssetStatus, string> = {
  FAILED: "failed",
  IN_PROGRESS: "in progress",
  QUEUED: "queued",
  MATERIALIZED: "materialized",
  NEVER_MATERIALIZED: "never materialized",
};

/** "raw/" muted, "orders" bold: the last component of a key is what people scan for. */
function KeyText({ assetKey }: { assetKey: string }) {
  const cut = assetKey.lastIndexOf("/") + 1;
  return (
    <>
      {cut > 0 && <span className="lineage-key-prefix">{assetKey.slice(0, cut)}</span>}
      <span className="lineage-key-name">{assetKey.slice(cut)}</span>
    </>
  );
}

/**
 * Where edges end: xyflow measures handles in the DOM once a node is drawn (the positions given
 * with the node only serve until then), so every node has them, invisible.
 */
function Ends() {
  return (
    <>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </>
  );
}

/** Below this zoom the text of a full node is unreadable: nodes draw their name only. */
export const COMPACT_ZOOM = 0.5;
/** Below this zoom a big graph draws group boxes only (see LineagePage). */
export const FAR_ZOOM = 0.3;
const isCompact = (s: ReactFlowState) => s.transform[2] < COMPACT_ZOOM;

/**
 * An asset: its name links to its page (a plain link that the page routes, cheaper than a
 * router Link in each of thousands of nodes); a click elsewhere on it selects it. Zoomed out, it
 * draws only its name and status colour.
 */
export const AssetNode = memo(function AssetNode({ data }: NodeProps<AssetFlowNode>) {
  const { asset } = data;
  const compact = useStore(isCompact);
  // Re-renders every 30 s, so that "3 min ago" ages.
  useClock();
  const attributes = { "data-testid": "lineage-asset", "data-key": asset.key, "data-group": asset.group, "data-status": asset.status };
  if (compact) {
    return (
      <div className={`lineage-asset compact status-${asset.status}`} title={`${asset.key}: ${asset.status.replace(/_/g, " ")}`} {...attributes}>
        <Ends />
        <span className="lineage-compact-name">{asset.key.slice(asset.key.lastIndexOf("/") + 1)}</span>
      </div>
    );
  }
  return (
    <div className={`lineage-asset status-${asset.status}`} {...attributes}>
      <Ends />
      <a href={assetPath(asset.key)} className="lineage-asset-key nodrag nopan" data-asset-link="" title={`${asset.key}: open its page`}>
        <KeyText assetKey={asset.key} />
      </a>
      <div className="lineage-asset-kinds">
        <AssetKindMarker kind={asset.kind} />
        {asset.kinds.map((kind) => (
          <span key={kind} className="lineage-kind">
            {kind}
          </span>
        ))}
      </div>
      <div className="lineage-asset-status">
        {asset.partitionCounts ? <PartitionCounts asset={asset} /> : <StatusBadge status={asset.status} />}
        <StaleMarker staleness={asset.staleness} />
        <CheckBadge summary={asset.checkSummary} />
        <span className="small muted">
          <Time iso={asset.latestMaterialization?.timestamp} />
        </span>
        <FreshnessMarker freshness={asset.freshness} />
      </div>
    </div>
  );
});

/**
 * A partitioned asset's status: "3 / 15,196" partitions materialized, a failed marker when some
 * failed, and an in-progress one while some run.
 */
function PartitionCounts({ asset }: { asset: AssetSummaryJson }) {
  const c = asset.partitionCounts!;
  const title = `${c.materialized.toLocaleString("en-US")} of ${c.total.toLocaleString("en-US")} partitions materialized, ${c.failed} failed, ${c.inProgress} in progress, ${c.missing.toLocaleString("en-US")} missing`;
  return (
    <span className="partition-node-counts" data-testid="node-partition-counts" data-materialized={c.materialized} data-total={c.total} data-failed={c.failed} title={title}>
      <span className="partition-node-done">
        {c.materialized.toLocaleString("en-US")} <span className="of">/ {c.total.toLocaleString("en-US")}</span>
      </span>
      {c.failed > 0 && (
        <span className="partition-node-failed" data-testid="node-partition-failed" title={`${c.failed} partition${c.failed === 1 ? "" : "s"} failed`}>
          ● {c.failed.toLocaleString("en-US")} failed
        </span>
      )}
      {c.inProgress > 0 && <span className="partition-node-running">◐ {c.inProgress.toLocaleString("en-US")}</span>}
    </span>
  );
}

function countsTitle(counts: StatusCounts): string {
  return STATUS_ORDER.filter((s) => counts[s]).map((s) => `${counts[s]} ${STATUS_LABEL[s]}`).join(", ");
}

function CountsLine({ counts }: { counts: StatusCounts }) {
  return (
    <div className="lineage-group-counts small">
      {STATUS_ORDER.filter((s) => counts[s]).map((s) => (
        <span key={s} className={`lineage-count status-${s}`} data-status={s}>
          {counts[s]} {STATUS_LABEL[s]}
        </span>
      ))}
    </div>
  );
}

/** A collapsed group: one node for its assets; selecting it selects them all. */
export const GroupNode = memo(function GroupNode({ data }: NodeProps<GroupFlowNode>) {
  return (
    <div className="lineage-group-node" data-testid="lineage-group" data-group={data.name}>
      <Ends />
      <div className="lineage-group-title">
        <span className="lineage-group-name">{data.name}</span>
        <span className="small muted">{data.assetCount.toLocaleString()} assets</span>
      </div>
      <CountsLine counts={data.counts} />
      <button type="button" className="nodrag nopan small" onClick={() => data.onToggle(data.name)}>
        Expand
      </button>
    </div>
  );
});

/** An expanded group's box, drawn behind its assets; only its header takes clicks. */
export const GroupBox = memo(function GroupBox({ data, width }: NodeProps<GroupBoxFlowNode>) {
  if (data.assetsHidden) {
    // Zoomed far out on a big graph its assets are not drawn: the box says what it holds, as large as it fits.
    return (
      <div
        className="lineage-group-box far"
        data-testid="lineage-group-box"
        data-group={data.name}
        title={countsTitle(data.counts)}
        style={{ fontSize: Math.max(16, (width ?? 0) / 12) }}
      >
        <span className="lineage-group-far-name">{data.name}</span>
        <CountsLine counts={data.counts} />
      </div>
    );
  }
  return (
    <div className="lineage-group-box" data-testid="lineage-group-box" data-group={data.name}>
      <div className="lineage-group-box-header">
        <span className="lineage-group-name">{data.name}</span>
        <span className="small muted" title={countsTitle(data.counts)}>
          {data.assetCount.toLocaleString()} asset{data.assetCount === 1 ? "" : "s"}
        </span>
        <span className="spacer" />
        <button type="button" className="nodrag nopan small" onClick={() => data.onToggle(data.name)}>
          Collapse
        </button>
      </div>
    </div>
  );
});

/**
 * The node types of the lineage graph, for xyflow's `nodeTypes` (a constant, as xyflow wants).
 * Not "group" nor "default": xyflow styles its built-in types by those names.
 */
export const LINEAGE_NODE_TYPES = { lineageAsset: AssetNode, lineageGroup: GroupNode, lineageGroupBox: GroupBox };
