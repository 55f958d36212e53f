/**
 * Partitions: how an asset is materialized one slice at a time (a day, an hour, a region, a day of
 * a device). The factories and types users need, gathered from `./partitions/`.
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
