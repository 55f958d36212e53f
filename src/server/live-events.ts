import { errorMessage } from "../definitions/errors.js";
import { BackfillStatus, type BackfillRecord } from "../storage/backfill-records.js";
import { EventType, FINISHED_RUN_STATUSES, RunStatus, type EventRecord, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { DefinitionsReloadedJson } from "./api-types.js";

/** What the live stream carries. `cursor` is the id of the last event the hub had seen when it was sent. */
export type LiveMessage =
  | { kind: "event"; event: EventRecord }
  | { kind: "run"; run: RunRecord; cursor: number }
  | { kind: "backfill"; backfill: BackfillRecord; cursor: number }
  | { kind: "definitions"; payload: DefinitionsReloadedJson; cursor: number };

/** A subscription to the hub. */
export interface LiveSubscription {
  /** The id of the last event the hub had seen when the subscription began. */
  cursor: number;
  unsubscribe(): void;
}

interface Subscriber {
  onMessage: (message: LiveMessage) => void;
  onClose: () => void;
}

const ACTIVE_STATUSES = [RunStatus.Queued, RunStatus.Starting, RunStatus.Started, RunStatus.Canceling];
const RUN_EVENT_TYPES: readonly string[] = [EventType.RunEnqueued, EventType.RunStart, EventType.RunSuccess, EventType.RunFailure, EventType.RunCanceled];
const PAGE = 1000;
const ACTIVE_BACKFILL_STATUSES: BackfillStatus[] = [BackfillStatus.Requested, BackfillStatus.Canceling];

/**
 * Tails storage for every live client at once: new events (getEventsAcrossRuns after the last id
 * seen), run status changes (runs in progress and the newest runs, compared with what it saw
 * last) and backfill changes (backfills in progress and the newest, by status and updatedAt), polled every `intervalMs` (250 ms) while anyone listens. Nothing here is needed by another
 * server replica: each tails storage itself.
 */
export class LiveEventHub {
  readonly #subscribers = new Set<Subscriber>();
  readonly #intervalMs: number;
  /** Last status seen of each run being tracked (runs in progress, the newest, and those just finished). */
  #known = new Map<string, RunStatus>();
  /** Last change seen of each backfill tracked (in progress, and the newest): status and updatedAt. */
  #knownBackfills = new Map<string, string>();
  #head = 0;
  /** Runs whose RUN_* events were sent after the poll read statuses: read on the next poll. */
  #touchedLate = new Set<string>();
  #started: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #closed = false;
  #lastErrorLog = 0;

  constructor(
    private readonly storage: Storage,
    private readonly options: { intervalMs?: number; log?: (line: string) => void } = {},
  ) {
    this.#intervalMs = Math.min(Math.max(options.intervalMs ?? 250, 50), 2000);
  }

  /** The id of the last event seen. */
  get head(): number {
    return this.#head;
  }

  /** Starts receiving messages (the hub starts polling with its first subscriber). */
  async subscribe(onMessage: (message: LiveMessage) => void, onClose: () => void): Promise<LiveSubscription> {
    if (this.#closed) throw new Error("The live event hub is closed.");
    const subscriber: Subscriber = { onMessage, onClose };
    this.#subscribers.add(subscriber);
    try {
      this.#started ??= this.#baseline();
      await this.#started;
    } catch (err) {
      this.#subscribers.delete(subscriber);
      this.#started = undefined;
      throw err;
    }
    this.#schedule();
    return {
      cursor: this.#head,
      unsubscribe: () => {
        this.#subscribers.delete(subscriber);
        if (this.#subscribers.size === 0) this.#idle();
      },
    };
  }

  /** Sends a message to every subscriber (definitions reloaded). */
  publishDefinitions(payload: DefinitionsReloadedJson): void {
    this.#broadcast({ kind: "definitions", payload, cursor: this.#head });
  }

  /** Stops polling and ends every subscription. */
  close(): void {
    this.#closed = true;
    this.#idle();
    for (const s of [...this.#subscribers]) s.onClose();
    this.#subscribers.clear();
  }

  /** When nobody listens, stop polling; the next subscriber starts from the head of that time. */
  #idle(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#subscribers.size === 0) this.#started = undefined;
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#subscribers.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#poll().finally(() => this.#schedule());
    }, this.#intervalMs);
  }

  /** Finds the newest event id and the runs to track, without reading the whole event log. */
  async #baseline(): Promise<void> {
    this.#head = await findHead(this.storage);
    const runs = await this.#trackedRuns();
    this.#known = new Map([...runs.values()].map((r) => [r.runId, r.status]));
    this.#knownBackfills = new Map((await this.#trackedBackfills()).map((b) => [b.backfillId, backfillVersion(b)]));
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    try {
      const touched = new Set(this.#touchedLate);
      this.#touchedLate.clear();
      await this.#sendNewEvents(touched);
      const changed = await this.#diffRuns(touched);
      // A status read after the events may be newer than them: a run's end event, stored with its
      // status, can commit between the two reads. Its events go first, so that a client never
      // sees a run end before the events that ended it.
      if (changed.length > 0) await this.#sendNewEvents(this.#touchedLate);
      for (const run of changed) this.#broadcast({ kind: "run", run, cursor: this.#head });
      for (const backfill of await this.#diffBackfills()) this.#broadcast({ kind: "backfill", backfill, cursor: this.#head });
    } catch (err) {
      if (Date.now() - this.#lastErrorLog > 30_000) {
        this.#lastErrorLog = Date.now();
        this.options.log?.(`live events: ${errorMessage(err)}`);
      }
    } finally {
      this.#polling = false;
    }
  }

  /** Sends the events stored since the last one seen (up to 10 pages), noting runs whose RUN_* events came. */
  async #sendNewEvents(touched: Set<string>): Promise<void> {
    for (let page = 0; page < 10; page++) {
      const events = await this.storage.getEventsAcrossRuns({ afterId: this.#head, limit: PAGE });
      for (const event of events) {
        this.#head = event.id;
        if (RUN_EVENT_TYPES.includes(event.type)) touched.add(event.runId);
        this.#broadcast({ kind: "event", event });
      }
      if (events.length < PAGE) break;
    }
  }

  async #trackedRuns(): Promise<Map<string, RunRecord>> {
    const [active, recent] = await Promise.all([
      this.storage.listRuns({ statuses: ACTIVE_STATUSES, limit: 1000 }),
      this.storage.listRuns({ limit: 20 }),
    ]);
    return new Map([...active, ...recent].map((r) => [r.runId, r]));
  }

  /** The tracked runs whose status changed since the last poll (now remembered as seen). */
  async #diffRuns(touched: Set<string>): Promise<RunRecord[]> {
    const current = await this.#trackedRuns();
    // Runs that left the tracked set while unfinished (they finished, or were canceled), and runs
    // whose RUN_* events just arrived: read them once more.
    for (const [runId, status] of this.#known) {
      if (!current.has(runId) && !FINISHED_RUN_STATUSES.includes(status)) touched.add(runId);
    }
    for (const runId of touched) {
      if (current.has(runId)) continue;
      const run = await this.storage.getRun(runId);
      if (run) current.set(runId, run);
    }
    const next = new Map<string, RunStatus>();
    const changed: RunRecord[] = [];
    for (const run of current.values()) {
      next.set(run.runId, run.status);
      if (this.#known.get(run.runId) !== run.status) changed.push(run);
    }
    this.#known = next;
    return changed;
  }

  async #trackedBackfills(): Promise<BackfillRecord[]> {
    const [active, recent] = await Promise.all([
      this.storage.listBackfills({ statuses: ACTIVE_BACKFILL_STATUSES, limit: 100 }),
      this.storage.listBackfills({ limit: 20 }),
    ]);
    return [...new Map([...active, ...recent].map((b) => [b.backfillId, b])).values()];
  }

  /**
   * Backfills that changed since the last poll: the daemon touches a backfill's updatedAt with every
   * launch and partition update, so a changed (status, updatedAt) is a changed backfill. A tracked
   * backfill that left the set (finished, or pushed out of the newest) is read once more.
   */
  async #diffBackfills(): Promise<BackfillRecord[]> {
    const current = new Map((await this.#trackedBackfills()).map((b) => [b.backfillId, b]));
    for (const id of this.#knownBackfills.keys()) {
      if (current.has(id)) continue;
      const backfill = await this.storage.getBackfill(id);
      if (backfill && backfillVersion(backfill) !== this.#knownBackfills.get(id)) current.set(id, backfill);
    }
    const changed = [...current.values()].filter((b) => this.#knownBackfills.get(b.backfillId) !== backfillVersion(b));
    this.#knownBackfills = new Map([...current.values()].map((b) => [b.backfillId, backfillVersion(b)]));
    return changed;
  }

  #broadcast(message: LiveMessage): void {
    for (const s of this.#subscribers) {
      try {
        s.onMessage(message);
      } catch {
        // One client's failure is its own.
      }
    }
  }
}

/** What tells one state of a backfill from the next. */
function backfillVersion(backfill: BackfillRecord): string {
  return `${backfill.status}@${backfill.updatedAt}`;
}

/**
 * The id of the newest event. Storage reads events oldest first, so start from the newest event of
 * a recent run (a lower bound) and page forward from there.
 */
async function findHead(storage: Storage): Promise<number> {
  let head = 0;
  for (const run of await storage.listRuns({ limit: 50 })) {
    const events = await storage.getEvents(run.runId);
    if (events.length > 0) {
      head = events[events.length - 1]!.id;
      break;
    }
  }
  for (;;) {
    const page = await storage.getEventsAcrossRuns({ afterId: head, limit: PAGE });
    if (page.length === 0) return head;
    head = page[page.length - 1]!.id;
    if (page.length < PAGE) return head;
  }
}
