/** A run that a schedule or sensor asks for. */
export interface RunRequest {
  /** Makes the request happen at most once per sensor, ever (sensors only). */
  runKey?: string;
  /** Run config of the run (merged over the job's default config). */
  runConfig?: Record<string, unknown>;
  tags?: Record<string, string>;
  /**
   * The partition the run materializes, when its target has partitioned assets. A schedule whose
   * target has time-window partitions defaults to the last partition complete at the tick.
   */
  partitionKey?: string;
}

/**
 * Keys a sensor adds to or removes from dynamic partitions in its tick (Dagster's
 * AddDynamicPartitionsRequest / DeleteDynamicPartitionsRequest, in one object). Stored in the same
 * transaction as the tick's runs, whose partition keys may be keys the tick adds.
 * @example
 * return { dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["acme"] }], runRequests: [{ partitionKey: "acme" }] };
 */
export interface DynamicPartitionsRequest {
  /** The name given to `dynamicPartitions()`. */
  partitionsName: string;
  /** Keys to add (keys that exist already are left as they are). */
  add?: string[];
  /** Keys to remove (keys that do not exist are ignored). */
  remove?: string[];
}

const SKIP_BRAND = Symbol.for("sluice.skip-reason");

/** "Nothing to do this time, because...": recorded on the tick. */
export interface SkipReason {
  readonly [SKIP_BRAND]: true;
  readonly reason: string;
}

/**
 * Returns from a schedule or sensor to skip this tick with a reason shown in the tick history.
 * @example
 * evaluate: async ({ cursor }) => (newRows.length === 0 ? skip("no new rows") : { runRequests: [...] })
 */
export function skip(reason: string): SkipReason {
  return { [SKIP_BRAND]: true, reason };
}

/** True for a value made by {@link skip}. */
export function isSkipReason(value: unknown): value is SkipReason {
  return typeof value === "object" && value !== null && SKIP_BRAND in value;
}
