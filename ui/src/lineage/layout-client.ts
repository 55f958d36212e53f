/**
 * The page's side of the layout worker (layout-worker.ts): hands it the graph once, then asks for
 * layouts; each answer resolves the promise of its request.
 */
import type { GraphAsset, LineageLayout, LineageLayoutRequest } from "./lineage-layout";

/** A message to the worker. */
export type LayoutWorkerRequest =
  | { type: "graph"; assets: GraphAsset[] }
  | { type: "layout"; id: number; request: LineageLayoutRequest };

/** A message from the worker. */
export type LayoutWorkerResponse =
  | { type: "layout"; id: number; layout: LineageLayout; ms: number }
  | { type: "error"; id: number; message: string };

/** A layout and how long the worker took to compute it. */
export interface TimedLayout {
  layout: LineageLayout;
  ms: number;
}

function startWorker(): Worker {
  return new Worker(new URL("./layout-worker.ts", import.meta.url), { type: "module", name: "lineage-layout" });
}

// Opening the lineage page directly (a reload, a link): the worker starts while the app boots,
// so that fetching and compiling its script overlaps the app's own start.
let spare: Worker | null = window.location.pathname === "/assets" ? startWorker() : null;

/** One layout worker; `dispose()` ends it. */
export class LayoutClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: TimedLayout) => void; reject: (error: Error) => void }>();

  constructor() {
    this.worker = spare ?? startWorker();
    spare = null;
    this.worker.onmessage = (event: MessageEvent<LayoutWorkerResponse>) => {
      const message = event.data;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.type === "layout") waiter.resolve({ layout: message.layout, ms: message.ms });
      else waiter.reject(new Error(`Layout failed: ${message.message}`));
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.failAll(new Error(`The layout worker failed: ${event.message || "it could not be started"}`));
    };
  }

  /** Gives the worker the graph that later layouts are computed on. */
  setGraph(assets: GraphAsset[]): void {
    this.worker.postMessage({ type: "graph", assets } satisfies LayoutWorkerRequest);
  }

  /** The layout of what `request` shows, computed off the main thread. */
  layout(request: LineageLayoutRequest): Promise<TimedLayout> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "layout", id, request } satisfies LayoutWorkerRequest);
    });
  }

  /** Ends the worker; pending layouts are rejected. */
  dispose(): void {
    this.worker.terminate();
    this.failAll(new Error("The layout worker was stopped."));
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
