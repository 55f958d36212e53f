import { useReactFlow, useStore, type ReactFlowState } from "@xyflow/react";
import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from "react";
import { groupNodeId, type LineageLayout } from "./lineage-layout";
import { viewportFor } from "./lineage-model";
import { COMPACT_ZOOM, FAR_ZOOM } from "./lineage-nodes";

/** The zooms the view allows, and the fits use. */
export const ZOOM_LIMITS = { minZoom: 0.01, maxZoom: 1, padding: 0.08 };
/** A graph that fits the view only below this zoom opens at its start at this zoom instead. */
const MIN_FIT_ZOOM = COMPACT_ZOOM;
/** Zoomed out below FAR_ZOOM, a layout with more assets than this draws only its group boxes. */
const SEMANTIC_ZOOM_MIN_ASSETS = 300;
/**
 * A layout with more nodes (assets and collapsed groups) than this opens at its start, readable,
 * rather than fitted: only what is in view is drawn then. Collapsed groups count too: the
 * 100,000-asset overview is 400 groups joined by 16,312 edges, seconds to draw all at once.
 */
const FIT_MAX_NODES = 300;
const isFar = (s: ReactFlowState) => s.transform[2] < FAR_ZOOM;

/**
 * Where the view moves once the next layout is drawn: the graph (or its start, when big), the
 * whole graph however small, or one group.
 */
export type Fit = { kind: "all" } | { kind: "whole" } | { kind: "node"; id: string };

/** The view's moves, and whether assets are hidden because it is zoomed far out. */
export interface LineageViewport {
  /** Moves the view once the next layout is drawn (call it with what makes a new layout). */
  requestFit: (fit: Fit) => void;
  /** The fit-view control: the whole graph, drawn as boxes only when that is far out. */
  fitWhole: () => void;
  /**
   * Semantic zoom: far out on a big graph, thousands of unreadable nodes would take seconds to
   * draw (measured: 14 s for 6,850 nodes and 13,578 edges); group boxes alone make the map.
   */
  hideAssets: boolean;
}

/**
 * The lineage's viewport. It is set from the layout's geometry before the layout's nodes are
 * drawn (a layout effect runs before xyflow's store gets them), so that they are drawn once, at
 * the right zoom; a graph too big to read when fitted opens at the top of its leftmost groups.
 */
export function useLineageViewport(layout: LineageLayout | null, canvas: RefObject<HTMLDivElement | null>): LineageViewport {
  const { setViewport } = useReactFlow();
  const pending = useRef<Fit | null>({ kind: "all" });
  const [requests, setRequests] = useState(0);
  const far = useStore(isFar);
  // Set just before fitting the whole of a big graph, so that the far-out view is drawn without
  // its assets from its first frame (else that frame would draw thousands of them).
  const [prehide, setPrehide] = useState(false);
  const big = (layout?.assets.length ?? 0) > SEMANTIC_ZOOM_MIN_ASSETS;
  const crowded = (layout ? layout.assets.length + layout.groups.filter((g) => !g.expanded).length : 0) > FIT_MAX_NODES;

  // Only a ref: the move waits for the layout that the caller's change brings.
  const requestFit = useCallback((fit: Fit) => {
    pending.current = fit;
  }, []);
  // The layout stays: move now (the state change runs the effect).
  const fitWhole = () => {
    const el = canvas.current;
    if (!layout || !el) return;
    const { zoom } = viewportFor({ x: 0, y: 0, width: layout.width, height: layout.height }, el, ZOOM_LIMITS);
    if (zoom < FAR_ZOOM && big) setPrehide(true);
    pending.current = { kind: "whole" };
    setRequests((n) => n + 1);
  };

  useLayoutEffect(() => {
    const fit = pending.current;
    const el = canvas.current;
    if (!layout || !fit || !el) return;
    pending.current = null;
    const whole = { x: 0, y: 0, width: layout.width, height: layout.height };
    if (fit.kind === "whole") {
      // After the nodes hidden for it are in xyflow's store: the next frame.
      const frame = requestAnimationFrame(() => void setViewport(viewportFor(whole, el, ZOOM_LIMITS)).then(() => setPrehide(false)));
      return () => cancelAnimationFrame(frame);
    }
    const target = fit.kind === "all" ? whole : layout.groups.find((g) => groupNodeId(g.name) === fit.id);
    if (!target) return;
    const animation = fit.kind === "node" ? { duration: 200 } : undefined;
    const centered = viewportFor(target, el, ZOOM_LIMITS);
    // A few nodes are cheap to draw at any zoom.
    if (centered.zoom >= MIN_FIT_ZOOM || !crowded) {
      void setViewport(centered, animation);
      return;
    }
    // Fitted, a big graph would draw every node too small to read: show the top of its leftmost
    // column of groups (where the lineage starts), or the top of the group, at the smallest
    // readable zoom. The fit-view control still shows the whole.
    const left = Math.min(...layout.groups.map((g) => g.x));
    const origin = fit.kind === "all" ? layout.groups.filter((g) => g.x === left).sort((a, b) => a.y - b.y)[0]! : target;
    void setViewport({ x: 24 - origin.x * MIN_FIT_ZOOM, y: 24 - origin.y * MIN_FIT_ZOOM, zoom: MIN_FIT_ZOOM }, animation);
  }, [layout, requests, prehide, setViewport, canvas, crowded]);

  return { requestFit, fitWhole, hideAssets: (far || prehide) && big };
}
