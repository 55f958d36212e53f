import type { TimeWindow } from "../definitions/partitions/partitions-definition.js";
import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";

/** Tag on runs of a partition: the partition key (as Dagster's `dagster/partition`). */
export const PARTITION_TAG = "sluice/partition";
/** Prefix of the tags of a multi-dimensional partition, one per dimension: `sluice/partition/date`. */
export const PARTITION_DIMENSION_TAG_PREFIX = "sluice/partition/";

/** The tags a run of `partitionKey` carries (none for an unpartitioned run). */
export function partitionTags(partitions: PartitionsDefinition | undefined, partitionKey: string | null | undefined): Record<string, string> {
  if (!partitions || partitionKey === null || partitionKey === undefined) return {};
  const tags: Record<string, string> = { [PARTITION_TAG]: partitionKey };
  if (partitions.type === "multi") {
    for (const [name, key] of Object.entries(partitions.keysByDimension(partitionKey))) tags[`${PARTITION_DIMENSION_TAG_PREFIX}${name}`] = key;
  }
  return tags;
}

/** What a step's context says about its partition. */
export interface StepPartition {
  partitionKey: string | null;
  partitionTimeWindow: TimeWindow | null;
  partitionKeys: Readonly<Record<string, string>> | null;
}

const UNPARTITIONED: StepPartition = { partitionKey: null, partitionTimeWindow: null, partitionKeys: null };

/**
 * The partition a step materializes: the run's key for a partitioned asset, nothing for an
 * unpartitioned asset or an op (even in a partitioned run).
 */
export function stepPartition(partitions: PartitionsDefinition | undefined, runPartitionKey: string | null): StepPartition {
  if (!partitions || runPartitionKey === null) return UNPARTITIONED;
  if (partitions.type === "time_window") {
    return { partitionKey: runPartitionKey, partitionTimeWindow: partitions.timeWindow(runPartitionKey), partitionKeys: null };
  }
  if (partitions.type === "static" || partitions.type === "dynamic") return { partitionKey: runPartitionKey, partitionTimeWindow: null, partitionKeys: null };
  const partitionKeys = partitions.keysByDimension(runPartitionKey);
  const time = partitions.timeDimension;
  return {
    partitionKey: runPartitionKey,
    partitionTimeWindow: time ? time.partitions.timeWindow(partitionKeys[time.name]!) : null,
    partitionKeys,
  };
}
