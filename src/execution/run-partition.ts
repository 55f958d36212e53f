import type { PartitionKeyRange } from "../definitions/asset.js";
import { PartitionError } from "../definitions/errors.js";
import type { TimeWindow } from "../definitions/partitions/partitions-definition.js";
import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";

/** Tag on runs of a partition: the partition key (as Dagster's `dagster/partition`). */
export const PARTITION_TAG = "sluice/partition";
/** Prefix of the tags of a multi-dimensional partition, one per dimension: `sluice/partition/date`. */
export const PARTITION_DIMENSION_TAG_PREFIX = "sluice/partition/";
/** Tag on runs over a partition range: its first key (as Dagster's `dagster/asset_partition_range_start`). */
export const PARTITION_RANGE_START_TAG = "sluice/asset_partition_range_start";
/** Tag on runs over a partition range: its last key, included (as Dagster's `dagster/asset_partition_range_end`). */
export const PARTITION_RANGE_END_TAG = "sluice/asset_partition_range_end";

/** The tags a run of `partitionKey` carries (none for an unpartitioned run). */
export function partitionTags(partitions: PartitionsDefinition | undefined, partitionKey: string | null | undefined): Record<string, string> {
  if (!partitions || partitionKey === null || partitionKey === undefined) return {};
  const tags: Record<string, string> = { [PARTITION_TAG]: partitionKey };
  if (partitions.type === "multi") {
    for (const [name, key] of Object.entries(partitions.keysByDimension(partitionKey))) tags[`${PARTITION_DIMENSION_TAG_PREFIX}${name}`] = key;
  }
  return tags;
}

/** The tags of a run over `range` (none without a range). */
export function partitionRangeTags(range: PartitionKeyRange | null | undefined): Record<string, string> {
  return range ? { [PARTITION_RANGE_START_TAG]: range.start, [PARTITION_RANGE_END_TAG]: range.end } : {};
}

/** The partition range a run's tags record, or null; throws PartitionError when only one end is there. */
export function partitionRangeOfTags(tags: Readonly<Record<string, string>>): PartitionKeyRange | null {
  const start = tags[PARTITION_RANGE_START_TAG];
  const end = tags[PARTITION_RANGE_END_TAG];
  if (start === undefined && end === undefined) return null;
  if (start === undefined || end === undefined) {
    throw new PartitionError(`The run's tags name one end of a partition range only (${PARTITION_RANGE_START_TAG} and ${PARTITION_RANGE_END_TAG} go together).`, start ?? end ?? null);
  }
  return { start, end };
}

/** What a run materializes of its partitions: one key, a range (with its keys), or nothing. */
export interface RunPartitions {
  /** The one key of a one-key run; null in a range run and in an unpartitioned one. */
  key: string | null;
  range: PartitionKeyRange | null;
  /** The keys of the range, in order (empty unless a range run). */
  rangeKeys: readonly string[];
}

/** What a step's context says about its partition (see AssetContext). */
export interface StepPartition {
  /** The one key materialized; null in a range run (reading `context.partitionKey` then throws). */
  partitionKey: string | null;
  partitionKeyRange: PartitionKeyRange | null;
  partitionKeysInRun: readonly string[];
  partitionTimeWindow: TimeWindow | null;
  partitionKeys: Readonly<Record<string, string>> | null;
}

const UNPARTITIONED: StepPartition = { partitionKey: null, partitionKeyRange: null, partitionKeysInRun: [], partitionTimeWindow: null, partitionKeys: null };

/**
 * The partition a step materializes: the run's key (or range) for a partitioned asset, nothing for
 * an unpartitioned asset or an op (even in a partitioned run).
 */
export function stepPartition(partitions: PartitionsDefinition | undefined, run: RunPartitions): StepPartition {
  if (!partitions) return UNPARTITIONED;
  if (run.range) {
    const keys = run.rangeKeys;
    return { partitionKey: null, partitionKeyRange: run.range, partitionKeysInRun: keys, partitionTimeWindow: rangeWindow(partitions, keys), partitionKeys: null };
  }
  const key = run.key;
  if (key === null) return UNPARTITIONED;
  const one = { partitionKey: key, partitionKeyRange: { start: key, end: key }, partitionKeysInRun: [key] };
  if (partitions.type === "time_window") return { ...one, partitionTimeWindow: partitions.timeWindow(key), partitionKeys: null };
  if (partitions.type === "static" || partitions.type === "dynamic") return { ...one, partitionTimeWindow: null, partitionKeys: null };
  const partitionKeys = partitions.keysByDimension(key);
  const time = partitions.timeDimension;
  return { ...one, partitionTimeWindow: time ? time.partitions.timeWindow(partitionKeys[time.name]!) : null, partitionKeys };
}

/**
 * Sets the partition fields on a step's context. In a range run `partitionKey` is a getter that
 * throws, so that code written for one key fails clearly instead of reading a wrong one.
 */
export function definePartition<T extends object>(context: T, assetKey: string, partition: StepPartition): T & StepPartition {
  const { partitionKey, ...rest } = partition;
  Object.assign(context, rest);
  const range = partition.partitionKeyRange;
  if (partitionKey === null && range && partition.partitionKeysInRun.length > 0) {
    Object.defineProperty(context, "partitionKey", {
      enumerable: true,
      get: () => {
        throw new PartitionError(
          `Asset "${assetKey}" runs over partition range "${range.start}...${range.end}" (${partition.partitionKeysInRun.length} partitions), ` +
            `so context.partitionKey names none of them: use context.partitionKeyRange, context.partitionKeysInRun or context.partitionTimeWindow.`,
          null,
          [assetKey],
        );
      },
    });
  } else {
    Object.assign(context, { partitionKey });
  }
  return context as T & StepPartition;
}

/** From the start of the first window of `keys` to the end of the last (time or multi with a time dimension). */
function rangeWindow(partitions: PartitionsDefinition, keys: readonly string[]): TimeWindow | null {
  if (keys.length === 0) return null;
  if (partitions.type === "time_window") return { start: partitions.timeWindow(keys[0]!).start, end: partitions.timeWindow(keys[keys.length - 1]!).end };
  if (partitions.type !== "multi" || !partitions.timeDimension) return null;
  const time = partitions.timeDimension;
  const windows = [...new Set(keys.map((k) => partitions.keysByDimension(k)[time.name]!))].map((k) => time.partitions.timeWindow(k));
  // A loop, not Math.min(...): a range may hold more windows than a call takes arguments.
  let start = Infinity;
  let end = -Infinity;
  for (const w of windows) {
    start = Math.min(start, w.start.getTime());
    end = Math.max(end, w.end.getTime());
  }
  return { start: new Date(start), end: new Date(end) };
}
