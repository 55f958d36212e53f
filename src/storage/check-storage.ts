import type { Kysely, Selectable } from "kysely";
import { StorageError } from "../definitions/errors.js";
import type { StorageGuard } from "./guard.js";
import {
  CheckStatus,
  type CheckEvaluationData,
  type CheckEvaluationRecord,
  type CheckSeverity,
  type EventRecord,
  type MetadataMap,
} from "./records.js";
import type { AssetCheckEvaluationsTable, Database } from "./schema.js";
import { NO_PARTITION } from "./sql-rows.js";

/** Options of {@link CheckStorage.getCheckEvaluations}. */
export interface CheckEvaluationsQuery {
  /** Only evaluations of this partition (null: of the unpartitioned asset); all when absent. */
  partition?: string | null;
  /** Newest first; at most this many. */
  limit?: number;
  /** Only evaluations older than this event (the next page after it). */
  beforeEventId?: number;
}

const STATUSES: readonly string[] = Object.values(CheckStatus);

/**
 * Records an ASSET_CHECK_EVALUATION event just stored as a row of asset_check_evaluations, inside
 * the event's transaction. Throws StorageError when the event's data is not an evaluation (the
 * event and the row are then both rolled back).
 */
export async function insertCheckEvaluation(trx: Kysely<Database>, record: Omit<EventRecord, "id">, eventId: number): Promise<void> {
  if (record.assetKey === null) {
    throw new StorageError(`An ASSET_CHECK_EVALUATION event of run "${record.runId}" names no asset: set its assetKey to the checked asset.`);
  }
  const data = checkEvaluationData(record.data, record.runId);
  await trx
    .insertInto("asset_check_evaluations")
    .values({
      asset_key: record.assetKey,
      check_name: data.checkName,
      partition: record.partition ?? NO_PARTITION,
      run_id: record.runId,
      event_id: eventId,
      status: data.status,
      severity: data.severity,
      passed: data.passed ? 1 : 0,
      description: data.description,
      metadata: JSON.stringify(data.metadata),
      timestamp: record.timestamp,
    })
    .execute();
}

/** The evaluation an event's data holds; throws StorageError naming what is wrong. */
function checkEvaluationData(data: Record<string, unknown>, runId: string): CheckEvaluationData {
  const { checkName, status, passed, severity, description, metadata } = data;
  const problem =
    typeof checkName !== "string" || checkName === ""
      ? "data.checkName is not a check name"
      : typeof status !== "string" || !STATUSES.includes(status)
        ? `data.status is ${JSON.stringify(status)}, not one of ${STATUSES.join(", ")}`
        : typeof passed !== "boolean"
          ? "data.passed is not a boolean"
          : severity !== "WARN" && severity !== "ERROR"
            ? `data.severity is ${JSON.stringify(severity)}, not WARN or ERROR`
            : description != null && typeof description !== "string"
              ? "data.description is not a string"
              : undefined;
  if (problem !== undefined) {
    throw new StorageError(`An ASSET_CHECK_EVALUATION event of run "${runId}" is malformed: ${problem}.`);
  }
  return {
    checkName: checkName as string,
    status: status as CheckStatus,
    passed: passed as boolean,
    severity: severity as CheckSeverity,
    description: (description as string | null | undefined) ?? null,
    metadata: (metadata ?? {}) as MetadataMap,
  };
}

/** Reads of asset check evaluations (written by {@link insertCheckEvaluation}). */
export class CheckStorage {
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(db: Kysely<Database>, guard: StorageGuard) {
    this.#db = db;
    this.#guard = guard;
  }

  /** See `Storage.getLatestCheckEvaluations`. */
  getLatestCheckEvaluations(assetKeys?: readonly string[]): Promise<CheckEvaluationRecord[]> {
    return this.#guard.run("read the latest asset check evaluations", async () => {
      if (assetKeys?.length === 0) return [];
      // The newest event of each (asset, check, partition) group, found on the latest index.
      let latest = this.#db
        .selectFrom("asset_check_evaluations")
        .select((eb) => eb.fn.max("event_id").as("latest_event_id"))
        .groupBy(["asset_key", "check_name", "partition"]);
      if (assetKeys !== undefined) latest = latest.where("asset_key", "in", [...assetKeys]);
      const rows = await this.#db
        .selectFrom("asset_check_evaluations as e")
        .innerJoin(latest.as("l"), "l.latest_event_id", "e.event_id")
        .selectAll("e")
        .orderBy("e.asset_key")
        .orderBy("e.check_name")
        .orderBy("e.partition")
        .execute();
      return rows.map(fromCheckEvaluationRow);
    });
  }

  /** See `Storage.getCheckEvaluations`. */
  getCheckEvaluations(assetKey: string, checkName: string, options: CheckEvaluationsQuery = {}): Promise<CheckEvaluationRecord[]> {
    return this.#guard.run(`read the evaluations of check "${assetKey}:${checkName}"`, async () => {
      const { partition, limit, beforeEventId } = options;
      if (limit === 0) return [];
      let query = this.#db
        .selectFrom("asset_check_evaluations")
        .selectAll()
        .where("asset_key", "=", assetKey)
        .where("check_name", "=", checkName);
      if (partition !== undefined) query = query.where("partition", "=", partition ?? NO_PARTITION);
      if (beforeEventId !== undefined) query = query.where("event_id", "<", beforeEventId);
      query = query.orderBy("event_id", "desc");
      if (limit !== undefined) query = query.limit(limit);
      return (await query.execute()).map(fromCheckEvaluationRow);
    });
  }
}

/** Forgets the evaluations of these assets, with their events, inside the caller's transaction. */
export async function wipeCheckEvaluations(trx: Kysely<Database>, assetKeys: readonly string[]): Promise<void> {
  await trx.deleteFrom("asset_check_evaluations").where("asset_key", "in", [...assetKeys]).execute();
}

function fromCheckEvaluationRow(row: Selectable<AssetCheckEvaluationsTable>): CheckEvaluationRecord {
  return {
    assetKey: row.asset_key,
    checkName: row.check_name,
    partition: row.partition === NO_PARTITION ? null : row.partition,
    runId: row.run_id,
    eventId: Number(row.event_id),
    timestamp: Number(row.timestamp),
    status: row.status as CheckStatus,
    passed: Number(row.passed) === 1,
    severity: row.severity as CheckSeverity,
    description: row.description,
    metadata: JSON.parse(row.metadata) as MetadataMap,
  };
}
