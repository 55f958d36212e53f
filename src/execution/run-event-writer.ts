import { EventType, type EventRecord, type NewEvent } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";

/** Called with every event once it is durably stored. */
export type EventListener = (event: EventRecord) => void;

/**
 * How long a batch of nothing but LOG lines waits for more before it is committed. Log lines are
 * not awaited by the code that emits them, and an asset that awaits between lines (the usual
 * case: I/O) would otherwise commit each line alone. Any other event ends the wait at once.
 */
export const LOG_COALESCE_MS = 4;

interface Pending {
  event: NewEvent;
  /** Refused (rejected with the earlier failure) when an event written before it was lost. */
  unlessLost: boolean;
  resolve: (record: EventRecord) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes a run's events to storage in the order they were emitted. Events emitted while a write is
 * in flight are written together in one transaction, which is what keeps the per-step overhead low
 * when many steps run at once; each caller's promise resolves only once its event is committed.
 */
export class RunEventWriter {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private failure: unknown;
  /** Ends the current wait for more LOG lines, while one is going on. */
  private wake: (() => void) | undefined;

  /**
   * @param partition the run's partition: stamped on events that do not set `partition`
   *   themselves (steps of unpartitioned assets set null).
   */
  constructor(
    private readonly storage: Storage,
    private readonly listeners: readonly EventListener[] = [],
    private readonly partition: string | null = null,
  ) {}

  /**
   * Queues an event; the promise resolves with the stored record. With `unlessLost`, the event is
   * not stored, and the promise rejects with that failure, when an event written before it could
   * not be stored: a run's success must not be recorded once some of its record is missing.
   */
  write(event: NewEvent, options: { unlessLost?: boolean } = {}): Promise<EventRecord> {
    if (event.timestamp === undefined) event.timestamp = Date.now();
    if (event.partition === undefined && this.partition !== null) event.partition = this.partition;
    return new Promise<EventRecord>((resolve, reject) => {
      this.queue.push({ event, unlessLost: options.unlessLost === true, resolve, reject });
      if (this.draining === undefined) this.draining = this.drain();
      else if (event.type !== EventType.Log) this.wake?.();
    });
  }

  /** The first storage failure of a write, if any (some events of the run were not stored); else undefined. */
  get storageFailure(): unknown {
    return this.failure;
  }

  /** Resolves when every event written so far is stored; rejects with the first storage failure. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Resolves after LOG_COALESCE_MS, or as soon as an event other than a LOG line is written. */
  private moreLogLines(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        // What the caller of that event writes in the same tick joins the batch too.
        setImmediate(resolve);
      };
      const timer = setTimeout(done, LOG_COALESCE_MS);
      this.wake = done;
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      // Wait until the microtask queue is empty, not for one microtask: a step's STEP_SUCCESS and
      // the STEP_START of the step it unblocks are several promise hops apart, and they should
      // commit in one transaction (a chain then pays one commit per step boundary, not two). The
      // same after each commit: what the callers it resumed write next joins one batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.queue.length === 0) break;
      if (this.queue.every((p) => p.event.type === EventType.Log)) await this.moreLogLines();
      let batch = this.queue;
      this.queue = [];
      if (this.failure !== undefined && batch.some((p) => p.unlessLost)) {
        for (const p of batch) if (p.unlessLost) p.reject(this.failure);
        batch = batch.filter((p) => !p.unlessLost);
        if (batch.length === 0) continue;
      }
      try {
        const records =
          batch.length === 1
            ? [await this.storage.storeEvent(batch[0]!.event)]
            : await this.storage.storeEvents(batch.map((p) => p.event));
        records.forEach((record, i) => {
          for (const listener of this.listeners) {
            try {
              listener(record);
            } catch {
              // A failing listener (progress display) must not lose or block events.
            }
          }
          batch[i]!.resolve(record);
        });
      } catch (err) {
        this.failure ??= err;
        for (const p of batch) p.reject(err);
      }
    }
    this.draining = undefined;
  }
}
