import type { AssetDefinition } from "./asset.js";
import type { OpDefinition } from "./op.js";

const JOB_BRAND = Symbol.for("sluice.job");

/** Names of jobs, schedules and sensors: letters, digits and `_` (as Dagster's). */
export const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

/** A job made of ops. */
export interface OpJobDefinition {
  readonly [JOB_BRAND]: true;
  readonly kind: "job";
  readonly jobType: "op";
  readonly name: string;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly ops: readonly OpDefinition<any>[];
  /** Run config used when a launch gives none for a field (merged under the launch's). */
  readonly config: Record<string, unknown>;
}

/** A job that materializes a selection of assets. */
export interface AssetJobDefinition {
  readonly [JOB_BRAND]: true;
  readonly kind: "job";
  readonly jobType: "asset";
  readonly name: string;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  /** A selection expression, or asset keys. */
  readonly selection: string | readonly string[];
  readonly config: Record<string, unknown>;
}

/** Either kind of job. */
export type JobDefinition = OpJobDefinition | AssetJobDefinition;

/** What `job()` takes. */
export interface JobSpec {
  name: string;
  ops: readonly OpDefinition<any>[];
  description?: string;
  /** Tags every run of the job carries. */
  tags?: Record<string, string>;
  /** Default run config, e.g. `{ ops: { bill: { config: { dry_run: true } } } }`. */
  config?: Record<string, unknown>;
}

/**
 * Declares an op job: its ops run in dependency order (an op's inputs and deps name other ops of
 * the job).
 * @example
 * export const monthlyCredits = job({ name: "monthly_credit_allocation_job", ops: [fetchUsage, billStorage, notify] });
 */
export function job(spec: JobSpec): OpJobDefinition {
  return {
    [JOB_BRAND]: true,
    kind: "job",
    jobType: "op",
    name: spec.name,
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    ops: [...spec.ops],
    config: spec.config ?? {},
  };
}

/** What `assetJob()` takes. */
export interface AssetJobSpec {
  name: string;
  /** A selection expression (`group:ingest+`), or assets / keys. */
  selection: string | readonly (string | AssetDefinition<any>)[];
  description?: string;
  tags?: Record<string, string>;
  config?: Record<string, unknown>;
}

/**
 * Declares a job that materializes a selection of assets.
 * @example
 * export const nightly = assetJob({ name: "nightly_refresh", selection: "group:ingest+" });
 */
export function assetJob(spec: AssetJobSpec): AssetJobDefinition {
  return {
    [JOB_BRAND]: true,
    kind: "job",
    jobType: "asset",
    name: spec.name,
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    selection: typeof spec.selection === "string" ? spec.selection : spec.selection.map((s) => (typeof s === "string" ? s : s.key)),
    config: spec.config ?? {},
  };
}

/** True for a value made by `job()` or `assetJob()`. */
export function isJobDefinition(value: unknown): value is JobDefinition {
  return typeof value === "object" && value !== null && JOB_BRAND in value;
}
