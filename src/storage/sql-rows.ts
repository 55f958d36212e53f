import type { Insertable, Selectable } from "kysely";
import type {
  AssetIndexRecord,
  DaemonHeartbeat,
  EventData,
  EventRecord,
  EventType,
  InstigatorState,
  InstigatorStatus,
  InstigatorType,
  LogLevel,
  MetadataMap,
  RunProcess,
  RunRecord,
  RunStatus,
  SerializedError,
  TickRecord,
  TickStatus,
} from "./records.js";
import type {
  AssetIndexTable,
  DaemonHeartbeatsTable,
  EventsTable,
  InstigatorsTable,
  RunsTable,
  TicksTable,
} from "./schema.js";

/** How asset_index spells "no partition" (see AssetIndexTable for why not NULL). */
export const NO_PARTITION = "";

/** A run record as a `runs` row (JSON fields serialized). */
export function toRunRow(run: RunRecord): Insertable<RunsTable> {
  return {
    run_id: run.runId,
    status: run.status,
    job_name: run.jobName,
    selection: JSON.stringify(run.selection),
    selection_expression: run.selectionExpression,
    partition: run.partition,
    config: JSON.stringify(run.config),
    tags: JSON.stringify(run.tags),
    parent_run_id: run.parentRunId,
    root_run_id: run.rootRunId,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    worker_id: run.workerId,
    heartbeat_at: run.heartbeatAt,
    process_host: run.process?.host ?? null,
    process_pid: run.process?.pid ?? null,
    process_identity: run.process?.identity ?? null,
  };
}

/** The `runs` columns that record the process executing a run. */
export function runProcessColumns(process: RunProcess): Pick<Insertable<RunsTable>, "process_host" | "process_pid" | "process_identity"> {
  return { process_host: process.host, process_pid: process.pid, process_identity: process.identity };
}

/** A `runs` row as a record; int8 columns become numbers whatever the driver returned. */
export function fromRunRow(row: Selectable<RunsTable>): RunRecord {
  return {
    runId: row.run_id,
    status: row.status as RunStatus,
    jobName: row.job_name,
    selection: JSON.parse(row.selection) as string[],
    selectionExpression: row.selection_expression,
    partition: row.partition,
    config: JSON.parse(row.config) as Record<string, unknown>,
    tags: JSON.parse(row.tags) as Record<string, string>,
    parentRunId: row.parent_run_id,
    rootRunId: row.root_run_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: nullableNumber(row.started_at),
    endedAt: nullableNumber(row.ended_at),
    workerId: row.worker_id,
    heartbeatAt: nullableNumber(row.heartbeat_at),
    process:
      row.process_host == null || row.process_pid == null
        ? null
        : { host: row.process_host, pid: Number(row.process_pid), identity: row.process_identity ?? null },
  };
}

/** An `events` row as a record. */
export function fromEventRow(row: Selectable<EventsTable>): EventRecord {
  return {
    id: Number(row.id),
    runId: row.run_id,
    type: row.type as EventType,
    timestamp: Number(row.timestamp),
    stepKey: row.step_key,
    assetKey: row.asset_key,
    partition: row.partition,
    level: row.level as LogLevel,
    message: row.message,
    data: JSON.parse(row.data) as EventData,
  };
}

/** An `asset_index` row as a record ('' partition back to null). */
export function fromAssetIndexRow(row: Selectable<AssetIndexTable>): AssetIndexRecord {
  return {
    assetKey: row.asset_key,
    partition: row.partition === NO_PARTITION ? null : row.partition,
    runId: row.run_id,
    eventId: Number(row.event_id),
    timestamp: Number(row.timestamp),
    metadata: JSON.parse(row.metadata) as MetadataMap,
    dataVersion: row.data_version ?? null,
    codeVersion: row.code_version ?? null,
    inputDataVersions: row.input_data_versions == null ? null : (JSON.parse(row.input_data_versions) as Record<string, string>),
  };
}

/** An `instigators` row as a record. */
export function fromInstigatorRow(row: Selectable<InstigatorsTable>): InstigatorState {
  return {
    name: row.name,
    type: row.type as InstigatorType,
    status: row.status as InstigatorStatus,
    cursor: row.cursor,
    updatedAt: Number(row.updated_at),
  };
}

/** A `ticks` row as a record. */
export function fromTickRow(row: Selectable<TicksTable>): TickRecord {
  return {
    id: Number(row.id),
    instigatorName: row.instigator_name,
    type: row.type as InstigatorType,
    tickTime: Number(row.tick_time),
    status: row.status as TickStatus,
    runIds: JSON.parse(row.run_ids) as string[],
    skippedRunKeys: JSON.parse(row.skipped_run_keys) as string[],
    skipReason: row.skip_reason,
    error: row.error === null ? null : (JSON.parse(row.error) as SerializedError),
    cursor: row.cursor,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** A `daemon_heartbeats` row as a record. */
export function fromDaemonHeartbeatRow(row: Selectable<DaemonHeartbeatsTable>): DaemonHeartbeat {
  return {
    daemonType: row.daemon_type,
    daemonId: row.daemon_id,
    timestamp: Number(row.timestamp),
    errors: JSON.parse(row.errors) as SerializedError[],
  };
}

function nullableNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}
