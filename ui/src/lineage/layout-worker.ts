/**
 * The lineage layout's Web Worker: it keeps the asset graph it was last given and answers layout
 * requests, so that laying out thousands of assets never blocks the page. Messages are
 * `LayoutWorkerRequest` in, `LayoutWorkerResponse` out (layout-client.ts).
 */
import { LineageGraph } from "./lineage-layout.js";
import type { LayoutWorkerRequest, LayoutWorkerResponse } from "./layout-client.js";

// The UI's tsconfig has the DOM library, not WebWorker's: name the little of the worker scope used.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<LayoutWorkerRequest>) => void) | null;
  postMessage(message: LayoutWorkerResponse): void;
};

let graph: LineageGraph | null = null;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "graph") {
    graph = new LineageGraph(message.assets);
    return;
  }
  const started = performance.now();
  try {
    if (!graph) throw new Error("The layout worker was asked for a layout before it was given a graph.");
    const layout = graph.layout(message.request);
    scope.postMessage({ type: "layout", id: message.id, layout, ms: performance.now() - started });
  } catch (err) {
    scope.postMessage({ type: "error", id: message.id, message: err instanceof Error ? err.message : String(err) });
  }
};
