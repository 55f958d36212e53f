import { useEffect, useRef, useState } from "react";
import { LayoutClient } from "./layout-client";
import type { GraphAsset, LineageLayout, LineageLayoutRequest } from "./lineage-layout";

/** The latest layout, how long the worker took, and the last failure. */
export interface LineageLayoutState {
  layout: LineageLayout | null;
  /** Milliseconds the worker spent on `layout`. */
  ms: number | null;
  /** A newer layout is being computed. */
  pending: boolean;
  error: Error | null;
}

/**
 * Lays out `graph` in a Web Worker (one per mounted view). The worker gets the graph again only
 * when `graphVersion` changes (a new definitions generation), and a layout whenever `requestKey`
 * does; answers to superseded requests are dropped.
 */
export function useLineageLayout(
  graph: GraphAsset[] | null,
  graphVersion: string | null,
  request: LineageLayoutRequest | null,
  requestKey: string,
): LineageLayoutState {
  const client = useRef<LayoutClient | null>(null);
  const sentVersion = useRef<string | null>(null);
  const latest = useRef(0);
  const [state, setState] = useState<LineageLayoutState>({ layout: null, ms: null, pending: false, error: null });

  useEffect(() => {
    let c: LayoutClient;
    try {
      c = new LayoutClient();
    } catch (err) {
      // A browser that refuses module workers (or a policy that forbids them).
      setState((s) => ({ ...s, error: new Error(`The layout worker could not start: ${(err as Error).message}`) }));
      return;
    }
    client.current = c;
    return () => {
      c.dispose();
      client.current = null;
      sentVersion.current = null;
    };
  }, []);

  useEffect(() => {
    const c = client.current;
    if (!c || !graph || !graphVersion || !request) return;
    if (sentVersion.current !== graphVersion) {
      performance.mark("sluice:lineage-graph-sent", { detail: { assets: graph.length } });
      c.setGraph(graph);
      sentVersion.current = graphVersion;
    }
    const id = ++latest.current;
    setState((s) => ({ ...s, pending: true }));
    c.layout(request).then(
      ({ layout, ms }) => {
        if (id !== latest.current) return;
        performance.mark("sluice:lineage-layout", { detail: { ms, assets: layout.assets.length, groups: layout.groups.length } });
        setState({ layout, ms, pending: false, error: null });
      },
      (error: Error) => {
        if (id !== latest.current || client.current !== c) return;
        setState((s) => ({ ...s, pending: false, error }));
      },
    );
    // `graph` and `request` are described by their keys.
  }, [graphVersion, requestKey]);

  return state;
}
