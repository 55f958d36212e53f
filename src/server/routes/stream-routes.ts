import { Hono } from "hono";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { z } from "zod";
import type { EventRecord } from "../../storage/records.js";
import type { Storage } from "../../storage/storage.js";
import { eventJson, runJson } from "../api-json.js";
import type { LiveMessage } from "../live-events.js";
import { readBackfillJson } from "../backfill-json.js";
import type { ServerContext } from "../server-context.js";
import { parseInput, queryOf } from "../validate.js";
import { processSecrets } from "../../definitions/secret-mask.js";

/** A message's data: JSON with the secrets this server knows masked (storage masked them when written). */
const json = (value: unknown): string => processSecrets.mask(JSON.stringify(value));

const streamQuery = z.object({
  /** Only this run's events and status changes. */
  runId: z.string().min(1).optional(),
  /** Resume after this event id (as the Last-Event-ID header does). */
  afterId: z.coerce.number().int().min(0).optional(),
});

/** Events replayed on resume, at most; beyond it the client is told to reload its state. */
const MAX_REPLAY = 10_000;
/** Messages queued for a client that does not read, at most; beyond it the client is dropped (it resumes with Last-Event-ID). */
const MAX_QUEUE = 20_000;
const PING_MS = 15_000;

/**
 * `GET /events/stream`: server-sent events. `event` messages carry new events (id: the event id),
 * `run` messages run status changes, `backfill` messages a backfill that changed (BackfillJson, with
 * its counts; not on a stream of one run), `definitions` reloads; `ready` comes first. A client that
 * reconnects with `Last-Event-ID` (or `?afterId=`) is sent what it missed first.
 */
export function streamRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get("/events/stream", (c) => {
    const q = parseInput(streamQuery, queryOf(c), "query");
    const header = c.req.header("Last-Event-ID");
    const resumeFrom = header !== undefined && /^\d+$/.test(header.trim()) ? Number(header.trim()) : q.afterId;
    return streamSSE(c, (stream) => pump(ctx, stream, q.runId, resumeFrom));
  });
  return app;
}

async function pump(ctx: ServerContext, stream: SSEStreamingApi, runId: string | undefined, resumeFrom: number | undefined): Promise<void> {
  const queue: LiveMessage[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const close = (): void => {
    closed = true;
    notify();
  };
  stream.onAbort(close);
  const matches = (m: LiveMessage): boolean =>
    runId === undefined ||
    m.kind === "definitions" ||
    (m.kind === "event" ? m.event.runId === runId : m.kind === "run" ? m.run.runId === runId : false);
  const subscription = await ctx.hub.subscribe((m) => {
    if (closed || !matches(m)) return;
    queue.push(m);
    if (queue.length > MAX_QUEUE) close();
    notify();
  }, close);
  try {
    let sent = resumeFrom ?? subscription.cursor;
    await stream.writeSSE({ event: "ready", id: String(sent), retry: 1000, data: json({ lastEventId: sent, resumed: resumeFrom !== undefined, runId: runId ?? null }) });
    if (resumeFrom !== undefined) {
      const replay = await replayEvents(ctx.storage, resumeFrom, subscription.cursor, runId);
      if (replay.truncated) {
        await stream.writeSSE({ event: "reset", id: String(subscription.cursor), data: json({ reason: `more than ${MAX_REPLAY} events were missed; reload the state` }) });
        sent = subscription.cursor;
      } else {
        for (const event of replay.events) {
          if (closed) return;
          await stream.writeSSE({ event: "event", id: String(event.id), data: json(eventJson(event)) });
          sent = event.id;
        }
        // Runs whose events were missed may have changed status: send where they are now.
        const runIds = [...new Set(replay.events.map((e) => e.runId))].slice(-100);
        for (const id of runIds) {
          const run = await ctx.storage.getRun(id);
          if (run && !closed) await stream.writeSSE({ event: "run", id: String(sent), data: json(runJson(run)) });
        }
      }
    }
    if (runId !== undefined && resumeFrom === undefined) {
      const run = await ctx.storage.getRun(runId);
      if (run) await stream.writeSSE({ event: "run", id: String(sent), data: json(runJson(run)) });
    }
    while (!closed) {
      if (queue.length === 0) {
        const pinged = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), PING_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        if (pinged && !closed) await stream.write(": ping\n\n");
        continue;
      }
      const m = queue.shift()!;
      if (m.kind === "event") {
        if (m.event.id <= sent) continue;
        sent = m.event.id;
        await stream.writeSSE({ event: "event", id: String(sent), data: json(eventJson(m.event)) });
      } else {
        sent = Math.max(sent, m.cursor);
        const data = m.kind === "run" ? runJson(m.run) : m.kind === "backfill" ? await readBackfillJson(ctx.storage, m.backfill) : m.payload;
        await stream.writeSSE({ event: m.kind, id: String(sent), data: json(data) });
      }
    }
  } finally {
    subscription.unsubscribe();
  }
}

/** Events after `afterId` up to `upTo` (inclusive), of one run or of all; `truncated` when there are too many. */
async function replayEvents(storage: Storage, afterId: number, upTo: number, runId: string | undefined): Promise<{ events: EventRecord[]; truncated: boolean }> {
  const events: EventRecord[] = [];
  let cursor = afterId;
  while (cursor < upTo) {
    const page = runId !== undefined ? await storage.getEvents(runId, { afterId: cursor, limit: 1000 }) : await storage.getEventsAcrossRuns({ afterId: cursor, limit: 1000 });
    for (const event of page) {
      if (event.id > upTo) return { events, truncated: false };
      events.push(event);
      if (events.length > MAX_REPLAY) return { events: [], truncated: true };
    }
    if (page.length < 1000) break;
    cursor = page[page.length - 1]!.id;
  }
  return { events, truncated: false };
}
