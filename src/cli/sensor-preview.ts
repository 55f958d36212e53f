import type { SensorEvaluation } from "../daemon/sensor-daemon.js";
import type { DynamicPartitionsRequest } from "../definitions/run-request.js";
import { ASSET_JOB_NAME } from "../runs/run-target.js";
import type { SensorRunRequest } from "../storage/records.js";

/** One run a sensor asks for, as `sensor preview` prints it: a request, not a run (no id, no status). */
export interface RunRequestPreview {
  runKey: string | null;
  /** The job it would run, or null for an asset selection. */
  job: string | null;
  /** The asset selection expression, or null for a job. */
  selection: string | null;
  /** The assets the selection stands for now, or null for a job. */
  assets: string[] | null;
  partition: string | null;
  /** The run config it would have (the job's default config under the request's). */
  config: Record<string, unknown>;
  /** The tags it would have, the sensor's own included. */
  tags: Record<string, string>;
}

/** What `sluice sensor preview` prints: the evaluation, with its run requests as requests. */
export interface SensorPreview {
  /** Of the evaluation, as its tick would record it: SUCCESS, SKIPPED or FAILURE. */
  status: SensorEvaluation["status"];
  requests: RunRequestPreview[];
  /** Keys the tick would add to or remove from dynamic partitions (before its runs, in one transaction). */
  dynamicPartitionsRequests: DynamicPartitionsRequest[];
  cursor: string | null;
  skipReason: string | null;
  error: SensorEvaluation["error"];
}

/**
 * Shapes an evaluation for `sensor preview`. A preview creates no run, so it prints no run id or
 * run status (those would look like QUEUED runs that do not exist); storage drops a request whose
 * run key was already used when the daemon records it, which a preview does not check.
 */
export function sensorPreview(evaluation: SensorEvaluation): SensorPreview {
  return {
    status: evaluation.status,
    requests: evaluation.requests.map(requestPreview),
    dynamicPartitionsRequests: evaluation.dynamicPartitionsRequests,
    cursor: evaluation.cursor,
    skipReason: evaluation.skipReason,
    error: evaluation.error,
  };
}

function requestPreview({ runKey, run }: SensorRunRequest): RunRequestPreview {
  const isSelection = run.jobName === ASSET_JOB_NAME;
  return {
    runKey,
    job: isSelection ? null : run.jobName,
    selection: isSelection ? (run.selectionExpression ?? null) : null,
    assets: isSelection ? [...run.selection] : null,
    partition: run.partition ?? null,
    config: run.config ?? {},
    tags: run.tags ?? {},
  };
}
