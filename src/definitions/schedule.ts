import type { JobDefinition } from "./job.js";
import type { RunRequest, SkipReason } from "./run-request.js";
import type { StepLogger } from "./step-logger.js";

const SCHEDULE_BRAND = Symbol.for("sluice.schedule");

/** Whether a schedule or sensor runs until someone changes it. */
export type DefaultStatus = "RUNNING" | "STOPPED";

/** What a schedule's function receives. */
export interface ScheduleContext {
  /** The tick's scheduled time (not the time the daemon got to it). */
  readonly scheduledTime: Date;
  readonly log: StepLogger;
}

/** What a schedule's function may return: run config, a full request, several, or a skip. */
export type ScheduleResult = Record<string, unknown> | RunRequest | RunRequest[] | SkipReason | void;

/** A schedule: launches a job (or materializes a selection) on a cron. */
export interface ScheduleDefinition {
  readonly [SCHEDULE_BRAND]: true;
  readonly kind: "schedule";
  readonly name: string;
  readonly cron: string | readonly string[];
  /** IANA time zone the cron is read in. */
  readonly timezone: string;
  /** The job it launches (by name), or undefined when it targets a selection. */
  readonly jobName: string | undefined;
  readonly selection: string | undefined;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly defaultStatus: DefaultStatus;
  /** Missed ticks launched after downtime, at most (1: only the latest). */
  readonly catchUpTicks: number;
  /** Computes the tick's run (config, tags) or skips it; without it, one run with the job's config. */
  readonly execute: ((context: ScheduleContext) => ScheduleResult | Promise<ScheduleResult>) | undefined;
}

/** What `schedule()` takes: a `job` or a `selection`. */
export interface ScheduleSpec {
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
  /** Per-tick run config (the returned object is run config), a RunRequest, or skip(reason). */
  execute?: (context: ScheduleContext) => ScheduleResult | Promise<ScheduleResult>;
}

/**
 * Declares a schedule.
 * @example
 * schedule({
 *   name: "monthly_billing", cron: "0 0 1 * *", timezone: "Europe/Berlin", job: monthlyCredits,
 *   execute: ({ scheduledTime }) => ({ ops: { bill_storage_credits: { config: { target_date: scheduledTime.toISOString().slice(0, 10) } } } }),
 * });
 */
export function schedule(spec: ScheduleSpec): ScheduleDefinition {
  return {
    [SCHEDULE_BRAND]: true,
    kind: "schedule",
    name: spec.name,
    cron: typeof spec.cron === "string" ? spec.cron : [...spec.cron],
    timezone: spec.timezone ?? "UTC",
    jobName: typeof spec.job === "string" ? spec.job : spec.job?.name,
    selection: spec.selection,
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    defaultStatus: spec.defaultStatus ?? "STOPPED",
    catchUpTicks: spec.catchUpTicks ?? 1,
    execute: spec.execute,
  };
}

/** True for a value made by `schedule()`. */
export function isScheduleDefinition(value: unknown): value is ScheduleDefinition {
  return typeof value === "object" && value !== null && SCHEDULE_BRAND in value;
}
