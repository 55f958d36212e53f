import type { Definitions } from "../definitions/definitions.js";
import { UsageError } from "../definitions/errors.js";
import { isSkipReason, type RunRequest } from "../definitions/run-request.js";
import type { FinishedRun, MaterializationEvent, SensorContext, SensorDefinition, SensorKind } from "../definitions/sensor.js";
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
import { EvaluationScope } from "./evaluation-scope.js";
import {
  buildInstigatedRun,
  callInstigatorCode,
  checkRunRequest,
  DEFAULT_EVALUATION_TIMEOUT_MS,
  describe,
  isPlainObject,
  SENSOR_NAME_TAG,
} from "./run-requests.js";

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
  /** Where the function's log lines (and resource teardown problems) go, secrets masked. */
  log?: (line: string) => void;
  /** How long the function may take, and its resources to set up (default 60 s). */
  timeoutMs?: number;
}

/**
 * Evaluates a sensor once from `cursor` and returns what its tick would record, writing nothing
 * (for `sluice sensor preview NAME --cursor C`, and the sensor daemon). The sensor's resources are
 * set up before its function first runs and torn down once the evaluation ends, whatever its
 * outcome. Never throws for user code: a function or resource setup that throws or times out, or a
 * malformed return value, gives a FAILURE evaluation (its error redacted) with the cursor unchanged.
 */
export async function evaluateSensorOnce(
  storage: Storage,
  defs: Definitions,
  sensor: SensorDefinition,
  cursor: string | null,
  options: SensorEvaluationOptions = {},
): Promise<SensorEvaluation> {
  const what = `Sensor "${sensor.name}"`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS;
  const scope = new EvaluationScope({ defs, what, resourceNames: Object.keys(sensor.resources), timeoutMs, log: options.log ?? (() => undefined) });
  const env: SensorEvaluationEnv = { ...options, storage, defs, scope };
  const context: BaseContext = { cursor, lastTickAt: env.lastTickAt ?? null, log: scope.logger(what) };
  const progress: Progress = {};
  try {
    const found = await evaluateKind(sensor, sensor.sensor, context, env, progress);
    const requests = found.requests.map((r) => ({
      runKey: r.runKey ?? null,
      run: buildInstigatedRun(env.defs, sensor, r, { kind: "sensor", name: sensor.name, runKey: r.runKey ?? null }),
    }));
    const newCursor = found.cursor === undefined ? cursor : found.cursor;
    if (requests.length > 0) return { status: TickStatus.Success, requests, cursor: newCursor, skipReason: null, error: null };
    return { status: TickStatus.Skipped, requests: [], cursor: newCursor, skipReason: found.skipReason === undefined ? null : scope.redact(found.skipReason), error: null };
  } catch (err) {
    // A cursorless event sensor still records where history ended, so that a later evaluation
    // (after the sensor's state was touched) does not take the events it failed on for history.
    return { status: TickStatus.Failure, requests: [], cursor: progress.historyEnd ?? cursor, skipReason: null, error: serializeError(err, scope.redact) };
  } finally {
    await scope.close();
  }
}

/** What an evaluation reads: definitions (for targets) and storage (events, runs; never written). */
interface SensorEvaluationEnv extends SensorEvaluationOptions {
  storage: Storage;
  defs: Definitions;
  /** The sensor's resources for this evaluation. */
  scope: EvaluationScope;
}

/** The context of every call of one evaluation, but its resources (set up on the first call). */
type BaseContext = Omit<SensorContext, "resources">;

/** The context a call of the sensor's function receives. */
async function withResources(context: BaseContext, env: SensorEvaluationEnv): Promise<SensorContext> {
  return { ...context, resources: await env.scope.resources() };
}

/** What an evaluation learned before its function threw. */
interface Progress {
  /** For an event sensor without a cursor: the last event id that is history (did not fire). */
  historyEnd?: string;
}

interface Found {
  requests: RunRequest[];
  /** Undefined: keep the previous cursor. */
  cursor?: string | null;
  skipReason?: string;
}

function evaluateKind(sensor: SensorDefinition, kind: SensorKind, context: BaseContext, env: SensorEvaluationEnv, progress: Progress): Promise<Found> {
  switch (kind.type) {
    case "standard":
      return evaluateStandard(sensor, kind, context, env);
    case "asset":
      return evaluateAsset(sensor, kind, context, env, progress);
    case "run_status":
      return evaluateRunStatus(sensor, kind, context, env, progress);
  }
}

async function evaluateStandard(
  sensor: SensorDefinition,
  kind: Extract<SensorKind, { type: "standard" }>,
  context: BaseContext,
  env: SensorEvaluationEnv,
): Promise<Found> {
  const what = `Sensor "${sensor.name}"`;
  const full = await withResources(context, env);
  const result: unknown = await callInstigatorCode(what, () => kind.evaluate(full), env.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS);
  if (result === undefined || result === null) return { requests: [] };
  if (isSkipReason(result)) return { requests: [], skipReason: result.reason };
  if (Array.isArray(result)) return { requests: result.map((r) => checkRunRequest(r, what)) };
  if (!isPlainObject(result)) {
    throw new UsageError(`${what} returned ${describe(result)}; return run requests, { runRequests, cursor, skipReason }, skip(reason), or nothing.`);
  }
  const { runRequests, cursor, skipReason } = result as { runRequests?: unknown; cursor?: unknown; skipReason?: unknown };
  if (runRequests !== undefined && !Array.isArray(runRequests)) throw new UsageError(`${what} returned runRequests that is ${describe(runRequests)}; give an array.`);
  if (cursor !== undefined && cursor !== null && typeof cursor !== "string") throw new UsageError(`${what} returned a cursor that is ${describe(cursor)}; a cursor must be a string.`);
  if (skipReason !== undefined && typeof skipReason !== "string") throw new UsageError(`${what} returned a skipReason that is ${describe(skipReason)}; give a string.`);
  return {
    requests: (runRequests ?? []).map((r) => checkRunRequest(r, what)),
    ...(cursor !== undefined ? { cursor } : {}),
    ...(skipReason !== undefined ? { skipReason } : {}),
  };
}

async function evaluateAsset(
  sensor: SensorDefinition,
  kind: Extract<SensorKind, { type: "asset" }>,
  context: BaseContext,
  env: SensorEvaluationEnv,
  progress: Progress,
): Promise<Found> {
  const what = `Asset sensor "${sensor.name}"`;
  const since = env.since ?? Date.now();
  let afterId = parseEventCursor(context.cursor, what);
  let history: number | null = null;
  if (afterId === null) {
    // Without a cursor only materializations after the sensor started fire. Usually the newest
    // one is older than that, and then it is the cursor: no scan of the history.
    const [newest] = await env.storage.getMaterializations(kind.assetKey, { limit: 1 });
    if (newest === undefined || newest.timestamp < since) afterId = newest?.id ?? 0;
    else history = since;
  }
  const { events, lastId, historyEnd } = await nextEvents(env.storage, { types: [EventType.AssetMaterialization], assetKeys: [kind.assetKey] }, afterId ?? 0, history);
  if (context.cursor === null) progress.historyEnd = String(historyEnd);
  const found: Found = { requests: [], cursor: String(lastId) };
  for (const event of events) {
    const materialization: MaterializationEvent = {
      eventId: event.id,
      runId: event.runId,
      assetKey: event.assetKey ?? kind.assetKey,
      partition: event.partition,
      timestamp: new Date(event.timestamp),
      metadata: event.data.metadata ?? {},
    };
    const label = `${what} (materialization ${event.id})`;
    const full = await withResources(context, env);
    const result = await callInstigatorCode(label, () => kind.evaluate(full, materialization), env.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS);
    addEventResult(found, result, label);
  }
  if (found.requests.length === 0 && found.skipReason === undefined && events.length === 0) {
    found.skipReason = `No new materialization of asset "${kind.assetKey}".`;
  }
  return found;
}

async function evaluateRunStatus(
  sensor: SensorDefinition,
  kind: Extract<SensorKind, { type: "run_status" }>,
  context: BaseContext,
  env: SensorEvaluationEnv,
  progress: Progress,
): Promise<Found> {
  const what = `Run status sensor "${sensor.name}"`;
  const afterId = parseEventCursor(context.cursor, what);
  const history = afterId === null ? (env.since ?? Date.now()) : null;
  const { events, lastId, historyEnd } = await nextEvents(env.storage, { types: [RUN_EVENT_OF_STATUS[kind.status]] }, afterId ?? 0, history);
  if (context.cursor === null) progress.historyEnd = String(historyEnd);
  const found: Found = { requests: [], cursor: String(lastId) };
  const runIds = [...new Set(events.map((e) => e.runId))];
  const runs = new Map(runIds.length === 0 ? [] : (await env.storage.listRuns({ runIds })).map((r) => [r.runId, r]));
  let seen = 0;
  for (const event of events) {
    const run = runs.get(event.runId);
    if (!run) continue;
    const watched =
      kind.monitoredJobs.length > 0
        ? kind.monitoredJobs.includes(run.jobName)
        : // Watching every job but its own target (and its own runs), so it cannot feed on itself.
          run.jobName !== sensor.jobName && run.tags[SENSOR_NAME_TAG] !== sensor.name;
    if (!watched) continue;
    seen++;
    const finished: FinishedRun = { runId: run.runId, jobName: run.jobName, status: kind.status, tags: { ...run.tags }, message: event.message };
    const label = `${what} (run ${run.runId})`;
    const full = await withResources(context, env);
    const result = await callInstigatorCode(label, () => kind.evaluate(full, finished), env.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS);
    addEventResult(found, result, label);
  }
  if (found.requests.length === 0 && found.skipReason === undefined && seen === 0) {
    found.skipReason = `No new ${kind.status} run of ${kind.monitoredJobs.length > 0 ? `jobs ${kind.monitoredJobs.join(", ")}` : "any watched job"}.`;
  }
  return found;
}

/** Adds what an asset or run-status sensor's function returned for one event. */
function addEventResult(found: Found, result: unknown, label: string): void {
  if (result === undefined || result === null) return;
  if (isSkipReason(result)) {
    found.skipReason = result.reason;
    return;
  }
  const list = Array.isArray(result) ? result : [result];
  for (const r of list) found.requests.push(checkRunRequest(r, label));
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
  readonly #timeoutMs: number;
  /** Last evaluation time per sensor (epoch ms; null: never), read from storage once. */
  readonly #lastTickAt = new Map<string, number | null>();
  readonly #inFlight = new Set<string>();

  constructor(opts: SensorDaemonOptions) {
    this.#storage = opts.storage;
    this.#defs = opts.defs;
    this.#now = opts.now ?? (() => new Date());
    this.#log = opts.log ?? (() => undefined);
    this.#startedAt = (opts.startedAt ?? new Date()).getTime();
    this.#timeoutMs = opts.evaluationTimeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS;
  }

  /**
   * One iteration: evaluates the running sensors that are due, at the same time, and waits for
   * them. A sensor still evaluating from an earlier call is left alone. Throws only when the
   * states cannot be read; one sensor's failure is recorded on its tick or logged.
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
      this.#inFlight.add(name);
      const since = state ? state.updatedAt : this.#startedAt;
      work.push(this.#maybeEvaluate(sensor, state?.cursor ?? null, since, now).finally(() => this.#inFlight.delete(name)));
    }
    await Promise.all(work);
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
        log: this.#log,
        timeoutMs: this.#timeoutMs,
      });
      const { tick, createdRuns } = await this.#storage.recordSensorTick(name, {
        tickTime: now,
        status: evaluation.status,
        requests: evaluation.requests,
        cursor: evaluation.cursor,
        skipReason: evaluation.skipReason,
        error: evaluation.error,
      });
      if (evaluation.error) this.#log(`Sensor "${name}" failed: ${evaluation.error.message}`);
      else if (createdRuns.length > 0) this.#log(`Sensor "${name}" queued ${createdRuns.length} run(s): ${createdRuns.map((r) => r.runId).join(", ")}`);
      if (tick.skippedRunKeys.length > 0) this.#log(`Sensor "${name}": run keys already used, skipped: ${tick.skippedRunKeys.join(", ")}`);
    } catch (err) {
      this.#log(`Sensor "${name}": ${serializeError(err).message}; retrying on the next iteration.`);
    }
  }
}
