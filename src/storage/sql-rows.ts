import type { Insertable, Selectable } from "kysely";
import type {
  AssetIndexRecord,
  EventData,
  EventRecord,
  EventType,
  LogLevel,
  MetadataMap,
  RunRecord,
  RunStatus,
} from "./records.js";
import type { AssetIndexTable, EventsTable, RunsTable } from "./schema.js";

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
  };
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
    startedAt: row.started_at === null ? null : Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
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
  };
}
