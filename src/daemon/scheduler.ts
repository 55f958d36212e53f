import type { CronSchedule } from "../definitions/cron/cron-schedule.js";
import type { Definitions } from "../definitions/definitions.js";
import { UsageError } from "../definitions/errors.js";
import type { ResolvedSchedule } from "../definitions/instigator-validation.js";
import type { RunRequest } from "../definitions/run-request.js";
import { serializeError } from "../execution/serialize-error.js";
import { InstigatorStatus, InstigatorType, TickStatus, type InstigatorState, type NewRun, type TickRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { DaemonHooks } from "./daemon-hooks.js";
import { InProcessEvaluationHost, type EvaluationHost } from "./evaluation-host.js";
import type { TickPlan } from "./instigator-code.js";
import { loadDynamicPartitions } from "../runs/dynamic-partitions.js";
import { buildInstigatedRun, DEFAULT_EVALUATION_TIMEOUT_MS } from "./run-requests.js";
import { settleWithin } from "./settle-within.js";


/** What a Scheduler needs. */
export interface SchedulerOptions {
  storage: Storage;
  defs: Definitions;
  /** The clock (tests step through time with it). */
  now?: () => Date;
  log?: (line: string) => void;
  /** When the daemon started: a RUNNING-by-default schedule never started by hand ticks after it. Default: now(). */
  startedAt?: Date;
  /** Test hooks (the crash-point harness); none in production. */
  hooks?: DaemonHooks;
  /** Schedules whose ticks are processed at the same time, at most (default 1,024: a minute-boundary burst of ticks shares three transactions, claim, create and finish, so every run is created at the same early moment). */
  concurrency?: number;
  /** How long a schedule's execute function may take, and its resources to set up (default 60 s). */
  evaluationTimeoutMs?: number;
  /**
   * Where execute functions run (the daemon: evaluation threads). Default: on this event loop, from
   * `defs`, where a function stuck in a synchronous loop blocks the caller.
   */
  host?: EvaluationHost;
  /**
   * How long `tick()` waits for the ticks it started (default: until they end). The daemon waits
   * not at all, so that one slow schedule holds up no other: a tick still running goes on, and
   * later iterations leave its schedule alone until it ends.
   */
  tickWaitMs?: number;
}

/** Where one schedule stands, kept in memory so an iteration touches storage only for due ticks. */
interface ScheduleCursor {
  /** The stored state the cursor was computed from; when it changes (stop, start) it is recomputed. */
  stateKey: string;
  /** Ticks strictly after this time (epoch ms) are still to run. */
  after: number;
  /** The first tick after `after`: nothing to do before it. */
  next: number;
  /** A tick a previous daemon claimed but did not finish, to finish first. */
  resume: number | null;
}

/** Runs one tick may launch, at most (a static partition set larger than this is an error, not a flood). */
const MAX_RUNS_PER_TICK = 1000;


/**
 * The cron half of the daemon: each `tick()` launches (as QUEUED runs) the due ticks of every
 * running schedule. A tick is claimed in storage before anything else (unique per schedule and
 * scheduled time), its run is created at most once, so a daemon killed at any point and restarted
 * finishes the tick it was on instead of repeating it. After downtime only the last
 * `catchUpTicks` missed ticks of a schedule run (default 1, as Dagster).
 *
 * @example
 * const scheduler = new Scheduler({ storage, defs });
 * setInterval(() => void scheduler.tick(), 1000);
 */
export class Scheduler {
  readonly #storage: Storage;
  readonly #defs: Definitions;
  readonly #now: () => Date;
  readonly #log: (line: string) => void;
  readonly #startedAt: number;
  readonly #hooks: DaemonHooks;
  readonly #concurrency: number;
  readonly #host: EvaluationHost;
  readonly #tickWaitMs: number;
  readonly #cursors = new Map<string, ScheduleCursor>();
  /** Schedules whose ticks are being processed, and that work. */
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Running schedules not in flight at the last iteration: the ones msUntilNextTick looks at. */
  #waiting: string[] = [];

  constructor(opts: SchedulerOptions) {
    this.#storage = opts.storage;
    this.#defs = opts.defs;
    this.#now = opts.now ?? (() => new Date());
    this.#log = opts.log ?? (() => undefined);
    this.#startedAt = (opts.startedAt ?? this.#now()).getTime();
    this.#hooks = opts.hooks ?? {};
    // Enough schedules in flight that their tick writes share transactions (storage batches them).
    this.#concurrency = Math.max(1, opts.concurrency ?? 1024);
    this.#host = opts.host ?? new InProcessEvaluationHost(opts.defs, { timeoutMs: opts.evaluationTimeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS, log: this.#log });
    this.#tickWaitMs = opts.tickWaitMs ?? Infinity;
  }

  /**
   * One iteration: reads every schedule's state (one query), then claims, evaluates and launches
   * the ticks that are due (of schedules not still busy with an earlier iteration's), and waits
   * for them up to `tickWaitMs`. Errors of user code fail their tick; a storage error is logged and
   * that schedule is retried on the next iteration. Never throws for one schedule's problem; throws
   * only when the states cannot be read at all.
   */
  async tick(): Promise<void> {
    const now = this.#now().getTime();
    const states = new Map((await this.#storage.listInstigatorStates(InstigatorType.Schedule)).map((s) => [s.name, s]));
    const due: { schedule: ResolvedSchedule; state: InstigatorState | undefined; done: () => void }[] = [];
    const waiting: string[] = [];
    for (const [name, schedule] of this.#defs.schedules) {
      const state = states.get(name);
      if ((state?.status ?? schedule.definition.defaultStatus) !== InstigatorStatus.Running) {
        if (!this.#inFlight.has(name)) this.#cursors.delete(name);
        continue;
      }
      if (this.#inFlight.has(name)) continue;
      waiting.push(name);
      const cursor = this.#cursors.get(name);
      if (cursor && cursor.stateKey === stateKeyOf(state) && cursor.resume === null && cursor.next > now) continue;
      let done!: () => void;
      const work = new Promise<void>((resolve) => (done = resolve));
      this.#inFlight.set(name, work);
      void work.then(() => this.#inFlight.delete(name));
      due.push({ schedule, state, done });
    }
    this.#waiting = waiting;
    const all = forEachLimited(due, this.#concurrency, async ({ schedule, state, done }) => {
      try {
        await this.#runSchedule(schedule, state, now);
      } finally {
        done();
      }
    });
    await settleWithin(all, this.#tickWaitMs);
  }

  /** Resolves once every tick started by {@link tick} has ended (the daemon waits for it when it stops). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }

  /**
   * Milliseconds until the earliest tick this scheduler knows of (0 when one is due or a schedule
   * has not been looked at yet), so the daemon can wake up at the tick rather than up to a poll
   * interval after it. Schedules still busy with a tick are left out: they are looked at again once
   * it ends.
   */
  msUntilNextTick(): number {
    let next = Infinity;
    for (const name of this.#waiting) {
      const cursor = this.#cursors.get(name);
      if (!cursor && !this.#inFlight.has(name)) return 0;
      if (cursor) next = Math.min(next, cursor.resume !== null ? 0 : cursor.next);
    }
    return Math.max(0, next - this.#now().getTime());
  }

  async #runSchedule(schedule: ResolvedSchedule, state: InstigatorState | undefined, now: number): Promise<void> {
    const { name, catchUpTicks } = schedule.definition;
    try {
      let cursor = this.#cursors.get(name);
      if (!cursor || cursor.stateKey !== stateKeyOf(state)) cursor = await this.#loadCursor(schedule, state);
      const times: number[] = [];
      if (cursor.resume !== null) times.push(cursor.resume);
      if (cursor.next <= now) times.push(...dueTicks(schedule.cron, cursor.after, now, catchUpTicks));
      for (const time of times) {
        await this.#runTick(schedule, time);
        cursor.after = Math.max(cursor.after, time);
        cursor.resume = null;
      }
      cursor.next = schedule.cron.nextAfter(new Date(cursor.after)).getTime();
      this.#cursors.set(name, cursor);
    } catch (err) {
      // Storage failed: forget what we knew, so the next iteration starts again from storage.
      this.#cursors.delete(name);
      this.#log(`Schedule "${name}": ${serializeError(err).message}; retrying on the next iteration.`);
    }
  }

  /** Where a schedule resumes: its last tick in storage, or when it was started. */
  async #loadCursor(schedule: ResolvedSchedule, state: InstigatorState | undefined): Promise<ScheduleCursor> {
    const [latest] = await this.#storage.listTicks(schedule.definition.name, { limit: 1 });
    // A schedule started by hand ticks after it was (re)started, never for the time it was stopped;
    // a RUNNING-by-default one never started by hand ticks after its last tick, else after the
    // daemon started (a new daemon does not backfill history).
    const startedAt = state ? state.updatedAt : latest ? -Infinity : this.#startedAt;
    const after = Math.max(latest?.tickTime ?? -Infinity, startedAt);
    const resume = latest?.status === TickStatus.Started ? latest.tickTime : null;
    return {
      stateKey: stateKeyOf(state),
      after,
      next: schedule.cron.nextAfter(new Date(after)).getTime(),
      resume,
    };
  }

  /** Claims, evaluates and finishes one tick; user-code and config errors end it as FAILURE. */
  async #runTick(schedule: ResolvedSchedule, time: number): Promise<void> {
    const { definition } = schedule;
    const scheduledTime = new Date(time);
    const label = `Schedule "${definition.name}" (tick ${scheduledTime.toISOString()})`;
    const tick = await this.#storage.claimScheduleTick(definition.name, time);
    this.#hooks.at?.("tick_created");
    if (tick.status !== TickStatus.Started) return;
    if (tick.runIds.length > 0) {
      // A previous daemon created the run and died: the tick only needs finishing.
      await this.#finish(tick, TickStatus.Success);
      return;
    }

    // Without an execute function there is no user code: one run, as nothing returned would ask for.
    let plan: TickPlan = { kind: "runs", requests: [{}] };
    if (definition.execute) {
      // Throws only when the host closed (the daemon is stopping): the tick stays claimed, and the
      // next daemon finishes it.
      const outcome = await this.#host.evaluateSchedule({ name: definition.name, scheduledTime, partitionKey: lastCompletePartition(schedule, scheduledTime) ?? null });
      if (!outcome.ok) {
        this.#log(`${label} failed: ${outcome.error.message}`);
        await this.#finish(tick, TickStatus.Failure, { error: outcome.error });
        return;
      }
      plan = outcome.plan;
    }
    // Outside the try: a storage failure leaves the tick claimed, for the next iteration to resume.
    await loadDynamicPartitions(this.#defs, this.#storage);
    let runs: NewRun[] = [];
    try {
      plan = withDefaultPartitions(plan, schedule, scheduledTime, label);
      if (plan.kind === "runs") {
        runs = plan.requests.map((request) =>
          buildInstigatedRun(this.#defs, definition, request, { kind: "schedule", name: definition.name, scheduledTime, tags: definition.tags }),
        );
      }
    } catch (err) {
      const error = serializeError(err);
      this.#log(`${label} failed: ${error.message}`);
      await this.#finish(tick, TickStatus.Failure, { error });
      return;
    }
    if (plan.kind === "skip") {
      this.#log(`${label} skipped: ${plan.reason}`);
      await this.#finish(tick, TickStatus.Skipped, { skipReason: plan.reason });
      return;
    }
    const created = await this.#storage.createRunsForTick(tick.id, runs);
    this.#hooks.at?.("run_created");
    this.#log(`${label} queued ${created.length === 1 ? "run" : `${created.length} runs:`} ${created.map((r) => r.runId).join(", ")}`);
    await this.#finish(tick, TickStatus.Success);
  }

  async #finish(tick: TickRecord, status: TickStatus, extra: { skipReason?: string; error?: ReturnType<typeof serializeError> } = {}): Promise<void> {
    await this.#storage.finishTick(tick.id, { status, skipReason: extra.skipReason ?? null, error: extra.error ?? null });
    this.#hooks.at?.("tick_finished");
  }
}

/**
 * The ticks t with `after < t <= now` that a schedule launches: the last `max` of them, in time
 * order. Work is bounded by `max`, not by the length of the downtime: the forward walk starts just
 * before the last `max` ticks, found by walking back from `now`.
 */
export function dueTicks(cron: CronSchedule, after: number, now: number, max: number): number[] {
  let start = after;
  let back = now + 1;
  for (let i = 0; i <= max; i++) {
    back = cron.previousBefore(new Date(back)).getTime();
    if (back <= after) break;
    if (i === max) start = back;
  }
  const window: number[] = [];
  for (const t of cron.ticksBetween(new Date(start), new Date(now))) {
    window.push(t.getTime());
    if (window.length > max) window.shift();
  }
  return window;
}

/** For a target with time-window partitions: the last partition complete at the tick (Dagster's build_schedule_from_partitioned_job). */
function lastCompletePartition(schedule: ResolvedSchedule, scheduledTime: Date): string | undefined {
  return schedule.partitions?.type === "time_window" ? schedule.partitions.lastKey(scheduledTime) : undefined;
}

/**
 * The partitions a tick runs when its requests name none (Dagster's build_schedule_from_partitioned_job):
 * time windows, the last one complete at the tick; static partitions, every key (dynamic ones, every
 * key stored at the tick); two dimensions, the
 * last complete window with every key of the other dimension (or every key when neither is time).
 * A tick before any window has ended is skipped. Requests that name a partition keep it.
 */
function withDefaultPartitions(plan: TickPlan, schedule: ResolvedSchedule, scheduledTime: Date, label: string): TickPlan {
  const partitions = schedule.partitions;
  if (plan.kind !== "runs" || !partitions) return plan;
  const requests: RunRequest[] = [];
  for (const request of plan.requests) {
    if (request.partitionKey !== undefined && request.partitionKey !== null) {
      requests.push(request);
      continue;
    }
    const keys = defaultPartitionKeys(partitions, scheduledTime);
    if (keys.length > MAX_RUNS_PER_TICK) {
      throw new UsageError(`${label} would launch ${keys.length} runs, one per partition of ${partitions.describe()}; a tick launches at most ${MAX_RUNS_PER_TICK}. Return run requests with the partitionKey to run.`);
    }
    for (const key of keys) requests.push({ ...request, partitionKey: key, ...(request.runKey ? { runKey: `${request.runKey}:${key}` } : {}) });
  }
  if (requests.length === 0) return { kind: "skip", reason: `no partition of ${partitions.describe()} has ended by ${scheduledTime.toISOString()}` };
  return { kind: "runs", requests };
}

/** The partition keys a tick at `at` runs by default (see withDefaultPartitions). */
function defaultPartitionKeys(partitions: NonNullable<ResolvedSchedule["partitions"]>, at: Date): string[] {
  if (partitions.type === "time_window") {
    const last = partitions.lastKey(at);
    return last === undefined ? [] : [last];
  }
  if (partitions.type === "static" || partitions.type === "dynamic") return partitions.keys();
  const time = partitions.dimensions.find((d) => d.partitions.type === "time_window");
  if (!time) return partitions.keys(at);
  const window = time.partitions.lastKey(at);
  if (window === undefined) return [];
  const others = partitions.dimensions.filter((d) => d !== time);
  let combos: Record<string, string>[] = [{ [time.name]: window }];
  for (const dim of others) {
    const keys = dim.partitions.type === "time_window" ? dim.partitions.keys(at) : dim.partitions.keys();
    combos = combos.flatMap((c) => keys.map((k) => ({ ...c, [dim.name]: k })));
  }
  return combos.map((c) => partitions.keyOf(c));
}

function stateKeyOf(state: InstigatorState | undefined): string {
  return state ? `${state.status}@${state.updatedAt}` : "default";
}

/** Calls fn on every item, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const worker = async (): Promise<void> => {
    while (index < items.length) await fn(items[index++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
