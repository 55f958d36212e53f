import type { ResourceRequirements, ResourceValues } from "./asset.js";
import type { JobDefinition } from "./job.js";
import { resourceDefinitionsOf, type ResourceDefinition } from "./resource.js";
import type { RunRequest, SkipReason } from "./run-request.js";
import type { StepLogger } from "./step-logger.js";

const SCHEDULE_BRAND = Symbol.for("sluice.schedule");

/** Whether a schedule or sensor runs until someone changes it. */
export type DefaultStatus = "RUNNING" | "STOPPED";

/** What a schedule's function receives; `TResources` types `resources` from the schedule's `resources` option. */
export interface ScheduleContext<TResources = Record<string, unknown>> {
  /** The tick's scheduled time (not the time the daemon got to it). */
  readonly scheduledTime: Date;
  /**
   * For a target with time-window partitions: the last partition complete at the tick, which the
   * run materializes unless the function returns another `partitionKey`; else null.
   */
  readonly partitionKey: string | null;
  readonly log: StepLogger;
  /** The resources the schedule declares, set up for this tick's evaluation and torn down after it. */
  readonly resources: TResources;
}

/** Which ticks a schedule built from partitions has, beside the partitions' own cadence (as Dagster's). */
export interface PartitionedScheduleOffsets {
  /** Minute of the hour the schedule ticks at (default: the partitions' own). */
  minuteOfHour?: number;
  /** Hour of the day (daily, weekly, monthly partitions). */
  hourOfDay?: number;
  /** Day of the week, 0 = Sunday (weekly partitions). */
  dayOfWeek?: number;
  /** Day of the month (monthly partitions). */
  dayOfMonth?: number;
}

/** What a schedule's function may return: run config, a full request, several, or a skip. */
export type ScheduleResult = Record<string, unknown> | RunRequest | RunRequest[] | SkipReason | void;

/** A schedule: launches a job (or materializes a selection) on a cron. */
export interface ScheduleDefinition {
  readonly [SCHEDULE_BRAND]: true;
  readonly kind: "schedule";
  readonly name: string;
  /** Cron string(s); undefined for `partitionedSchedule()`, whose cron comes from its job's partitions when definitions load. */
  readonly cron: string | readonly string[] | undefined;
  /** IANA time zone the cron is read in (for `partitionedSchedule()`, the partitions' time zone). */
  readonly timezone: string;
  /** For `partitionedSchedule()`: how its ticks are placed within each partition window. */
  readonly partitionOffsets: PartitionedScheduleOffsets | undefined;
  /** The job it launches (by name), or undefined when it targets a selection. */
  readonly jobName: string | undefined;
  readonly selection: string | undefined;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly defaultStatus: DefaultStatus;
  /** Missed ticks launched after downtime, at most (1: only the latest). */
  readonly catchUpTicks: number;
  /** Resource name → definition the schedule was declared with (undefined: bound by name only). */
  readonly resources: Readonly<Record<string, ResourceDefinition<any, any> | undefined>>;
  /** Computes the tick's run (config, tags) or skips it; without it, one run with the job's config. */
  readonly execute: ((context: ScheduleContext<any>) => ScheduleResult | Promise<ScheduleResult>) | undefined;
}

/** What `schedule()` takes: a `job` or a `selection`. */
export interface ScheduleSpec<TRes extends ResourceRequirements = {}> {
  name: string;
  /** Cron string (5 fields, `L` for the last day of month, Sunday 0 or 7), or several. */
  cron: string | readonly string[];
  /** IANA time zone, default "UTC". */
  timezone?: string;
  job?: JobDefinition | string;
  /** An asset selection to materialize, instead of a job. */
  selection?: string;
  description?: string;
  tags?: Record<string, string>;
  /** Default "STOPPED", as in Dagster: start it with `sluice schedule start NAME`. */
  defaultStatus?: DefaultStatus;
  /** After downtime, launch up to this many missed ticks (default 1: only the latest). */
  catchUpTicks?: number;
  /**
   * Resources `execute` uses, by name, as `context.resources` (bound in Definitions as for
   * assets): set up before each tick's evaluation and torn down after it.
   */
  resources?: TRes;
  /** Per-tick run config (the returned object is run config), a RunRequest, or skip(reason). */
  execute?: (context: ScheduleContext<ResourceValues<TRes>>) => ScheduleResult | Promise<ScheduleResult>;
}

/**
 * Declares a schedule.
 * @example
 * schedule({
 *   name: "monthly_billing", cron: "0 0 1 * *", timezone: "Europe/Berlin", job: monthlyCredits,
 *   execute: ({ scheduledTime }) => ({ ops: { bill_storage_credits: { config: { target_date: scheduledTime.toISOString().slice(0, 10) } } } }),
 * });
 * schedule({
 *   name: "nightly_export", cron: "0 3 * * *", job: exportJob, resources: { postgres: postgresResource },
 *   execute: async ({ resources }) => ((await resources.postgres.query("SELECT 1 FROM exports WHERE due")).length > 0 ? {} : skip("nothing due")),
 * });
 */
export function schedule<const TRes extends ResourceRequirements = {}>(spec: ScheduleSpec<TRes>): ScheduleDefinition {
  return {
    [SCHEDULE_BRAND]: true,
    kind: "schedule",
    name: spec.name,
    cron: typeof spec.cron === "string" ? spec.cron : [...spec.cron],
    timezone: spec.timezone ?? "UTC",
    partitionOffsets: undefined,
    jobName: typeof spec.job === "string" ? spec.job : spec.job?.name,
    selection: spec.selection,
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    defaultStatus: spec.defaultStatus ?? "STOPPED",
    catchUpTicks: spec.catchUpTicks ?? 1,
    resources: resourceDefinitionsOf(spec.resources),
    execute: spec.execute,
  };
}

/** What `partitionedSchedule()` takes. */
export interface PartitionedScheduleSpec extends PartitionedScheduleOffsets {
  /** An asset job (or its name) whose assets have time-window partitions. */
  job: JobDefinition | string;
  /** Default: `<job name>_schedule`. */
  name?: string;
  description?: string;
  tags?: Record<string, string>;
  defaultStatus?: DefaultStatus;
  catchUpTicks?: number;
}

/**
 * A schedule that materializes the last complete partition of a job at the end of each partition
 * window (Dagster's build_schedule_from_partitioned_job): a job of daily partitions ticks at
 * midnight in the partitions' time zone and runs yesterday's partition; the offsets move the tick
 * later within the day (an hourly job with `minuteOfHour: 5` runs the hour that ended 5 minutes ago).
 * The cron is derived when the definitions load; the job's assets must have time-window partitions.
 * @example
 * const nightly = assetJob({ name: "daily_events_job", selection: [dailyEvents] });
 * partitionedSchedule({ job: nightly, hourOfDay: 1, minuteOfHour: 30 }); // 01:30 each day, for yesterday
 */
export function partitionedSchedule(spec: PartitionedScheduleSpec): ScheduleDefinition {
  const jobName = typeof spec.job === "string" ? spec.job : spec.job?.name;
  return {
    [SCHEDULE_BRAND]: true,
    kind: "schedule",
    name: spec.name ?? `${jobName}_schedule`,
    cron: undefined,
    timezone: "UTC",
    partitionOffsets: {
      minuteOfHour: spec.minuteOfHour,
      hourOfDay: spec.hourOfDay,
      dayOfWeek: spec.dayOfWeek,
      dayOfMonth: spec.dayOfMonth,
    },
    jobName,
    selection: undefined,
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    defaultStatus: spec.defaultStatus ?? "STOPPED",
    catchUpTicks: spec.catchUpTicks ?? 1,
    resources: {},
    execute: undefined,
  };
}

/** True for a value made by `schedule()`. */
export function isScheduleDefinition(value: unknown): value is ScheduleDefinition {
  return typeof value === "object" && value !== null && SCHEDULE_BRAND in value;
}
