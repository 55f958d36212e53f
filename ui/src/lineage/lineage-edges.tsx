/**
 * The lineage graph's edge: xyflow's bezier between two nodes, or, for an edge that skips ranks,
 * a smooth path through the bends the layout gave it, so that it passes beside the groups and
 * assets in between instead of behind them.
 */
import { BaseEdge, getBezierPath, type Edge, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import { smoothPath } from "./edge-path";
import type { Point } from "./layered-layout";

/** An edge's data: the bends to pass through, if any. */
export interface LineageEdgeData extends Record<string, unknown> {
  via?: Point[];
}

/** The xyflow edge of the lineage graph. */
export type LineageFlowEdge = Edge<LineageEdgeData, "lineage">;

/**
 * Draws one lineage edge, with its count as label when it stands for several. The label is an SVG
 * text of our own in the edge's group, with a halo instead of a box: xyflow's own SVG label is
 * measured with getBBox after it is drawn (544 merged edges in the 10,000-asset overview: most of a
 * second), and its HTML labels (EdgeLabelRenderer) are each a portal whose every instance queries
 * the DOM on every store update (16,312 merged edges in the 100,000-asset overview: seconds).
 */
export const LineageEdge = memo(function LineageEdge(props: EdgeProps<LineageFlowEdge>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, label, style, markerEnd, interactionWidth } = props;
  const via = data?.via;
  let path: string;
  let labelX: number;
  let labelY: number;
  if (!via || via.length === 0) {
    [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  } else {
    path = smoothPath([{ x: sourceX, y: sourceY }, ...via, { x: targetX, y: targetY }]);
    ({ x: labelX, y: labelY } = via[Math.floor(via.length / 2)]!);
  }
  return (
    <>
      <BaseEdge path={path} style={style} markerEnd={markerEnd} interactionWidth={interactionWidth} />
      {label !== undefined && (
        <text className="lineage-edge-label" x={labelX} y={labelY} textAnchor="middle" dominantBaseline="central">
          {label}
        </text>
      )}
    </>
  );
});

/** The edge types of the lineage graph, for xyflow's `edgeTypes`. */
export const LINEAGE_EDGE_TYPES = { lineage: LineageEdge };
