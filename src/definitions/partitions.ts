/**
 * Partitions: how an asset is materialized one slice at a time (a day, an hour, a region, a day of
 * a device), how the partitions of one asset map to those of another, and how many partitions one
 * run may materialize. The factories and types users need, gathered from `./partitions/`.
 */
export {
  dailyPartitions,
  hourlyPartitions,
  monthlyPartitions,
  timeWindowPartitions,
  weeklyPartitions,
  DATE_FORMAT,
  HOURLY_FORMAT,
} from "./partitions/time-partition-factories.js";
export type {
  DailyPartitionsSpec,
  HourlyPartitionsSpec,
  MonthlyPartitionsSpec,
  TimePartitionsSpec,
  TimeWindowPartitionsSpec,
  WeeklyPartitionsSpec,
} from "./partitions/time-partition-factories.js";
export { TimeWindowPartitionsDefinition } from "./partitions/time-window-partitions.js";
export type { Cadence } from "./partitions/time-window-partitions.js";
export { StaticPartitionsDefinition, staticPartitions } from "./partitions/static-partitions.js";
export { DynamicPartitionsDefinition, dynamicPartitions } from "./partitions/dynamic-partitions.js";
export type { DynamicPartitionsSnapshot } from "./partitions/dynamic-partitions.js";
export { MultiPartitionsDefinition, multiPartitions, MULTI_PARTITION_DELIMITER } from "./partitions/multi-partitions.js";
export type { PartitionDimension } from "./partitions/multi-partitions.js";
export { isPartitionsDefinition, samePartitions } from "./partitions/partitions-definition.js";
export type {
  DynamicDimensionSnapshot,
  MultiPartitionsSnapshot,
  PartitionsDefinition,
  PartitionsSnapshot,
  StaticPartitionsSnapshot,
  TimeWindow,
  TimeWindowPartitionsSnapshot,
} from "./partitions/partitions-definition.js";
export { allPartitions, identityMapping, lastPartition } from "./partitions/simple-mappings.js";
export { timeWindowMapping } from "./partitions/time-window-mapping.js";
export type { TimeWindowMappingSpec } from "./partitions/time-window-mapping.js";
export { staticMapping } from "./partitions/static-mapping.js";
export { dimensionMapping } from "./partitions/dimension-mapping.js";
export { defaultMapping, effectiveMapping, readsOneKey } from "./partitions/default-mapping.js";
export { isPartitionMapping } from "./partitions/partition-mapping.js";
export type { MappingReads, PartitionMapping, PartitionMappingType, PartitionPair } from "./partitions/partition-mapping.js";
export { describeBackfillPolicy, isBackfillPolicy, multiRun, singleRun } from "./partitions/backfill-policy.js";
export type { BackfillPolicy } from "./partitions/backfill-policy.js";
export { mappingOf } from "./partitions/partition-checks.js";
