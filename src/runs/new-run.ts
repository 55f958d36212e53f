import { randomUUID } from "node:crypto";
import type { Definitions } from "../definitions/definitions.js";
import { effectiveRunConfig, prepareRun, type RunTarget } from "../execution/prepare-run.js";
import { unknownJobError } from "../execution/plan.js";
import { executorOfTags } from "../execution/executor-tag.js";
import { normalizeRunConfig } from "../execution/run-config.js";
import type { PartitionKeyRange } from "../definitions/asset.js";
import { PartitionError, UsageError } from "../definitions/errors.js";
import { executableAssetKeys } from "../definitions/external-assets.js";
import { PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, partitionRangeTags, partitionTags } from "../execution/run-partition.js";
import { RunStatus, type NewRun, type RunRecord } from "../storage/records.js";
import type { StatusOf } from "../definitions/selection/select-assets.js";
import { ASSET_JOB_NAME, resolveSelection, type AssetSelection } from "./run-target.js";

/** Tag on runs a schedule launched: the schedule's name. */
export const SCHEDULE_NAME_TAG = "sluice/schedule_name";
/** Tag on runs a schedule launched: the tick's scheduled time (ISO, UTC). */
export const SCHEDULED_TIME_TAG = "sluice/scheduled_time";
/** Tag on runs a sensor launched: the sensor's name. */
export const SENSOR_NAME_TAG = "sluice/sensor_name";
/** Tag on runs a sensor launched with a run key: the key. */
export const RUN_KEY_TAG = "sluice/run_key";
/** Tag on a re-execution: `from_failure` or `all`. */
export const REEXECUTION_TAG = "sluice/reexecution";
/** Tag on runs a backfill launched: the backfill's id (as Dagster's `dagster/backfill`). */
export const BACKFILL_TAG = "sluice/backfill";
/** Tag on a backfill that retries the failed partitions of another: the other's id. */
export const PARENT_BACKFILL_TAG = "sluice/parent_backfill";
/** Tag on runs the automation loop requested: the evaluation's id (its explanations are found by it). */
export const AUTOMATION_EVALUATION_TAG = "sluice/automation_evaluation";
/** Tag on automatic run retries: the attempt number (2 for the first retry). */
export const RETRY_NUMBER_TAG = "sluice/retry_number";

/**
 * What a new run executes: a job by name (optionally only some of its steps, as a backfill's group
 * of a job does), or assets (a selection expression, or assets or keys; default every asset). Of
 * assets, external ones are left out; `observe: true` keeps only observable source assets (a run
 * that observes them), else the run materializes the others (observing observable ones among them).
 */
export type RunRequestTarget =
  | { job: string; steps?: readonly string[] }
  /** `statusOf` answers `status:` in an expression (see `selectionStatusOf`, read before the run is made). */
  | { assets?: AssetSelection; statusOf?: StatusOf; observe?: boolean };

/** Who asks for a run; a schedule, a sensor, a backfill or the automation loop tags its runs with its name (and its tick or run key). */
export type RunOrigin =
  | { kind: "user" }
  | { kind: "schedule"; name: string; scheduledTime: Date; tags: Readonly<Record<string, string>> }
  | { kind: "sensor"; name: string; runKey: string | null }
  | { kind: "backfill"; backfillId: string }
  | { kind: "automation"; evaluationId: number };

/** A new run, asked for from definitions: by a user (CLI, API, code), a schedule or a sensor. */
export interface NewRunRequest {
  defs: Definitions;
  target: RunRequestTarget;
  /** Run config as given: one object, or several merged in order (over a job's own default config). */
  config?: unknown;
  tags?: Readonly<Record<string, string>>;
  /** The partition to materialize, for targets with partitioned assets. */
  partition?: string | null;
  /**
   * A range of partitions to materialize in one run instead of one key (both ends included),
   * for targets whose partitioned assets all have a backfill policy. Recorded as the tags
   * `sluice/asset_partition_range_start` and `_end`; the run's `partition` is then null.
   */
  partitionRange?: PartitionKeyRange | null;
  origin?: RunOrigin;
  runId?: string;
}

/** A re-execution of a finished run (by a user, or an automatic retry): some or all of its steps. */
export interface ReexecutionRequest {
  parent: RunRecord;
  /** The parent's steps to run again. */
  steps: readonly string[];
  fromFailure: boolean;
  tags?: Readonly<Record<string, string>>;
  runId?: string;
}

/**
 * The record of a run to create (QUEUED): the one way every path (CLI, API, code, schedules,
 * sensors, re-execution, retries) makes one, so that runs look the same whoever asked.
 *
 * A new run from definitions is checked first, as it would start (config against its schemas, env
 * vars, the partition), so a run that could not start is never created: throws UsageError (an
 * unknown job), SelectionError, ConfigError, MissingEnvVarError or PartitionError. Its config is
 * the effective one (a job's default config under what was given), its tags the job's, then the
 * origin's own (a schedule's), then those given, then the origin's system tags (which a request
 * cannot override), then the partition's (or the partition range's). A re-execution keeps its parent's target, config and
 * partition, adds the re-execution tag, and points at its parent and root.
 *
 * @example
 * const run = await storage.createRun(newRun({ defs, target: { job: "nightly" }, config, tags: { team: "data" } }));
 */
export function newRun(request: NewRunRequest | ReexecutionRequest): NewRun {
  return "parent" in request ? reexecution(request) : fromDefinitions(request);
}

function fromDefinitions(request: NewRunRequest): NewRun {
  const { defs } = request;
  const given = normalizeRunConfig(request.config);
  const partition = request.partition ?? null;
  let target: RunTarget;
  let shape: Pick<NewRun, "jobName" | "selection" | "selectionExpression">;
  let jobTags: Readonly<Record<string, string>> = {};
  if ("job" in request.target) {
    const job = defs.jobs.get(request.target.job);
    if (!job) throw unknownJobError(defs, request.target.job);
    const steps = request.target.steps;
    const unknown = steps?.find((k) => !job.stepKeys.includes(k));
    if (unknown !== undefined) throw new UsageError(`Step "${unknown}" is not a step of job "${job.definition.name}". Its steps: ${job.stepKeys.map((k) => `"${k}"`).join(", ")}.`);
    target = { kind: "job", jobName: job.definition.name, ...(steps ? { stepKeys: [...steps] } : {}) };
    shape = { jobName: job.definition.name, selection: [...(steps ?? job.stepKeys)], selectionExpression: null };
    jobTags = job.definition.tags;
  } else {
    const selection = request.target.assets;
    const keys = executableAssetKeys(defs.assets, resolveSelection(defs, selection, request.target.statusOf), request.target.observe ? "observe" : "materialize");
    target = { kind: "assets", keys };
    shape = { jobName: ASSET_JOB_NAME, selection: keys, selectionExpression: typeof selection === "string" ? selection : null };
  }
  const range = request.partitionRange ?? null;
  for (const tag of [PARTITION_RANGE_START_TAG, PARTITION_RANGE_END_TAG]) {
    // The range would be read back from these tags without having been checked.
    if (request.tags?.[tag] !== undefined) throw new PartitionError(`Tag "${tag}" is set by Sluice from the run's partition range; pass partitionRange: { start, end } instead of the tag.`, null);
  }
  // Refused now rather than failing the run when it starts.
  if (request.tags) executorOfTags(request.tags);
  const { partitions, partitionRange } = prepareRun(defs, target, given, { key: partition, range, newRun: true });
  const origin = request.origin ?? { kind: "user" };
  return queued({
    ...shape,
    runId: request.runId,
    partition,
    config: effectiveRunConfig(defs, target, given),
    tags: {
      ...jobTags,
      ...(origin.kind === "schedule" ? origin.tags : {}),
      ...(request.tags ?? {}),
      ...originTags(origin),
      ...partitionTags(partitions, partition),
      ...partitionRangeTags(partitionRange),
    },
  });
}

function reexecution(request: ReexecutionRequest): NewRun {
  const { parent, fromFailure } = request;
  return queued({
    runId: request.runId,
    jobName: parent.jobName,
    selection: [...request.steps],
    // A subset of the parent's steps is no longer what the parent's expression selects.
    selectionExpression: fromFailure ? null : parent.selectionExpression,
    partition: parent.partition,
    config: parent.config,
    tags: { ...parent.tags, ...(request.tags ?? {}), [REEXECUTION_TAG]: fromFailure ? "from_failure" : "all" },
    parentRunId: parent.runId,
    rootRunId: parent.rootRunId ?? parent.runId,
  });
}

/** The tags a schedule, a sensor, a backfill or the automation loop puts on its runs. */
function originTags(origin: RunOrigin): Record<string, string> {
  switch (origin.kind) {
    case "user":
      return {};
    case "schedule":
      return { [SCHEDULE_NAME_TAG]: origin.name, [SCHEDULED_TIME_TAG]: origin.scheduledTime.toISOString() };
    case "sensor":
      return { [SENSOR_NAME_TAG]: origin.name, ...(origin.runKey !== null ? { [RUN_KEY_TAG]: origin.runKey } : {}) };
    case "backfill":
      return { [BACKFILL_TAG]: origin.backfillId };
    case "automation":
      return { [AUTOMATION_EVALUATION_TAG]: String(origin.evaluationId) };
  }
}

/** Every field of a QUEUED run record, in one shape whoever built it. */
function queued(fields: Omit<NewRun, "runId" | "status"> & { runId: string | undefined }): NewRun {
  return {
    runId: fields.runId ?? randomUUID(),
    jobName: fields.jobName,
    selection: fields.selection,
    selectionExpression: fields.selectionExpression ?? null,
    partition: fields.partition ?? null,
    config: fields.config ?? {},
    tags: fields.tags ?? {},
    parentRunId: fields.parentRunId ?? null,
    rootRunId: fields.rootRunId ?? null,
    status: RunStatus.Queued,
  };
}
