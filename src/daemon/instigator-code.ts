import type { Definitions } from "../definitions/definitions.js";
import { errorMessage, UsageError } from "../definitions/errors.js";
import { isSkipReason, type DynamicPartitionsRequest, type RunRequest } from "../definitions/run-request.js";
import type { FinishedRun, FreshnessChange, MaterializationEvent, SensorDefinition } from "../definitions/sensor.js";
import { serializeError } from "../execution/serialize-error.js";
import type { SerializedError } from "../storage/records.js";
import { EvaluationScope } from "./evaluation-scope.js";
import { callInstigatorCode, checkRunRequest, describe, isPlainObject } from "./run-requests.js";

/** A schedule tick's call of user code: its execute function, with the schedule's resources. */
export interface ScheduleCall {
  name: string;
  scheduledTime: Date;
  /** For a target with time-window partitions: the last partition complete at the tick. */
  partitionKey: string | null;
}

/**
 * A sensor evaluation's calls of user code, with the sensor's resources: its function once (a
 * standard sensor), or once per event (the materializations of an asset sensor, the finished runs
 * of a run-status sensor, which the daemon read from storage).
 */
export interface SensorCall {
  name: string;
  cursor: string | null;
  lastTickAt: Date | null;
  events: readonly MaterializationEvent[] | readonly FinishedRun[] | readonly FreshnessChange[];
}

/** What a schedule's execute function asks for: runs (one per request) or a skip. */
export type TickPlan = { kind: "runs"; requests: RunRequest[] } | { kind: "skip"; reason: string };

/** What a sensor's function answered, over all its calls of one evaluation. */
export interface SensorAnswer {
  requests: RunRequest[];
  /** Undefined: keep the previous cursor. */
  cursor?: string | null;
  skipReason?: string;
  /** Keys to add to or remove from dynamic partitions in the same tick (checked in shape only). */
  dynamicPartitionsRequests?: DynamicPartitionsRequest[];
}

/**
 * The outcome of a schedule's user code, as plain data (it may cross a thread boundary): run
 * requests with their run config as JSON would store it (an EnvVar as `{"env": NAME}`, never its
 * value), a skip reason, or the error, secrets of the schedule's resources masked in both.
 */
export type ScheduleOutcome = { ok: true; plan: TickPlan } | { ok: false; error: SerializedError };

/** The outcome of a sensor's user code, as plain data (see {@link ScheduleOutcome}). */
export type SensorOutcome = { ok: true; answer: SensorAnswer } | { ok: false; error: SerializedError };

/** Where user code runs from: its timeout, where its log lines go, and who watches it. */
export interface UserCodeEnv {
  /** How long each call (the function, its resources' setup, their teardown) may take. */
  timeoutMs: number;
  /** Log lines of the function and its resources, secrets masked. */
  log: (line: string) => void;
  /** Told as each call of user code begins, naming it: an evaluation thread's watchdog times it. */
  onPhase?: (what: string) => void;
}

const RUN_REQUEST_KEYS = new Set(["runKey", "runConfig", "tags", "partitionKey"]);

/**
 * Runs a schedule tick's user code: sets up the schedule's resources, calls its execute function
 * (when it has one) and tears the resources down, whatever happened. Never throws: a function or
 * resource that throws or times out, or a malformed return value, is a failed outcome.
 */
export async function runScheduleCode(defs: Definitions, call: ScheduleCall, env: UserCodeEnv): Promise<ScheduleOutcome> {
  const label = `Schedule "${call.name}" (tick ${call.scheduledTime.toISOString()})`;
  const definition = defs.schedules.get(call.name)?.definition;
  if (!definition) return { ok: false, error: serializeError(notLoaded(`Schedule "${call.name}"`)) };
  // The schedule's resources live for this evaluation only: set up before execute, torn down after it.
  const scope = new EvaluationScope({ defs, what: label, resourceNames: Object.keys(definition.resources), timeoutMs: env.timeoutMs, log: env.log, onPhase: env.onPhase });
  try {
    let result: unknown;
    try {
      const execute = definition.execute;
      if (execute) {
        const context = { scheduledTime: call.scheduledTime, partitionKey: call.partitionKey, log: scope.logger(label), resources: await scope.resources() };
        env.onPhase?.(label);
        result = await callInstigatorCode(label, () => execute(context), env.timeoutMs);
      }
    } finally {
      await scope.close();
    }
    const plan = planOf(result, label);
    if (plan.kind === "skip") return { ok: true, plan: { kind: "skip", reason: scope.redact(plan.reason) } };
    return { ok: true, plan: { kind: "runs", requests: plan.requests.map((r) => plainRunRequest(r, label)) } };
  } catch (err) {
    return { ok: false, error: serializeError(err, scope.redact) };
  }
}

/**
 * Runs a sensor evaluation's user code: sets up the sensor's resources before its function first
 * runs, calls it (once, or once per event), checks what it returned, and tears the resources down
 * once it is over, whatever happened. Never throws (see {@link runScheduleCode}).
 */
export async function runSensorCode(defs: Definitions, call: SensorCall, env: UserCodeEnv): Promise<SensorOutcome> {
  const what = `Sensor "${call.name}"`;
  const sensor = defs.sensors.get(call.name);
  if (!sensor) return { ok: false, error: serializeError(notLoaded(what)) };
  const scope = new EvaluationScope({ defs, what, resourceNames: Object.keys(sensor.resources), timeoutMs: env.timeoutMs, log: env.log, onPhase: env.onPhase });
  try {
    const answer = await answerOf(sensor, call, scope, env);
    return {
      ok: true,
      answer: {
        requests: answer.requests.map((r) => plainRunRequest(r, what)),
        ...(answer.cursor !== undefined ? { cursor: answer.cursor } : {}),
        ...(answer.skipReason !== undefined ? { skipReason: scope.redact(answer.skipReason) } : {}),
        ...(answer.dynamicPartitionsRequests !== undefined ? { dynamicPartitionsRequests: answer.dynamicPartitionsRequests } : {}),
      },
    };
  } catch (err) {
    return { ok: false, error: serializeError(err, scope.redact) };
  } finally {
    await scope.close();
  }
}

async function answerOf(sensor: SensorDefinition, call: SensorCall, scope: EvaluationScope, env: UserCodeEnv): Promise<SensorAnswer> {
  const kind = sensor.sensor;
  const context = { cursor: call.cursor, lastTickAt: call.lastTickAt, log: scope.logger(`Sensor "${sensor.name}"`) };
  if (kind.type === "standard") {
    const what = `Sensor "${sensor.name}"`;
    const full = { ...context, resources: await scope.resources() };
    env.onPhase?.(what);
    return standardAnswer(await callInstigatorCode(what, () => kind.evaluate(full), env.timeoutMs), what);
  }
  const answer: SensorAnswer = { requests: [] };
  for (const event of call.events) {
    const label =
      kind.type === "asset"
        ? `Asset sensor "${sensor.name}" (materialization ${(event as MaterializationEvent).eventId})`
        : kind.type === "freshness"
          ? `Freshness sensor "${sensor.name}" (asset "${(event as FreshnessChange).assetKey}" ${(event as FreshnessChange).status})`
          : `Run status sensor "${sensor.name}" (run ${(event as FinishedRun).runId})`;
    const full = { ...context, resources: await scope.resources() };
    env.onPhase?.(label);
    const result: unknown = await callInstigatorCode(
      label,
      () =>
        kind.type === "asset"
          ? kind.evaluate(full, event as MaterializationEvent)
          : kind.type === "freshness"
            ? kind.evaluate(full, event as FreshnessChange)
            : kind.evaluate(full, event as FinishedRun),
      env.timeoutMs,
    );
    addEventResult(answer, result, label);
  }
  return answer;
}

/** The fields of a SensorResult (an object of RUN_REQUEST_KEYS alone is one run request). */
const SENSOR_RESULT_KEYS: ReadonlySet<string> = new Set(["runRequests", "cursor", "skipReason", "dynamicPartitionsRequests"]);
/** The fields of a dynamic partitions request. */
const DYNAMIC_PARTITIONS_REQUEST_KEYS: ReadonlySet<string> = new Set(["partitionsName", "add", "remove"]);

/** What a standard sensor's function returned, checked. */
function standardAnswer(result: unknown, what: string): SensorAnswer {
  if (result === undefined || result === null) return { requests: [] };
  if (isSkipReason(result)) return { requests: [], skipReason: result.reason };
  if (Array.isArray(result)) return { requests: result.map((r) => checkRunRequest(r, what)) };
  if (!isPlainObject(result)) {
    throw new UsageError(`${what} returned ${describe(result)}; return run requests, { runRequests, cursor, skipReason }, skip(reason), or nothing.`);
  }
  const keys = Object.keys(result);
  // One run request on its own, as a sensor may return in Dagster.
  if (keys.length > 0 && keys.every((k) => RUN_REQUEST_KEYS.has(k))) return { requests: [checkRunRequest(result, what)] };
  const unknown = keys.filter((k) => !SENSOR_RESULT_KEYS.has(k));
  if (unknown.length > 0) {
    throw new UsageError(
      `${what} returned an object with ${unknown.map((k) => JSON.stringify(k)).join(", ")}; return a run request, run requests, { runRequests, cursor, skipReason, dynamicPartitionsRequests }, skip(reason), or nothing.`,
    );
  }
  const { runRequests, cursor, skipReason, dynamicPartitionsRequests } = result as { runRequests?: unknown; cursor?: unknown; skipReason?: unknown; dynamicPartitionsRequests?: unknown };
  if (runRequests !== undefined && !Array.isArray(runRequests)) throw new UsageError(`${what} returned runRequests that is ${describe(runRequests)}; give an array.`);
  if (cursor !== undefined && cursor !== null && typeof cursor !== "string") throw new UsageError(`${what} returned a cursor that is ${describe(cursor)}; a cursor must be a string.`);
  if (skipReason !== undefined && typeof skipReason !== "string") throw new UsageError(`${what} returned a skipReason that is ${describe(skipReason)}; give a string.`);
  return {
    requests: (runRequests ?? []).map((r) => checkRunRequest(r, what)),
    ...(cursor !== undefined ? { cursor } : {}),
    ...(skipReason !== undefined ? { skipReason } : {}),
    ...(dynamicPartitionsRequests !== undefined ? { dynamicPartitionsRequests: checkDynamicPartitionsRequests(dynamicPartitionsRequests, what) } : {}),
  };
}

/**
 * Checks the shape of a sensor's dynamicPartitionsRequests and copies them as plain data: an array
 * of `{ partitionsName, add?, remove? }` with string names and arrays of strings, nothing else.
 * Throws UsageError naming the offender. (Names and keys are checked against the definitions and
 * the key rules when the tick's runs are built.)
 */
function checkDynamicPartitionsRequests(value: unknown, what: string): DynamicPartitionsRequest[] {
  const hint = `give [{ partitionsName, add?: [keys], remove?: [keys] }]`;
  if (!Array.isArray(value)) throw new UsageError(`${what} returned dynamicPartitionsRequests that is ${describe(value)}; ${hint}.`);
  return value.map((request: unknown, i) => {
    const at = `${what} returned dynamicPartitionsRequests[${i}]`;
    if (!isPlainObject(request)) throw new UsageError(`${at} that is ${describe(request)}; ${hint}.`);
    const unknown = Object.keys(request).filter((k) => !DYNAMIC_PARTITIONS_REQUEST_KEYS.has(k));
    if (unknown.length > 0) throw new UsageError(`${at} with ${unknown.map((k) => JSON.stringify(k)).join(", ")}; ${hint}.`);
    const { partitionsName, add, remove } = request as { partitionsName?: unknown; add?: unknown; remove?: unknown };
    if (typeof partitionsName !== "string") throw new UsageError(`${at} whose partitionsName is ${describe(partitionsName)}; give the name passed to dynamicPartitions().`);
    const keys = (list: unknown, field: string): string[] | undefined => {
      if (list === undefined) return undefined;
      if (!Array.isArray(list)) throw new UsageError(`${at} whose ${field} is ${describe(list)}; give an array of partition keys (strings).`);
      const bad = list.findIndex((k) => typeof k !== "string");
      if (bad !== -1) throw new UsageError(`${at} whose ${field}[${bad}] is ${describe(list[bad])}; partition keys are strings.`);
      return [...(list as string[])];
    };
    const added = keys(add, "add");
    const removed = keys(remove, "remove");
    return { partitionsName, ...(added ? { add: added } : {}), ...(removed ? { remove: removed } : {}) };
  });
}

/** Adds what an asset or run-status sensor's function returned for one event. */
function addEventResult(answer: SensorAnswer, result: unknown, label: string): void {
  if (result === undefined || result === null) return;
  if (isSkipReason(result)) {
    answer.skipReason = result.reason;
    return;
  }
  const list = Array.isArray(result) ? result : [result];
  for (const r of list) answer.requests.push(checkRunRequest(r, label));
}

/**
 * What a schedule's execute result asks for: runs (one per run request; run config alone, or
 * nothing, is one run) or a skip. Requests with the same run key are one run.
 */
function planOf(result: unknown, label: string): TickPlan {
  if (result === undefined || result === null) return { kind: "runs", requests: [{}] };
  if (isSkipReason(result)) return { kind: "skip", reason: result.reason };
  if (Array.isArray(result)) {
    if (result.length === 0) return { kind: "skip", reason: "execute returned no run requests" };
    const requests = result.map((r) => checkRunRequest(r, label));
    const seen = new Set<string>();
    return {
      kind: "runs",
      requests: requests.filter((r) => r.runKey === undefined || r.runKey === null || (!seen.has(r.runKey) && seen.add(r.runKey) !== undefined)),
    };
  }
  if (isPlainObject(result)) {
    const keys = Object.keys(result);
    // A run request has only these keys; anything else is run config (`ops`, `resources`).
    if (keys.length > 0 && keys.every((k) => RUN_REQUEST_KEYS.has(k))) return { kind: "runs", requests: [checkRunRequest(result, label)] };
    return { kind: "runs", requests: [{ runConfig: result }] };
  }
  throw new UsageError(`${label} returned ${describe(result)}; return run config, a run request, a list of run requests, skip(reason), or nothing.`);
}

/**
 * A checked run request as plain data: its run config as storage will keep it (through JSON, so an
 * EnvVar becomes `{"env": NAME}` and its value is never read). Throws UsageError naming `what` when
 * the config cannot be JSON (a cycle, a bigint).
 */
function plainRunRequest(request: RunRequest, what: string): RunRequest {
  const plain: RunRequest = {};
  if (request.runKey !== undefined) plain.runKey = request.runKey;
  if (request.partitionKey !== undefined) plain.partitionKey = request.partitionKey;
  if (request.tags !== undefined) plain.tags = { ...request.tags };
  if (request.runConfig !== undefined) {
    let json: string;
    try {
      json = JSON.stringify(request.runConfig);
    } catch (err) {
      throw new UsageError(`${what} returned run config that cannot be stored as JSON (${errorMessage(err)}). Give strings, numbers, booleans, arrays, objects and EnvVars.`);
    }
    plain.runConfig = JSON.parse(json) as Record<string, unknown>;
  }
  return plain;
}

/** A schedule or sensor the daemon knows but the definitions evaluating it do not. */
function notLoaded(what: string): UsageError {
  return new UsageError(
    `${what} is not defined in the definitions its evaluation loaded: they changed on disk since the daemon loaded them. Restart the daemon (sluice dev reloads on save).`,
  );
}
