import type { CodeLocation } from "../instance/load-definitions.js";
import { EvaluationHostClosedError, type EvaluationHost } from "./evaluation-host.js";
import { describeRequest, type EvaluationOutcome, type EvaluationRequest } from "./evaluation-messages.js";
import { EvaluationThread } from "./evaluation-thread.js";
import type { ScheduleCall, ScheduleOutcome, SensorCall, SensorOutcome } from "./instigator-code.js";

/** Threads evaluating schedule and sensor functions, at most, by default. */
export const DEFAULT_EVALUATION_THREADS = 4;

/** What a ThreadEvaluationHost needs. */
export interface ThreadEvaluationHostOptions {
  /** The code location the threads load (the daemon's). */
  location: CodeLocation;
  /** Where a relative location, or a workspace.yaml, is read from (default: the working directory). */
  cwd?: string;
  /** How long each call of user code may take (the function, a resource's setup, its teardown). */
  timeoutMs: number;
  /** Threads at most (default {@link DEFAULT_EVALUATION_THREADS}). */
  maxThreads?: number;
  /** How long loading the code location in a new thread may take (default: the timeout, at least 60 s). */
  loadTimeoutMs?: number;
  /** How long a thread may stay idle, while another one is idle too, before it is stopped (default 60 s). */
  idleThreadMs?: number;
  /** The daemon's log: user code's log lines (secrets masked), errors it throws outside any call. */
  log: (line: string) => void;
  /** Who goes on when user code throws outside any call, for that log line (default `the daemon`; `sluice dev`: `the server`). */
  keepsRunning?: string;
}

/** An evaluation waiting for a thread. */
interface Pending {
  request: EvaluationRequest;
  resolve: (outcome: EvaluationOutcome) => void;
  reject: (err: Error) => void;
}

/**
 * Runs schedule and sensor functions in worker threads that load the code location themselves, so
 * that user code stuck in a synchronous loop blocks neither the daemon's other loops (run queue,
 * monitoring) nor, in `sluice dev`, the web server. Each thread runs one evaluation at a time.
 * Threads start on demand, up to `maxThreads`, and once one has, a spare is kept loaded (within
 * the limit), so that an evaluation due while the others are busy (or stuck) starts at once rather
 * than after a thread's start-up; a thread idle for a while beside another idle one is stopped.
 * A call of user code that overruns the timeout has its thread terminated and its tick failed (see
 * EvaluationThread); evaluations waiting meanwhile run in the other threads or a fresh one, so a
 * stuck function holds up no other for longer than the timeout. A thread whose code location fails
 * to load fails the evaluations waiting for it with the load error.
 *
 * Start-up: a thread loads the definitions again (its own module instances: their top-level code
 * runs once per thread).
 *
 * @example
 * const host = new ThreadEvaluationHost({ location: { file: "defs.ts" }, timeoutMs: 60_000, log: console.error });
 * const outcome = await host.evaluateSensor({ name: "new_rows", cursor: null, lastTickAt: null, events: [] });
 * await host.close();
 */
export class ThreadEvaluationHost implements EvaluationHost {
  readonly #opts: Required<Omit<ThreadEvaluationHostOptions, "location" | "log">> & Pick<ThreadEvaluationHostOptions, "location" | "log">;
  readonly #threads = new Set<EvaluationThread>();
  readonly #idleTimers = new Map<EvaluationThread, NodeJS.Timeout>();
  readonly #queue: Pending[] = [];
  #closed = false;
  /** No spare thread is started before this time (epoch ms): the code location failed to load lately. */
  #noSpareUntil = 0;

  constructor(opts: ThreadEvaluationHostOptions) {
    this.#opts = {
      location: opts.location,
      log: opts.log,
      cwd: opts.cwd ?? process.cwd(),
      timeoutMs: opts.timeoutMs,
      maxThreads: Math.max(1, opts.maxThreads ?? DEFAULT_EVALUATION_THREADS),
      loadTimeoutMs: opts.loadTimeoutMs ?? Math.max(opts.timeoutMs, 60_000),
      idleThreadMs: opts.idleThreadMs ?? 60_000,
      keepsRunning: opts.keepsRunning ?? "the daemon",
    };
  }

  /** Threads alive now (loading, idle or busy). */
  get threadCount(): number {
    return this.#threads.size;
  }

  evaluateSchedule(call: ScheduleCall): Promise<ScheduleOutcome> {
    return this.#submit({ kind: "schedule", call }) as Promise<ScheduleOutcome>;
  }

  evaluateSensor(call: SensorCall): Promise<SensorOutcome> {
    return this.#submit({ kind: "sensor", call }) as Promise<SensorOutcome>;
  }

  /** Stops every thread; evaluations waiting or in flight reject with EvaluationHostClosedError. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#queue.splice(0)) pending.reject(new EvaluationHostClosedError(describeRequest(pending.request)));
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    this.#idleTimers.clear();
    await Promise.all([...this.#threads].map((t) => t.stop()));
  }

  #submit(request: EvaluationRequest): Promise<EvaluationOutcome> {
    if (this.#closed) return Promise.reject(new EvaluationHostClosedError(describeRequest(request)));
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#pump();
    });
  }

  /** Hands waiting evaluations to idle threads, and starts threads for those left, within the limit. */
  #pump(): void {
    if (this.#closed) return;
    for (const thread of this.#threads) {
      if (this.#queue.length === 0) break;
      if (thread.idle) this.#run(thread, this.#queue.shift()!);
    }
    let loading = [...this.#threads].filter((t) => t.loading).length;
    while (this.#queue.length > loading && this.#threads.size < this.#opts.maxThreads) {
      this.#start();
      loading++;
    }
    const spare = [...this.#threads].some((t) => t.idle || t.loading);
    if (!spare && this.#threads.size > 0 && this.#threads.size < this.#opts.maxThreads && Date.now() >= this.#noSpareUntil) this.#start();
  }

  #run(thread: EvaluationThread, pending: Pending): void {
    const timer = this.#idleTimers.get(thread);
    if (timer) clearTimeout(timer);
    this.#idleTimers.delete(thread);
    thread.evaluate(pending.request).then(
      (outcome) => {
        pending.resolve(outcome);
        this.#pump();
        if (thread.idle) this.#retireWhenIdle(thread);
      },
      (err: Error) => pending.reject(err),
    );
  }

  #start(): void {
    const thread = new EvaluationThread(
      {
        location: this.#opts.location,
        cwd: this.#opts.cwd,
        timeoutMs: this.#opts.timeoutMs,
        loadTimeoutMs: this.#opts.loadTimeoutMs,
        log: this.#opts.log,
        keepsRunning: this.#opts.keepsRunning,
      },
      (stopped) => {
        this.#threads.delete(stopped);
        const timer = this.#idleTimers.get(stopped);
        if (timer) clearTimeout(timer);
        this.#idleTimers.delete(stopped);
        // Waiting evaluations that counted on it get another thread.
        queueMicrotask(() => this.#pump());
      },
    );
    this.#threads.add(thread);
    void thread.loaded.then((error) => {
      if (error === null) return this.#pump();
      if (this.#closed) return;
      // The code location does not load (now): the evaluations waiting fail with the reason, as
      // further threads would fail alike. The next evaluation tries to load it again.
      this.#noSpareUntil = Date.now() + this.#opts.idleThreadMs;
      for (const pending of this.#queue.splice(0)) pending.resolve({ ok: false, error: { ...error, message: `${describeRequest(pending.request)} could not be evaluated: ${error.message}` } });
    });
  }

  /** Stops a thread that stays idle while another is idle too (one idle thread is kept, as the spare). */
  #retireWhenIdle(thread: EvaluationThread): void {
    const timer = setTimeout(() => {
      this.#idleTimers.delete(thread);
      if (thread.idle && [...this.#threads].some((t) => t !== thread && t.idle)) void thread.stop();
    }, this.#opts.idleThreadMs);
    timer.unref();
    this.#idleTimers.set(thread, timer);
  }
}
