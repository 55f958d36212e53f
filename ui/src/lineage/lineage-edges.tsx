/**
 * The lineage graph's edge: xyflow's bezier between two nodes, or, for an edge that skips ranks,
 * a smooth path through the bends the layout gave it, so that it passes beside the groups and
 * assets in between instead of behind them.
 */
import { BaseEdge, getBezierPath, type Edge, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import type { Point } from "./layered-layout";

/** An edge's data: the bends to pass through, if any. */
export interface LineageEdgeData extends Record<string, unknown> {
  via?: Point[];
}

/** The xyflow edge of the lineage graph. */
export type LineageFlowEdge = Edge<LineageEdgeData, "lineage">;

/** An SVG path through `points` made of cubic segments that leave and arrive horizontally. */
export function smoothPath(points: readonly Point[]): string {
  const [first, ...rest] = points;
  if (!first) return "";
  let d = `M ${first.x},${first.y}`;
  let prev = first;
  for (const p of rest) {
    const half = (p.x - prev.x) / 2;
    d += ` C ${prev.x + half},${prev.y} ${p.x - half},${p.y} ${p.x},${p.y}`;
    prev = p;
  }
  return d;
}

/** Draws one lineage edge, with its count as label when it stands for several. */
export const LineageEdge = memo(function LineageEdge(props: EdgeProps<LineageFlowEdge>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, label, style, markerEnd, interactionWidth } = props;
  const via = data?.via;
  if (!via || via.length === 0) {
    const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
    return <BaseEdge path={path} label={label} labelX={labelX} labelY={labelY} style={style} markerEnd={markerEnd} interactionWidth={interactionWidth} />;
  }
  const middle = via[Math.floor(via.length / 2)]!;
  const path = smoothPath([{ x: sourceX, y: sourceY }, ...via, { x: targetX, y: targetY }]);
  return <BaseEdge path={path} label={label} labelX={middle.x} labelY={middle.y} style={style} markerEnd={markerEnd} interactionWidth={interactionWidth} />;
});

/** The edge types of the lineage graph, for xyflow's `edgeTypes`. */
export const LINEAGE_EDGE_TYPES = { lineage: LineageEdge };
