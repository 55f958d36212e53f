import { randomUUID } from "node:crypto";
import type { Definitions } from "../definitions/definitions.js";
import { UsageError, UserCodeError } from "../definitions/errors.js";
import type { RunRequest } from "../definitions/run-request.js";
import type { StepLogger } from "../definitions/step-logger.js";
import { ASSET_JOB_NAME, resolveSelection } from "../execution/materialize-assets.js";
import { effectiveRunConfig, prepareRun, type RunTargetSpec } from "../execution/prepare-run.js";
import { partitionTags } from "../execution/run-partition.js";
import { RunStatus, type NewRun } from "../storage/records.js";

/** Tag on runs a schedule launched: the schedule's name. */
export const SCHEDULE_NAME_TAG = "sluice/schedule_name";
/** Tag on runs a schedule launched: the tick's scheduled time (ISO, UTC). */
export const SCHEDULED_TIME_TAG = "sluice/scheduled_time";
/** Tag on runs a sensor launched: the sensor's name. */
export const SENSOR_NAME_TAG = "sluice/sensor_name";
/** Tag on runs a sensor launched with a run key: the key. */
export const RUN_KEY_TAG = "sluice/run_key";

/** How long a schedule's or sensor's function may take before its tick fails (as Dagster's 60 s). */
export const DEFAULT_EVALUATION_TIMEOUT_MS = 60_000;

/** What a schedule or sensor launches: a job by name, or an asset selection expression. */
export interface InstigatorTarget {
  jobName: string | undefined;
  selection: string | undefined;
}

/** Who asks for the run, which decides its tags. */
export type RunOrigin =
  | { kind: "schedule"; name: string; scheduledTime: Date; tags: Readonly<Record<string, string>> }
  | { kind: "sensor"; name: string; runKey: string | null };

/**
 * The QUEUED run a schedule tick or sensor request launches. Its config (the job's default config
 * under the request's) is checked with prepareRun first, so nothing is created for a run that
 * could not start. Throws ConfigError, MissingEnvVarError, SelectionError, PartitionError (a
 * partitioned target without a key, or a key it does not have), or UsageError when the
 * instigator has no target or its job is not defined.
 */
export function buildInstigatedRun(defs: Definitions, target: InstigatorTarget, request: RunRequest, origin: RunOrigin): NewRun {
  const what = `${origin.kind === "schedule" ? "Schedule" : "Sensor"} "${origin.name}"`;
  const runConfig = request.runConfig ?? {};
  let spec: RunTargetSpec;
  let base: Omit<NewRun, "runId" | "config" | "tags">;
  let jobTags: Readonly<Record<string, string>> = {};
  if (target.jobName !== undefined) {
    const job = defs.jobs.get(target.jobName);
    if (!job) throw new UsageError(`${what} targets job "${target.jobName}", which is not defined. Add it to the jobs of your Definitions.`);
    spec = { kind: "job", jobName: target.jobName };
    base = { jobName: target.jobName, selection: [...job.stepKeys] };
    jobTags = job.definition.tags;
  } else if (target.selection !== undefined) {
    const keys = resolveSelection(defs, target.selection);
    spec = { kind: "assets", keys };
    base = { jobName: ASSET_JOB_NAME, selection: keys, selectionExpression: target.selection };
  } else {
    throw new UsageError(`${what} asked for a run but has no job or selection to launch. Give it a job or a selection, or return no run requests.`);
  }
  const partitionKey = request.partitionKey ?? null;
  const { partitions } = prepareRun(defs, spec, runConfig, { key: partitionKey, newRun: true });
  // The instigator's own tags come last: a request cannot disguise where its run came from.
  const tags: Record<string, string> =
    origin.kind === "schedule"
      ? { ...jobTags, ...origin.tags, ...request.tags, [SCHEDULE_NAME_TAG]: origin.name, [SCHEDULED_TIME_TAG]: origin.scheduledTime.toISOString() }
      : { ...jobTags, ...request.tags, [SENSOR_NAME_TAG]: origin.name, ...(origin.runKey !== null ? { [RUN_KEY_TAG]: origin.runKey } : {}) };
  Object.assign(tags, partitionTags(partitions, partitionKey));
  return { ...base, runId: randomUUID(), partition: partitionKey, config: effectiveRunConfig(defs, spec, runConfig), tags, status: RunStatus.Queued };
}

/** True for a plain object (run config, a run request), not an array, date or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Checks that user code returned a well-formed RunRequest; throws UsageError naming the offender. */
export function checkRunRequest(value: unknown, what: string): RunRequest {
  if (!isPlainObject(value)) {
    throw new UsageError(`${what} returned ${describe(value)} where a run request was expected. Return { runKey?, runConfig?, tags?, partitionKey? }.`);
  }
  const request = value as RunRequest;
  if (request.runKey !== undefined && typeof request.runKey !== "string") {
    throw new UsageError(`${what} returned a run request whose runKey is ${describe(request.runKey)}; a run key must be a string.`);
  }
  if (request.runConfig !== undefined && !isPlainObject(request.runConfig)) {
    throw new UsageError(`${what} returned a run request whose runConfig is ${describe(request.runConfig)}; give an object.`);
  }
  if (request.partitionKey !== undefined && typeof request.partitionKey !== "string") {
    throw new UsageError(`${what} returned a run request whose partitionKey is ${describe(request.partitionKey)}; a partition key must be a string.`);
  }
  if (request.tags !== undefined) {
    if (!isPlainObject(request.tags)) throw new UsageError(`${what} returned a run request whose tags are ${describe(request.tags)}; give an object of strings.`);
    for (const [key, tag] of Object.entries(request.tags)) {
      if (typeof tag !== "string") throw new UsageError(`${what} returned a run request whose tag "${key}" is ${describe(tag)}; tag values must be strings.`);
    }
  }
  return request;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Calls a schedule's or sensor's function inside the error boundary: whatever it throws, or its
 * not settling within `timeoutMs`, becomes a UserCodeError (the original kept as `cause`).
 */
export async function callInstigatorCode<T>(what: string, fn: () => T | Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const pending = Promise.resolve().then(fn);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new UserCodeError(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s. Make it faster, or move the slow work into a run.`, undefined, undefined)),
        timeoutMs,
      );
      // A hung user function must not keep the process alive on its own.
      timer.unref();
    });
    return await Promise.race([pending, timeout]);
  } catch (err) {
    if (err instanceof UserCodeError) throw err;
    throw new UserCodeError(`${what} threw: ${err instanceof Error ? err.message : describe(err)}`, undefined, err);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** A logger for a schedule's or sensor's function: lines go to the daemon's log, prefixed. */
export function instigatorLogger(prefix: string, log: (line: string) => void): StepLogger {
  const line = (level: string) => (message: string) => log(`${prefix} ${level}: ${message}`);
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}
