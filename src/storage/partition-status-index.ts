import { sql, type Kysely } from "kysely";
import { AssetPartitionStatus, type AssetPartitionCounts, type AssetPartitionStatusRecord, type LatestAttemptRecord } from "./backfill-records.js";
import type { StorageGuard } from "./guard.js";
import { EventType, type EventRecord } from "./records.js";
import type { Database } from "./schema.js";
import { NO_PARTITION } from "./sql-rows.js";
import { insertFrom, type UpsertSource } from "./upsert-source.js";

/** The status each step or materialization event gives the partition it names. */
const STATUS_OF_EVENT: Partial<Record<EventType, AssetPartitionStatus>> = {
  [EventType.StepStart]: AssetPartitionStatus.InProgress,
  [EventType.AssetMaterialization]: AssetPartitionStatus.Materialized,
  [EventType.StepFailure]: AssetPartitionStatus.Failed,
  [EventType.StepSkipped]: AssetPartitionStatus.Failed,
};

/**
 * Updates the per-partition status index for an event just stored, inside its transaction: the
 * step of a partition of an asset started (in progress), materialized it, or ended without
 * materializing it (its step failed, was skipped because an upstream step failed, or its run
 * ended first: failed, as Dagster counts a partition whose latest planned run failed). A failure
 * never overwrites a materialization made by the same run, and an older event never overwrites the
 * status a newer one set.
 */
export async function updatePartitionStatus(trx: Kysely<Database>, record: Omit<EventRecord, "id">, eventId: number): Promise<void> {
  // Unpartitioned assets are recorded under "" (reads of partitions leave those rows out): the
  // automation loop reads every asset's latest attempt from this one index.
  const { plain, guarded } = partitionStatusRows([{ ...record, id: eventId }]);
  if (plain.length > 0) await partitionStatusUpsert(trx, plain, false).execute();
  if (guarded.length > 0) await partitionStatusUpsert(trx, guarded, true).execute();
}

/** The status rows that events write: `guarded` ones only where the stored row allows (see partitionStatusRows). */
export interface PartitionStatusRows {
  plain: StatusRow[];
  guarded: StatusRow[];
}

/**
 * The rows of updatePartitionStatus for several events of one transaction, in two sets (an upsert
 * may not touch a row twice in one statement): each (asset, partition) once, with what applying the
 * events one by one would leave. Where that depends on the stored row (a failure first, which must
 * not overwrite its own run's materialization), the row is `guarded`: written with that condition;
 * a `plain` one only with "newer than the stored event".
 */
export function partitionStatusRows(records: readonly EventRecord[]): PartitionStatusRows {
  const finals = new Map<string, { row: StatusRow; againstStored: boolean }>();
  for (const record of records) {
    const status = STATUS_OF_EVENT[record.type];
    if (status === undefined) continue;
    const partition = record.partition ?? NO_PARTITION;
    for (const assetKey of eventAssetKeys(record)) {
      const key = JSON.stringify([assetKey, partition]);
      const row: StatusRow = { asset_key: assetKey, partition, status, run_id: record.runId, event_id: record.id, updated_at: record.timestamp };
      const current = finals.get(key);
      if (current === undefined || status !== AssetPartitionStatus.Failed) {
        // The first event of its key is judged against the stored row; a later one that is not a
        // failure always applies (it is newer than anything before it).
        finals.set(key, { row, againstStored: current === undefined && status === AssetPartitionStatus.Failed });
      } else if (current.againstStored) {
        // Before it: "a failure, unless the stored row is a materialization by that run". Of the
        // same run, this one is kept or dropped on the same condition; of another run, it applies
        // whichever way that went.
        finals.set(key, { row, againstStored: current.row.run_id === row.run_id });
      } else if (!(current.row.status === AssetPartitionStatus.Materialized && current.row.run_id === row.run_id)) {
        finals.set(key, { row, againstStored: false });
      }
    }
  }
  const rows = [...finals.values()];
  return { plain: rows.filter((r) => !r.againstStored).map((r) => r.row), guarded: rows.filter((r) => r.againstStored).map((r) => r.row) };
}

/** The upsert of status rows: newer than the stored event, and for `guarded` rows also not over their run's materialization. */
export function partitionStatusUpsert(db: Kysely<Database>, rows: UpsertSource, guarded: boolean) {
  return insertFrom(db.insertInto("asset_partition_status"), rows)
    .onConflict((oc) =>
      oc
        .columns(["asset_key", "partition"])
        .doUpdateSet(EXCLUDED_STATUS)
        .where(
          guarded
            ? sql<boolean>`asset_partition_status.event_id < excluded.event_id and not (asset_partition_status.status = ${AssetPartitionStatus.Materialized} and asset_partition_status.run_id = excluded.run_id)`
            : sql<boolean>`asset_partition_status.event_id < excluded.event_id`,
        ),
    );
}

/** A row of the status index. */
export interface StatusRow {
  asset_key: string;
  partition: string;
  status: AssetPartitionStatus;
  run_id: string;
  event_id: number;
  updated_at: number;
}

/** The update of a status row from the row that conflicted with it. */
const EXCLUDED_STATUS = {
  status: sql<string>`excluded.status`,
  run_id: sql<string>`excluded.run_id`,
  event_id: sql<number>`excluded.event_id`,
  updated_at: sql<number>`excluded.updated_at`,
};

/**
 * The assets an event is about: its asset key, or for a step event of a multi-asset's step (no
 * asset key of its own) the assets that step materializes (`data.assetKeys`).
 */
export function eventAssetKeys(record: Pick<EventRecord, "assetKey" | "data">): string[] {
  if (record.assetKey !== null) return [record.assetKey];
  const keys = record.data.assetKeys;
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
}

/** Reads of the per-partition status index (see {@link updatePartitionStatus} for its writes). */
export class PartitionStatusReader {
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(db: Kysely<Database>, guard: StorageGuard) {
    this.#db = db;
    this.#guard = guard;
  }

  /** Sorted by partition key; an empty `statuses` matches nothing. */
  getAssetPartitionStatuses(assetKey: string, options: { statuses?: AssetPartitionStatus[] } = {}): Promise<AssetPartitionStatusRecord[]> {
    return this.#guard.run(`read the partition statuses of asset "${assetKey}"`, async () => {
      if (options.statuses?.length === 0) return [];
      let query = this.#db.selectFrom("asset_partition_status").select(["asset_key", "partition", "status", "run_id", "updated_at"]).where("asset_key", "=", assetKey).where("partition", "<>", NO_PARTITION);
      if (options.statuses !== undefined) query = query.where("status", "in", options.statuses);
      const rows = await query.orderBy("partition").execute();
      return rows.map((r) => ({ assetKey: r.asset_key, partition: r.partition, status: r.status as AssetPartitionStatus, runId: r.run_id, updatedAt: Number(r.updated_at) }));
    });
  }

  /**
   * The latest attempt at each asset and partition (null: the unpartitioned asset, or a step over a
   * partition range, which names no one key), optionally only of these assets (an empty list matches
   * nothing), sorted by asset key then partition (unpartitioned first).
   */
  getLatestAttempts(assetKeys?: readonly string[]): Promise<LatestAttemptRecord[]> {
    return this.#guard.run("read the latest attempts of assets", async () => {
      if (assetKeys?.length === 0) return [];
      let query = this.#db.selectFrom("asset_partition_status").select(["asset_key", "partition", "status", "run_id", "event_id", "updated_at"]);
      if (assetKeys !== undefined) query = query.where("asset_key", "in", [...assetKeys]);
      const rows = await query.orderBy("asset_key").orderBy("partition").execute();
      return rows.map((r) => ({
        assetKey: r.asset_key,
        partition: r.partition === NO_PARTITION ? null : r.partition,
        status: r.status as AssetPartitionStatus,
        runId: r.run_id,
        eventId: Number(r.event_id),
        updatedAt: Number(r.updated_at),
      }));
    });
  }

  /** One entry per asset key asked for (zeros for an asset with no partition recorded). */
  countAssetPartitionStatuses(assetKeys: readonly string[]): Promise<Map<string, AssetPartitionCounts>> {
    return this.#guard.run("count asset partition statuses", async () => {
      const counts = new Map<string, AssetPartitionCounts>(assetKeys.map((k) => [k, { materialized: 0, failed: 0, inProgress: 0 }]));
      if (assetKeys.length === 0) return counts;
      const rows = await this.#db
        .selectFrom("asset_partition_status")
        .select(["asset_key", "status", (eb) => eb.fn.countAll().as("n")])
        .where("asset_key", "in", [...assetKeys])
        .where("partition", "<>", NO_PARTITION)
        .groupBy(["asset_key", "status"])
        .execute();
      for (const row of rows) {
        const entry = counts.get(row.asset_key)!;
        if (row.status === "MATERIALIZED") entry.materialized = Number(row.n);
        else if (row.status === "FAILED") entry.failed = Number(row.n);
        else if (row.status === "IN_PROGRESS") entry.inProgress = Number(row.n);
      }
      return counts;
    });
  }
}
