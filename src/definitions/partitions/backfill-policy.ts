/**
 * How many partitions of an asset one run may materialize (as Dagster's BackfillPolicy): one run
 * over a whole range, or runs of at most N partitions. Without a policy a run materializes one
 * partition key.
 */
import { DefinitionError } from "../errors.js";

/** A backfill policy: `singleRun()` or `multiRun(n)`. */
export type BackfillPolicy =
  | { readonly type: "single_run" }
  | { readonly type: "multi_run"; /** Partitions one run materializes, at most. */ readonly maxPartitionsPerRun: number };

/**
 * A run may materialize any range of the asset's partitions at once (a backfill launches one run
 * over the whole range). The function sees `context.partitionKeyRange`, `partitionKeysInRun` and
 * the whole `partitionTimeWindow`; partitioned inputs arrive as `{ [upstream key]: value }`.
 * @example
 * const rollup = asset({ key: "rollup", partitions: days, backfillPolicy: singleRun(), run: (_in, { partitionTimeWindow }) => rebuild(partitionTimeWindow!) });
 */
export function singleRun(): BackfillPolicy {
  return { type: "single_run" };
}

/**
 * A run may materialize a range of at most `maxPartitionsPerRun` partitions (a backfill splits
 * its range into runs of that size). Partitioned inputs arrive as `{ [upstream key]: value }`.
 * @example
 * const hourlyStats = asset({ key: "hourly_stats", partitions: hours, ins: { raw }, backfillPolicy: multiRun(24), run: ({ raw }) => summarize(raw) });
 */
export function multiRun(maxPartitionsPerRun: number): BackfillPolicy {
  if (!Number.isInteger(maxPartitionsPerRun) || maxPartitionsPerRun < 1) {
    throw new DefinitionError(`multiRun takes the most partitions one run may materialize, a whole number >= 1; got ${JSON.stringify(maxPartitionsPerRun)}.`);
  }
  return { type: "multi_run", maxPartitionsPerRun };
}

/** True for a value made by `singleRun()` or `multiRun()`. */
export function isBackfillPolicy(value: unknown): value is BackfillPolicy {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { type?: unknown; maxPartitionsPerRun?: unknown };
  return v.type === "single_run" || (v.type === "multi_run" && Number.isInteger(v.maxPartitionsPerRun) && (v.maxPartitionsPerRun as number) >= 1);
}

/** The policy in words: `singleRun()`, `multiRun(24)`. */
export function describeBackfillPolicy(policy: BackfillPolicy): string {
  return policy.type === "single_run" ? "singleRun()" : `multiRun(${policy.maxPartitionsPerRun})`;
}
