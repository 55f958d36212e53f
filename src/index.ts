/**
 * Sluice's public API. Everything users import comes from here.
 */
export { asset, DEFAULT_GROUP, DEFAULT_IO_MANAGER } from "./definitions/asset.js";
export type {
  AssetContext,
  AssetDefinition,
  AssetDep,
  AssetInputs,
  AssetRef,
  AssetSpec,
  InputValues,
  MappedUpstream,
  PartitionKeyRange,
  ResourceRequirements,
  ResourceValues,
} from "./definitions/asset.js";
export type { MultiAssetMembership } from "./definitions/asset.js";
export { assetStepKey, multiAsset, isMultiAssetDefinition } from "./definitions/multi-asset.js";
export type { MultiAssetContext, MultiAssetDefinition, MultiAssetOut, MultiAssetOutputs, MultiAssetSpec } from "./definitions/multi-asset.js";
export { AssetKind } from "./definitions/asset.js";
export { assetSpec } from "./definitions/asset-spec.js";
export type { ExternalAssetSpec } from "./definitions/asset-spec.js";
export { observableSourceAsset } from "./definitions/observable-source-asset.js";
export type { ObservableSourceAssetSpec, ObserveResult } from "./definitions/observable-source-asset.js";
export { assetCheck, checkKey } from "./definitions/asset-check.js";
export type {
  AssetCheckContext,
  AssetCheckDefinition,
  AssetCheckResult,
  AssetCheckSeverity,
  AssetCheckSpec,
  InlineAssetCheckSpec,
} from "./definitions/asset-check.js";
export { AssetGraph } from "./definitions/asset-graph.js";
export type { AssetNode } from "./definitions/asset-graph.js";
export type { ConfigSchema, ConfigValue, WithEnvVars } from "./definitions/config-schema.js";
export { defineDefinitions, ExecutorKind, isDefinitions } from "./definitions/definitions.js";
export type { Definitions, DefinitionsSpec, ExecutorSettings, ResourceBinding } from "./definitions/definitions.js";
export { EnvVar } from "./definitions/env-var.js";
export type { EnvVarOptions, EnvVarRef } from "./definitions/env-var.js";
export {
  ConfigError,
  DefinitionError,
  ErrorCode,
  InputLimitError,
  InputNotMaterializedError,
  isSluiceError,
  LoadError,
  MissingEnvVarError,
  PartitionError,
  RunNotFoundError,
  SelectionError,
  SerializationError,
  SluiceError,
  StorageError,
  StorageUnavailableError,
  UnsafePathError,
  UsageError,
  UserCodeError,
  MultiAssetOutputError,
  ValueWriteError,
} from "./definitions/errors.js";
export { meta, ROW_COUNT_KEY } from "./definitions/metadata.js";
export type { MetadataInput, MetadataInputValue } from "./definitions/metadata.js";
export { assetJob, job, isJobDefinition } from "./definitions/job.js";
export type { AssetJobDefinition, AssetJobSpec, JobDefinition, JobSpec, OpJobDefinition } from "./definitions/job.js";
export { op } from "./definitions/op.js";
export {
  dailyPartitions,
  allPartitions,
  dimensionMapping,
  DynamicPartitionsDefinition,
  dynamicPartitions,
  hourlyPartitions,
  identityMapping,
  isPartitionsDefinition,
  lastPartition,
  multiRun,
  singleRun,
  staticMapping,
  timeWindowMapping,
  monthlyPartitions,
  MultiPartitionsDefinition,
  multiPartitions,
  StaticPartitionsDefinition,
  staticPartitions,
  TimeWindowPartitionsDefinition,
  timeWindowPartitions,
  weeklyPartitions,
} from "./definitions/partitions.js";
export type {
  BackfillPolicy,
  Cadence,
  MappingReads,
  PartitionMapping,
  PartitionPair,
  TimeWindowMappingSpec,
  DailyPartitionsSpec,
  DynamicPartitionsSnapshot,
  HourlyPartitionsSpec,
  MonthlyPartitionsSpec,
  PartitionDimension,
  PartitionsDefinition,
  PartitionsSnapshot,
  TimePartitionsSpec,
  TimeWindow,
  TimeWindowPartitionsSpec,
  WeeklyPartitionsSpec,
} from "./definitions/partitions.js";
export type { OpContext, OpDefinition, OpInputs, OpSpec } from "./definitions/op.js";
export { skip } from "./definitions/run-request.js";
export type { RunRequest, SkipReason } from "./definitions/run-request.js";
export { partitionedSchedule, schedule } from "./definitions/schedule.js";
export type {
  DefaultStatus,
  PartitionedScheduleOffsets,
  PartitionedScheduleSpec,
  ScheduleContext,
  ScheduleDefinition,
  ScheduleResult,
  ScheduleSpec,
} from "./definitions/schedule.js";
export { AutomationCondition, isAutomationCondition } from "./definitions/automation/automation-condition.js";
export type { ConditionParams, ConditionSnapshot, ConditionType, DepsOptions } from "./definitions/automation/automation-condition.js";
export { evaluateFreshness, FreshnessStatus, describeFreshnessPolicy } from "./definitions/freshness-policy.js";
export type { FreshnessPolicy, FreshnessPolicyInput, FreshnessState } from "./definitions/freshness-policy.js";
export { assetSensor, freshnessSensor, runStatusSensor, sensor } from "./definitions/sensor.js";
export type { FinishedRun, FreshnessChange, MaterializationEvent, SensorContext, SensorDefinition, SensorResult, SensorReturn } from "./definitions/sensor.js";
export { CronSchedule } from "./definitions/cron/cron-schedule.js";
export { output } from "./definitions/output.js";
export type { Output, OutputOptions } from "./definitions/output.js";
export { configured, resource } from "./definitions/resource.js";
export type { ResourceContext, ResourceDefinition, ResourceSpec } from "./definitions/resource.js";
export { Backoff, Jitter } from "./definitions/retry-policy.js";
export type { RetryPolicy } from "./definitions/retry-policy.js";
export { parseSelection } from "./definitions/selection/selection-parser.js";
export { selectAssets } from "./definitions/selection/select-assets.js";
export type { StepLogger } from "./definitions/step-logger.js";

export type { EventRecord, MetadataValue, ObservationRecord, RunRecord, RunsFilter, SerializedError, StepStats } from "./storage/records.js";
export { EventType, LogLevel, RUNLESS_RUN_ID, RunStatus } from "./storage/records.js";
export type { Storage } from "./storage/storage.js";
export { openSqliteStorage } from "./storage/sqlite/sqlite-storage.js";
export { openPostgresStorage } from "./storage/postgres/postgres-storage.js";
export type { PostgresStorageOptions } from "./storage/postgres/postgres-storage.js";

export type { RunResult, StepFailure } from "./execution/execute-run.js";
export { FsIOManager } from "./execution/fs-io-manager.js";
export { joinWithin } from "./execution/join-within.js";
export type { InputContext, IOManager, OutputContext } from "./execution/io-manager.js";
export { materializeAssets } from "./runs/materialize-assets.js";
export { ASSET_JOB_NAME } from "./runs/run-target.js";
export type { AssetSelection, RunDestination } from "./runs/run-target.js";
export { PARTITION_DIMENSION_TAG_PREFIX, PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, PARTITION_TAG } from "./execution/run-partition.js";
export { EXECUTOR_TAG } from "./execution/executor-tag.js";
export { executeJob } from "./runs/execute-job.js";
export { reportMaterialization } from "./runs/report-materialization.js";
export type { MaterializationReport } from "./runs/report-materialization.js";
export { observeAssets } from "./runs/observe-assets.js";
export type { ObserveOptions } from "./runs/observe-assets.js";
export type { ExecuteJobOptions } from "./runs/execute-job.js";
export type { MaterializeOptions } from "./runs/materialize-assets.js";

export { Instance, resolveHome } from "./instance/instance.js";
export { loadDefinitions } from "./instance/load-definitions.js";
export { materialize } from "./instance/materialize.js";
export type { MaterializeFromCodeOptions } from "./instance/materialize.js";
