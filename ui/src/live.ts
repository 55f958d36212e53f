/**
 * One EventSource per page, shared by every component that wants live updates. Messages are those
 * of `GET /api/events/stream`: `event` (a new run event), `run` (a run whose status changed),
 * `definitions` (after a reload), `backfill` (a backfill that changed, with its counts) and `reset`.
 */
import { useEffect, useRef } from "react";
import { streamUrl } from "./api";
import type { BackfillJson } from "./partitions/partition-types";
import type { DefinitionsReloadedJson, EventJson, RunJson } from "./types";

/** A message of the live stream, parsed. */
export type LiveMessage =
  | { kind: "event"; event: EventJson }
  | { kind: "run"; run: RunJson }
  | { kind: "definitions"; data: DefinitionsReloadedJson }
  | { kind: "backfill"; backfill: BackfillJson }
  | { kind: "reset" }
  /** The stream (re)connected: messages sent while it was down that are not events (definitions reloads) are lost. */
  | { kind: "ready" };

type Listener = (message: LiveMessage) => void;

const listeners = new Set<Listener>();
let source: EventSource | null = null;

function ensureSource(): void {
  if (source) return;
  source = new EventSource(streamUrl());
  const emit = (message: LiveMessage) => {
    for (const listener of [...listeners]) listener(message);
  };
  source.addEventListener("event", (e) => emit({ kind: "event", event: JSON.parse((e as MessageEvent).data) }));
  source.addEventListener("run", (e) => emit({ kind: "run", run: JSON.parse((e as MessageEvent).data) }));
  source.addEventListener("definitions", (e) => emit({ kind: "definitions", data: JSON.parse((e as MessageEvent).data) }));
  source.addEventListener("backfill", (e) => emit({ kind: "backfill", backfill: JSON.parse((e as MessageEvent).data) }));
  source.addEventListener("reset", () => emit({ kind: "reset" }));
  source.addEventListener("ready", () => emit({ kind: "ready" }));
}

/**
 * True for the messages after which what a page read may be stale: `ready` (the stream opened or
 * reopened, and what happened before it, or while it was down, was not sent) and `reset` (the
 * server dropped messages). A page that reads state once and then follows the stream must read it
 * again on these.
 */
export function mayHaveMissed(message: LiveMessage): boolean {
  return message.kind === "ready" || message.kind === "reset";
}

/** Calls `onMessage` for every live message while the component is mounted. */
export function useLive(onMessage: Listener): void {
  const callback = useRef(onMessage);
  callback.current = onMessage;
  useEffect(() => {
    const listener: Listener = (m) => callback.current(m);
    listeners.add(listener);
    ensureSource();
    return () => {
      listeners.delete(listener);
    };
  }, []);
}
