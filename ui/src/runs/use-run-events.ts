/**
 * A run's events, complete and in order, kept current: the history is read page by page from
 * `GET /api/runs/:id/events`, new events arrive from the live stream, and `catchUp()` tails with
 * `afterId` (the live stream may have started after the history was read, or dropped messages and
 * sent `reset`). Events are merged by id, so overlaps between the two sources do not duplicate.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError } from "../api";
import { mayHaveMissed, useLive } from "../live";
import type { EventJson, RunEventsPageJson } from "../types";
import { mergeEvents } from "./merge-events";

/** What {@link useRunEvents} gives. */
export interface RunEventsState {
  events: EventJson[];
  /** True once the history has been read. */
  loaded: boolean;
  error: ApiError | undefined;
  /** Reads what came after the last event held (afterId tailing). */
  catchUp: () => void;
}

interface Reader {
  runId: string;
  /** The last event id read from the API (live events do not move it, so paging never skips). */
  readUpTo: number;
  reading: boolean;
  again: boolean;
}

/** The events of run `runId`, live; see the module comment. */
export function useRunEvents(runId: string): RunEventsState {
  const [events, setEvents] = useState<EventJson[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<ApiError>();
  // One reader per run id: a read still in flight for a previous run only touches its own reader.
  const reader = useRef<Reader>({ runId, readUpTo: 0, reading: false, again: false });

  const add = useCallback((r: Reader, incoming: EventJson[]) => {
    if (incoming.length === 0 || reader.current !== r) return;
    setEvents((cur) => mergeEvents(cur, incoming));
  }, []);

  const read = useCallback(async () => {
    const r = reader.current;
    // One read at a time; a request made meanwhile runs once the current read ends.
    if (r.reading) {
      r.again = true;
      return;
    }
    r.reading = true;
    try {
      do {
        r.again = false;
        let hasMore = true;
        while (hasMore) {
          const page = await api<RunEventsPageJson>(`/runs/${encodeURIComponent(r.runId)}/events?afterId=${r.readUpTo}&limit=1000`);
          if (reader.current !== r) return;
          add(r, page.events);
          r.readUpTo = Math.max(r.readUpTo, page.lastEventId);
          hasMore = page.hasMore && page.events.length > 0;
        }
      } while (r.again);
      setError(undefined);
      setLoaded(true);
    } catch (err) {
      if (reader.current === r) setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      r.reading = false;
    }
  }, [add]);

  useEffect(() => {
    reader.current = { runId, readUpTo: 0, reading: false, again: false };
    setEvents([]);
    setLoaded(false);
    setError(undefined);
    void read();
  }, [runId, read]);

  useLive((m) => {
    if (m.kind === "event" && m.event.runId === runId) add(reader.current, [m.event]);
    else if (mayHaveMissed(m)) void read();
  });

  return { events, loaded, error, catchUp: useCallback(() => void read(), [read]) };
}
