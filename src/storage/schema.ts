import type { ColumnType } from "kysely";

/**
 * An 8-byte integer column (epoch ms, ids). better-sqlite3 reads it as a number, pg as a string
 * (int8 can exceed 2^53), so reads are typed `number | string` and must go through `Number()`.
 */
export type Int8Column = ColumnType<number | string, number, number>;
/** Same as {@link Int8Column}, but nullable. */
export type NullableInt8Column = ColumnType<number | string | null, number | null, number | null>;
/** An id the database assigns on insert and that is never written by us. */
export type GeneratedIdColumn = ColumnType<number | string, never, never>;

/** One row per run. JSON fields are TEXT so both dialects store them the same way. */
export interface RunsTable {
  /** Insertion order; breaks ties between runs created in the same millisecond. */
  id: GeneratedIdColumn;
  run_id: string;
  status: string;
  job_name: string;
  /** JSON array of step keys. */
  selection: string;
  selection_expression: string | null;
  partition: string | null;
  /** JSON object. */
  config: string;
  /** JSON object; also exploded into `run_tags` so tag filters are SQL. */
  tags: string;
  parent_run_id: string | null;
  root_run_id: string | null;
  created_at: Int8Column;
  updated_at: Int8Column;
  started_at: NullableInt8Column;
  ended_at: NullableInt8Column;
  /** The worker that claimed the run (migration 2). */
  worker_id: string | null;
  /** Last heartbeat of the process executing the run (migration 2). */
  heartbeat_at: NullableInt8Column;
  /** Host name of the process executing the run (migration 4). */
  process_host: string | null;
  /** Its pid (migration 4). */
  process_pid: NullableInt8Column;
  /** What tells that process from a later one with the same pid, where the OS says (migration 4). */
  process_identity: string | null;
}

/** One row per (run, tag key). */
export interface RunTagsTable {
  run_id: string;
  key: string;
  value: string;
}

/** The event log. `id` is the global write order, never reused (tailing relies on it). */
export interface EventsTable {
  id: GeneratedIdColumn;
  run_id: string;
  type: string;
  timestamp: Int8Column;
  step_key: string | null;
  asset_key: string | null;
  partition: string | null;
  level: string;
  message: string;
  /** JSON object (EventData). */
  data: string;
}

/**
 * Latest materialization per (asset, partition). `partition` is `''` for "no partition", because
 * both SQLite and Postgres treat NULLs as distinct in unique indexes, which would let an
 * unpartitioned asset collect one row per materialization.
 */
export interface AssetIndexTable {
  asset_key: string;
  partition: string;
  run_id: string;
  event_id: Int8Column;
  timestamp: Int8Column;
  /** JSON object (MetadataMap). */
  metadata: string;
  /** The materialization's data version; null before schema version 9. */
  data_version: ColumnType<string | null, string | null | undefined, string | null>;
  /** The asset's code version when it was materialized. */
  code_version: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON object, upstream key → data version read; null before schema version 9. */
  input_data_versions: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Stored state of a schedule or sensor, one row per name. */
export interface InstigatorsTable {
  name: string;
  type: string;
  status: string;
  cursor: string | null;
  updated_at: Int8Column;
}

/**
 * One row per schedule or sensor evaluation. A partial unique index on (instigator_name,
 * tick_time) for schedules makes a schedule's tick at a given time exist at most once.
 */
export interface TicksTable {
  id: GeneratedIdColumn;
  instigator_name: string;
  type: string;
  tick_time: Int8Column;
  status: string;
  /** JSON array of run ids, in creation order. */
  run_ids: string;
  /** JSON array of run keys. */
  skipped_run_keys: string;
  skip_reason: string | null;
  /** JSON (SerializedError) or null. */
  error: string | null;
  cursor: string | null;
  created_at: Int8Column;
  updated_at: Int8Column;
}

/** Run keys a sensor has used, forever; the primary key (instigator_name, run_key) dedupes. */
export interface RunKeysTable {
  instigator_name: string;
  run_key: string;
  run_id: string;
  created_at: Int8Column;
}

/** Latest heartbeat per daemon. */
export interface DaemonHeartbeatsTable {
  daemon_type: string;
  daemon_id: string;
  timestamp: Int8Column;
  /** JSON array of SerializedError. */
  errors: string;
}

/** Leases (migration 3): the daemon's leadership, held by one daemon at a time until it expires. */
export interface DaemonLeasesTable {
  name: string;
  holder: string;
  acquired_at: Int8Column;
  expires_at: Int8Column;
}

/** Keys of dynamic partitions (migration 5), unique per (name, partition_key); `id` is the order they were added in. */
export interface DynamicPartitionsTable {
  id: GeneratedIdColumn;
  name: string;
  partition_key: string;
  created_at: Int8Column;
}

/**
 * The latest attempt at each partition of each asset (migration 6): IN_PROGRESS when its step
 * started, MATERIALIZED when it materialized, FAILED when its step failed, was skipped, or its run
 * ended first. Written in the transaction of the event; no row means missing.
 */
export interface AssetPartitionStatusTable {
  asset_key: string;
  partition: string;
  status: string;
  run_id: string;
  /** The event that set the status: an older event never overwrites a newer one. */
  event_id: Int8Column;
  updated_at: Int8Column;
}

/** One row per backfill (migration 6). `id` orders the list; `backfill_id` names it. */
export interface BackfillsTable {
  id: GeneratedIdColumn;
  backfill_id: string;
  status: string;
  /** JSON (BackfillTarget). */
  target: string;
  /** JSON (BackfillGroup[]). */
  groups: string;
  /** JSON (BackfillPartitionSet). */
  partition_set: string;
  partition_count: Int8Column;
  /** JSON object. */
  tags: string;
  launched_by: string;
  parent_backfill_id: string | null;
  error: string | null;
  created_at: Int8Column;
  updated_at: Int8Column;
  ended_at: NullableInt8Column;
}

/** One row per (backfill, asset group, partition key) (migration 6). */
export interface BackfillPartitionsTable {
  backfill_id: string;
  /** `''` for a backfill's only group. */
  asset_group: string;
  partition: string;
  /** Order of the row in its backfill: groups in dependency order, keys in the definition's. */
  position: Int8Column;
  status: string;
  run_id: string | null;
  reason: string | null;
  updated_at: Int8Column;
}

/** The last evaluated freshness of each asset with a policy (migration 10). */
export interface AssetFreshnessTable {
  asset_key: string;
  status: string;
  last_materialization_at: NullableInt8Column;
  next_deadline: Int8Column;
  tracked_since: Int8Column;
  updated_at: Int8Column;
}

/** Every change of an asset's freshness status (migration 10); `id` is the write order. */
export interface FreshnessTransitionsTable {
  id: GeneratedIdColumn;
  asset_key: string;
  previous_status: string | null;
  status: string;
  timestamp: Int8Column;
  last_materialization_at: NullableInt8Column;
  next_deadline: Int8Column;
}

/** The default IO manager's values (migration 13); see StoredValue. */
export interface StoredValuesTable {
  owner: string;
  name: string;
  /** "" for none. */
  partition: string;
  json: Uint8Array | null;
  /** The event that recorded it. */
  event_id: Int8Column;
}

/** Where the automation loop stands (migration 12): at most one row, id 1. */
export interface AutomationCursorTable {
  id: number;
  evaluation_id: Int8Column;
  evaluated_at: NullableInt8Column;
  last_event_id: Int8Column;
  updated_at: Int8Column;
}

/** Each automated asset's condition state (migration 12). */
export interface AutomationAssetStatesTable {
  asset_key: string;
  /** JSON (AssetAutomationState). */
  state: string;
}

/** Evaluations kept for explanations (migration 12); `id` is the write order. */
export interface AutomationEvaluationsTable {
  id: GeneratedIdColumn;
  asset_key: string;
  evaluation_id: Int8Column;
  evaluated_at: Int8Column;
  requested_count: number;
  /** JSON array of partition keys. */
  requested_keys: string;
  /** JSON array of run ids. */
  run_ids: string;
  /** JSON (ConditionNodeEvaluation). */
  tree: string;
}

/**
 * One row per ASSET_CHECK_EVALUATION event (migration 7), written in the event's transaction.
 * `partition` is `''` for none, as in asset_index; `passed` is 0 or 1 on every backend.
 */
export interface AssetCheckEvaluationsTable {
  id: GeneratedIdColumn;
  asset_key: string;
  check_name: string;
  partition: string;
  run_id: string;
  event_id: Int8Column;
  status: string;
  severity: string;
  passed: number;
  description: string | null;
  /** JSON object (MetadataMap). */
  metadata: string;
  timestamp: Int8Column;
}

/** Versions applied by the migrator. */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Int8Column;
}

/** Kysely typing of the whole storage schema. */
/**
 * Latest observation per (asset, partition) of observable source assets (migration 8); `partition`
 * is `''` for none, as in asset_index.
 */
export interface AssetObservationsTable {
  asset_key: string;
  partition: string;
  run_id: string;
  event_id: Int8Column;
  data_version: string;
  /** JSON object (MetadataMap). */
  metadata: string;
  timestamp: Int8Column;
}

export interface Database {
  runs: RunsTable;
  run_tags: RunTagsTable;
  events: EventsTable;
  asset_index: AssetIndexTable;
  instigators: InstigatorsTable;
  ticks: TicksTable;
  run_keys: RunKeysTable;
  daemon_heartbeats: DaemonHeartbeatsTable;
  daemon_leases: DaemonLeasesTable;
  dynamic_partitions: DynamicPartitionsTable;
  asset_partition_status: AssetPartitionStatusTable;
  asset_observations: AssetObservationsTable;
  backfills: BackfillsTable;
  backfill_partitions: BackfillPartitionsTable;
  asset_freshness: AssetFreshnessTable;
  freshness_transitions: FreshnessTransitionsTable;
  asset_check_evaluations: AssetCheckEvaluationsTable;
  automation_cursor: AutomationCursorTable;
  automation_asset_states: AutomationAssetStatesTable;
  automation_evaluations: AutomationEvaluationsTable;
  stored_values: StoredValuesTable;
  schema_migrations: SchemaMigrationsTable;
}
