import type { Definitions } from "../definitions/definitions.js";
import { UsageError, UserCodeError } from "../definitions/errors.js";
import type { RunRequest } from "../definitions/run-request.js";
import type { StepLogger } from "../definitions/step-logger.js";
import type { NewRun } from "../storage/records.js";
import { newRun, type RunOrigin as NewRunOrigin, type RunRequestTarget } from "../runs/new-run.js";

export { RUN_KEY_TAG, SCHEDULED_TIME_TAG, SCHEDULE_NAME_TAG, SENSOR_NAME_TAG } from "../runs/new-run.js";

/** How long a schedule's or sensor's function may take before its tick fails (as Dagster's 60 s). */
export const DEFAULT_EVALUATION_TIMEOUT_MS = 60_000;

/** What a schedule or sensor launches: a job by name, or an asset selection expression. */
export interface InstigatorTarget {
  jobName: string | undefined;
  selection: string | undefined;
}

/** Who asks for the run, which decides its tags. */
export type RunOrigin = Exclude<NewRunOrigin, { kind: "user" } | { kind: "backfill" } | { kind: "automation" }>;

/**
 * The QUEUED run a schedule tick or sensor request launches (see newRun): checked first, so
 * nothing is created for a run that could not start. Throws ConfigError, MissingEnvVarError,
 * SelectionError, PartitionError (a partitioned target without a key, or a key it does not have),
 * or UsageError when the instigator has no target or its job is not defined.
 */
export function buildInstigatedRun(defs: Definitions, target: InstigatorTarget, request: RunRequest, origin: RunOrigin): NewRun {
  const what = `${origin.kind === "schedule" ? "Schedule" : "Sensor"} "${origin.name}"`;
  let runTarget: RunRequestTarget;
  if (target.jobName !== undefined) {
    if (!defs.jobs.has(target.jobName)) throw new UsageError(`${what} targets job "${target.jobName}", which is not defined. Add it to the jobs of your Definitions.`);
    runTarget = { job: target.jobName };
  } else if (target.selection !== undefined) {
    runTarget = { assets: target.selection };
  } else {
    throw new UsageError(`${what} asked for a run but has no job or selection to launch. Give it a job or a selection, or return no run requests.`);
  }
  return newRun({ defs, target: runTarget, config: request.runConfig ?? {}, tags: request.tags ?? {}, partition: request.partitionKey ?? null, origin });
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
