import type { Definitions } from "../definitions/definitions.js";
import { UsageError } from "../definitions/errors.js";
import type { DynamicPartitionsRequest, RunRequest } from "../definitions/run-request.js";
import type { FinishedRun, FreshnessChange, MaterializationEvent, SensorDefinition, SensorKind } from "../definitions/sensor.js";
import { selectAssets } from "../definitions/selection/select-assets.js";
import { serializeError } from "../execution/serialize-error.js";
import {
  EventType,
  InstigatorStatus,
  InstigatorType,
  TickStatus,
  type EventRecord,
  type SensorRunRequest,
  type SerializedError,
} from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { loadDynamicPartitions, withRequestedPartitions } from "../runs/dynamic-partitions.js";
import { EvaluationHostClosedError, InProcessEvaluationHost, type EvaluationHost } from "./evaluation-host.js";
import type { SensorAnswer, SensorCall, SensorOutcome } from "./instigator-code.js";
import { buildInstigatedRun, DEFAULT_EVALUATION_TIMEOUT_MS, SENSOR_NAME_TAG } from "./run-requests.js";
import { settleWithin } from "./settle-within.js";

/** Events an asset or run-status sensor handles per evaluation, at most. */
const EVENT_BATCH = 100;
/** Page size when passing over events older than a cursorless sensor's start. */
const SKIP_PAGE = 1000;
/** Pages passed over per evaluation at most; the cursor saves the progress for the next one. */
const MAX_SKIP_PAGES = 50;

const RUN_EVENT_OF_STATUS = {
  SUCCESS: EventType.RunSuccess,
  FAILURE: EventType.RunFailure,
  CANCELED: EventType.RunCanceled,
} as const;

/** The outcome of one sensor evaluation, before (or without) recording it. */
export interface SensorEvaluation {
  status: typeof TickStatus.Success | typeof TickStatus.Skipped | typeof TickStatus.Failure;
  /** Runs to create, with their run keys (storage drops keys that already ran). */
  requests: SensorRunRequest[];
  /** Keys to add to or remove from dynamic partitions, in the same transaction as the runs. */
  dynamicPartitionsRequests: DynamicPartitionsRequest[];
  /** The cursor to store: the new one, or the previous one unchanged. */
  cursor: string | null;
  skipReason: string | null;
  error: SerializedError | null;
}

/** Options of one evaluation. */
export interface SensorEvaluationOptions {
  /** When the previous evaluation ran, if ever (given to the function). */
  lastTickAt?: Date | null;
  /**
   * For asset and run-status sensors without a cursor: events older than this (epoch ms) are
   * history and do not fire. Default: now.
   */
  since?: number;
  /** Where the function's log lines (and resource teardown problems) go, secrets masked (without `host`). */
  log?: (line: string) => void;
  /** How long the function may take, and its resources to set up (default 60 s; without `host`). */
  timeoutMs?: number;
  /**
   * Where the function runs (the daemon and `sensor preview`: an evaluation thread). Default: on
   * this event loop, from `defs`, with `log` and `timeoutMs`.
   */
  host?: EvaluationHost;
}

/**
 * Evaluates a sensor once from `cursor` and returns what its tick would record, writing nothing
 * (for `sluice sensor preview NAME --cursor C`, and the sensor daemon). Events are read here; the
 * sensor's function runs in `options.host`, its resources set up before it first runs and torn
 * down once it is over. Never throws for user code: a function or resource setup that throws or
 * times out, or a malformed return value, gives a FAILURE evaluation (its error redacted) with the
 * cursor unchanged. Throws EvaluationHostClosedError when the host closed meanwhile.
 */
export async function evaluateSensorOnce(
  storage: Storage,
  defs: Definitions,
  sensor: SensorDefinition,
  cursor: string | null,
  options: SensorEvaluationOptions = {},
): Promise<SensorEvaluation> {
  const host = options.host ?? new InProcessEvaluationHost(defs, { timeoutMs: options.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS, log: options.log ?? (() => undefined) });
  const env: SensorEvaluationEnv = { ...options, storage, defs, host };
  const call: BaseCall = { name: sensor.name, cursor, lastTickAt: env.lastTickAt ?? null };
  const progress: Progress = {};
  try {
    const found = await evaluateKind(sensor, sensor.sensor, call, env, progress);
    const partitionRequests = found.dynamicPartitionsRequests ?? [];
    if (found.requests.length > 0 || partitionRequests.length > 0) await loadDynamicPartitions(env.defs, env.storage);
    // Checked against the instance's keys as this tick leaves them: its runs may be of keys it adds.
    const requests = withRequestedPartitions(env.defs, partitionRequests, () =>
      found.requests.map((r) => ({
        runKey: r.runKey ?? null,
        run: buildInstigatedRun(env.defs, sensor, r, { kind: "sensor", name: sensor.name, runKey: r.runKey ?? null }),
      })),
    );
    const newCursor = found.cursor === undefined ? cursor : found.cursor;
    if (requests.length > 0 || partitionRequests.length > 0) {
      return { status: TickStatus.Success, requests, dynamicPartitionsRequests: partitionRequests, cursor: newCursor, skipReason: null, error: null };
    }
    return { status: TickStatus.Skipped, requests: [], dynamicPartitionsRequests: [], cursor: newCursor, skipReason: found.skipReason ?? null, error: null };
  } catch (err) {
    if (err instanceof EvaluationHostClosedError) throw err;
    // A cursorless event sensor still records where history ended, so that a later evaluation
    // (after the sensor's state was touched) does not take the events it failed on for history.
    const error = err instanceof UserCodeFailed ? err.error : serializeError(err);
    return { status: TickStatus.Failure, requests: [], dynamicPartitionsRequests: [], cursor: progress.historyEnd ?? cursor, skipReason: null, error };
  }
}

/** What an evaluation reads: definitions (for targets) and storage (events, runs; never written). */
interface SensorEvaluationEnv extends SensorEvaluationOptions {
  storage: Storage;
  defs: Definitions;
  /** Where the sensor's function runs. */
  host: EvaluationHost;
}

/** The call of the sensor's function but its events. */
type BaseCall = Omit<SensorCall, "events">;

/** Carries the (already serialized and redacted) error of the sensor's user code to the tick. */
class UserCodeFailed extends Error {
  constructor(readonly error: SerializedError) {
    super(error.message);
  }
}

/** Runs the sensor's function on these events in the host; throws UserCodeFailed when it failed. */
async function callSensor(env: SensorEvaluationEnv, call: BaseCall, events: SensorCall["events"]): Promise<SensorAnswer> {
  const outcome: SensorOutcome = await env.host.evaluateSensor({ ...call, events });
  if (!outcome.ok) throw new UserCodeFailed(outcome.error);
  return outcome.answer;
}

/** What an evaluation learned before its function threw. */
interface Progress {
  /** For an event sensor without a cursor: the last event id that is history (did not fire). */
  historyEnd?: string;
}

interface Found {
  requests: RunRequest[];
  dynamicPartitionsRequests?: DynamicPartitionsRequest[];
  /** Undefined: keep the previous cursor. */
  cursor?: string | null;
  skipReason?: string;
}

function evaluateKind(sensor: SensorDefinition, kind: SensorKind, call: BaseCall, env: SensorEvaluationEnv, progress: Progress): Promise<Found> {
  switch (kind.type) {
    case "standard":
      return callSensor(env, call, []);
    case "asset":
      return evaluateAsset(kind, call, env, progress);
    case "run_status":
      return evaluateRunStatus(sensor, kind, call, env, progress);
    case "freshness":
      return evaluateFreshnessChanges(sensor, kind, call, env, progress);
  }
}

/**
 * A freshness sensor: the recorded freshness transitions after its cursor (a transition id), those
 * to a watched status of a watched asset passed to its function one by one. Without a cursor,
 * transitions recorded before `since` are history and only move the cursor.
 */
async function evaluateFreshnessChanges(
  sensor: SensorDefinition,
  kind: Extract<SensorKind, { type: "freshness" }>,
  call: BaseCall,
  env: SensorEvaluationEnv,
  progress: Progress,
): Promise<Found> {
  const afterId = parseEventCursor(call.cursor, `Freshness sensor "${sensor.name}"`) ?? 0;
  const history = call.cursor === null ? (env.since ?? Date.now()) : null;
  const watched = kind.monitoredSelection === null ? null : new Set(selectAssets(kind.monitoredSelection, env.defs.assetGraph));
  let lastId = afterId;
  let historyEnd = afterId;
  const changes: FreshnessChange[] = [];
  for (let page = 0; page < MAX_SKIP_PAGES && changes.length === 0; page++) {
    const batch = await env.storage.getFreshnessTransitions({ afterId: lastId, limit: history === null ? EVENT_BATCH : SKIP_PAGE });
    for (const t of batch) {
      if (history !== null && t.timestamp < history) {
        historyEnd = t.id;
        lastId = t.id;
        continue;
      }
      lastId = t.id;
      if (!kind.statuses.includes(t.status) || (watched !== null && !watched.has(t.assetKey))) continue;
      changes.push({
        transitionId: t.id,
        assetKey: t.assetKey,
        previousStatus: t.previousStatus,
        status: t.status,
        timestamp: new Date(t.timestamp),
        lastMaterializationAt: t.lastMaterializationAt === null ? null : new Date(t.lastMaterializationAt),
        nextDeadline: new Date(t.nextDeadline),
        policy: env.defs.assets.get(t.assetKey)?.freshness ?? null,
      });
      if (changes.length >= EVENT_BATCH) break;
    }
    if (batch.length < (history === null ? EVENT_BATCH : SKIP_PAGE) || changes.length >= EVENT_BATCH) break;
  }
  if (call.cursor === null) progress.historyEnd = String(historyEnd);
  if (changes.length === 0) return { requests: [], cursor: String(lastId), skipReason: `No asset became ${kind.statuses.join(" or ")}.` };
  return { ...(await callSensor(env, call, changes)), cursor: String(lastId) };
}

async function evaluateAsset(kind: Extract<SensorKind, { type: "asset" }>, call: BaseCall, env: SensorEvaluationEnv, progress: Progress): Promise<Found> {
  const what = `Asset sensor "${call.name}"`;
  const since = env.since ?? Date.now();
  let afterId = parseEventCursor(call.cursor, what);
  let history: number | null = null;
  if (afterId === null) {
    // Without a cursor only materializations after the sensor started fire. Usually the newest
    // one is older than that, and then it is the cursor: no scan of the history.
    const [newest] = await env.storage.getMaterializations(kind.assetKey, { limit: 1 });
    if (newest === undefined || newest.timestamp < since) afterId = newest?.id ?? 0;
    else history = since;
  }
  const { events, lastId, historyEnd } = await nextEvents(env.storage, { types: [EventType.AssetMaterialization], assetKeys: [kind.assetKey] }, afterId ?? 0, history);
  if (call.cursor === null) progress.historyEnd = String(historyEnd);
  if (events.length === 0) return { requests: [], cursor: String(lastId), skipReason: `No new materialization of asset "${kind.assetKey}".` };
  const materializations: MaterializationEvent[] = events.map((event) => ({
    eventId: event.id,
    runId: event.runId,
    assetKey: event.assetKey ?? kind.assetKey,
    partition: event.partition,
    timestamp: new Date(event.timestamp),
    metadata: event.data.metadata ?? {},
  }));
  return { ...(await callSensor(env, call, materializations)), cursor: String(lastId) };
}

async function evaluateRunStatus(
  sensor: SensorDefinition,
  kind: Extract<SensorKind, { type: "run_status" }>,
  call: BaseCall,
  env: SensorEvaluationEnv,
  progress: Progress,
): Promise<Found> {
  const what = `Run status sensor "${sensor.name}"`;
  const afterId = parseEventCursor(call.cursor, what);
  const history = afterId === null ? (env.since ?? Date.now()) : null;
  const { events, lastId, historyEnd } = await nextEvents(env.storage, { types: [RUN_EVENT_OF_STATUS[kind.status]] }, afterId ?? 0, history);
  if (call.cursor === null) progress.historyEnd = String(historyEnd);
  const runIds = [...new Set(events.map((e) => e.runId))];
  const runs = new Map(runIds.length === 0 ? [] : (await env.storage.listRuns({ runIds })).map((r) => [r.runId, r]));
  const finished: FinishedRun[] = [];
  for (const event of events) {
    const run = runs.get(event.runId);
    if (!run) continue;
    const watched =
      kind.monitoredJobs.length > 0
        ? kind.monitoredJobs.includes(run.jobName)
        : // Watching every job but its own target (and its own runs), so it cannot feed on itself.
          run.jobName !== sensor.jobName && run.tags[SENSOR_NAME_TAG] !== sensor.name;
    if (watched) finished.push({ runId: run.runId, jobName: run.jobName, status: kind.status, tags: { ...run.tags }, message: event.message });
  }
  if (finished.length === 0) {
    const jobs = kind.monitoredJobs.length > 0 ? `jobs ${kind.monitoredJobs.join(", ")}` : "any watched job";
    return { requests: [], cursor: String(lastId), skipReason: `No new ${kind.status} run of ${jobs}.` };
  }
  return { ...(await callSensor(env, call, finished)), cursor: String(lastId) };
}

/** A stored cursor of an event-driven sensor: the last event id it handled. */
function parseEventCursor(cursor: string | null, what: string): number | null {
  if (cursor === null) return null;
  const id = Number(cursor);
  if (!/^\d+$/.test(cursor) || !Number.isSafeInteger(id)) {
    throw new UsageError(`${what} has cursor "${cursor}", which is not an event id. Give a whole number (the last event id it handled), or reset it.`);
  }
  return id;
}

/**
 * Up to EVENT_BATCH events after `afterId`. With `history` (epoch ms), older events are passed
 * over without being returned: they only move the cursor (`lastId`) forward. `historyEnd`: the
 * last id before the returned events.
 */
async function nextEvents(
  storage: Storage,
  query: { types: EventType[]; assetKeys?: string[] },
  afterId: number,
  history: number | null,
): Promise<{ events: EventRecord[]; lastId: number; historyEnd: number }> {
  if (history === null) {
    const events = await storage.getEventsAcrossRuns({ ...query, afterId, limit: EVENT_BATCH });
    return { events, lastId: events.at(-1)?.id ?? afterId, historyEnd: afterId };
  }
  let lastId = afterId;
  for (let page = 0; page < MAX_SKIP_PAGES; page++) {
    const batch = await storage.getEventsAcrossRuns({ ...query, afterId: lastId, limit: SKIP_PAGE });
    const first = batch.findIndex((e) => e.timestamp >= history);
    if (first !== -1) {
      const events = batch.slice(first, first + EVENT_BATCH);
      return { events, lastId: events.at(-1)!.id, historyEnd: first > 0 ? batch[first - 1]!.id : lastId };
    }
    lastId = batch.at(-1)?.id ?? lastId;
    if (batch.length < SKIP_PAGE) break;
  }
  return { events: [], lastId, historyEnd: lastId };
}

/** What a SensorDaemon needs. */
export interface SensorDaemonOptions {
  storage: Storage;
  defs: Definitions;
  /** The clock of evaluations and intervals (tests step through time with it). */
  now?: () => Date;
  log?: (line: string) => void;
  /**
   * When the daemon started, by the clock events are stamped with: a RUNNING-by-default asset or
   * run-status sensor never started by hand does not fire for events before it. Default: now.
   */
  startedAt?: Date;
  /** How long a sensor's function may take (default 60 s). */
  evaluationTimeoutMs?: number;
  /**
   * Where sensor functions run (the daemon: evaluation threads). Default: on this event loop, from
   * `defs`, where a function stuck in a synchronous loop blocks the caller.
   */
  host?: EvaluationHost;
  /**
   * How long `tick()` waits for the evaluations it started (default: until they end). The daemon
   * waits not at all, so that one slow sensor holds up no other: an evaluation still running goes
   * on, and later iterations leave its sensor alone until it ends.
   */
  tickWaitMs?: number;
}

/**
 * The sensor half of the daemon: each `tick()` evaluates every running sensor whose minimum
 * interval has passed, and records each evaluation in one storage transaction (the tick, the
 * runs of new run keys, the new cursor), so a crash never launches a run twice or loses a cursor.
 *
 * @example
 * const sensors = new SensorDaemon({ storage, defs, log: console.error });
 * setInterval(() => void sensors.tick(), 1000);
 */
export class SensorDaemon {
  readonly #storage: Storage;
  readonly #defs: Definitions;
  readonly #now: () => Date;
  readonly #log: (line: string) => void;
  readonly #startedAt: number;
  readonly #host: EvaluationHost;
  readonly #tickWaitMs: number;
  /** Last evaluation time per sensor (epoch ms; null: never), read from storage once. */
  readonly #lastTickAt = new Map<string, number | null>();
  /** Sensors being evaluated, and that work. */
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(opts: SensorDaemonOptions) {
    this.#storage = opts.storage;
    this.#defs = opts.defs;
    this.#now = opts.now ?? (() => new Date());
    this.#log = opts.log ?? (() => undefined);
    this.#startedAt = (opts.startedAt ?? new Date()).getTime();
    this.#host = opts.host ?? new InProcessEvaluationHost(opts.defs, { timeoutMs: opts.evaluationTimeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS, log: this.#log });
    this.#tickWaitMs = opts.tickWaitMs ?? Infinity;
  }

  /**
   * One iteration: evaluates the running sensors that are due, at the same time, and waits for
   * them up to `tickWaitMs`. A sensor still evaluating from an earlier call is left alone. Throws
   * only when the states cannot be read; one sensor's failure is recorded on its tick or logged.
   */
  async tick(): Promise<void> {
    const now = this.#now().getTime();
    const states = new Map((await this.#storage.listInstigatorStates(InstigatorType.Sensor)).map((s) => [s.name, s]));
    const work: Promise<void>[] = [];
    for (const [name, sensor] of this.#defs.sensors) {
      const state = states.get(name);
      if ((state?.status ?? sensor.defaultStatus) !== InstigatorStatus.Running) {
        this.#lastTickAt.delete(name);
        continue;
      }
      if (this.#inFlight.has(name)) continue;
      const since = state ? state.updatedAt : this.#startedAt;
      const evaluation = this.#maybeEvaluate(sensor, state?.cursor ?? null, since, now).finally(() => this.#inFlight.delete(name));
      this.#inFlight.set(name, evaluation);
      work.push(evaluation);
    }
    await settleWithin(Promise.all(work), this.#tickWaitMs);
  }

  /** Resolves once every evaluation started by {@link tick} has ended (the daemon waits for it when it stops). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }

  async #maybeEvaluate(sensor: SensorDefinition, cursor: string | null, since: number, now: number): Promise<void> {
    const name = sensor.name;
    try {
      let last = this.#lastTickAt.get(name);
      if (last === undefined) {
        last = (await this.#storage.listTicks(name, { limit: 1 }))[0]?.tickTime ?? null;
        this.#lastTickAt.set(name, last);
      }
      if (last !== null && now - last < sensor.minimumIntervalSeconds * 1000) return;
      // Set before evaluating: a sensor that fails still waits its interval.
      this.#lastTickAt.set(name, now);
      const evaluation = await evaluateSensorOnce(this.#storage, this.#defs, sensor, cursor, {
        lastTickAt: last === null ? null : new Date(last),
        since,
        host: this.#host,
      });
      const { tick, createdRuns, dynamicPartitions } = await this.#storage.recordSensorTick(name, {
        tickTime: now,
        status: evaluation.status,
        requests: evaluation.requests,
        dynamicPartitionsRequests: evaluation.dynamicPartitionsRequests,
        cursor: evaluation.cursor,
        skipReason: evaluation.skipReason,
        error: evaluation.error,
      });
      for (const change of dynamicPartitions) {
        if (change.added.length > 0) this.#log(`Sensor "${name}" added ${change.added.length} key(s) to dynamic partitions "${change.partitionsName}": ${change.added.join(", ")}`);
        if (change.removed.length > 0) this.#log(`Sensor "${name}" removed ${change.removed.length} key(s) of dynamic partitions "${change.partitionsName}": ${change.removed.join(", ")}`);
      }
      if (evaluation.error) this.#log(`Sensor "${name}" failed: ${evaluation.error.message}`);
      else if (createdRuns.length > 0) this.#log(`Sensor "${name}" queued ${createdRuns.length} run(s): ${createdRuns.map((r) => r.runId).join(", ")}`);
      if (tick.skippedRunKeys.length > 0) this.#log(`Sensor "${name}": run keys already used, skipped: ${tick.skippedRunKeys.join(", ")}`);
    } catch (err) {
      this.#log(`Sensor "${name}": ${serializeError(err).message}; retrying on the next iteration.`);
    }
  }
}
