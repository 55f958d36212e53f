import type { Kysely } from "kysely";
import type { StorageGuard } from "./guard.js";
import { EventType, type EventRecord, type MetadataMap, type ObservationRecord } from "./records.js";
import type { Database } from "./schema.js";
import { fromEventRow, NO_PARTITION } from "./sql-rows.js";

/**
 * Points the latest observation of the event's (asset, partition) at this ASSET_OBSERVATION event,
 * inside the event's transaction. An event without a data version is stored but indexes nothing.
 */
export async function upsertObservation(trx: Kysely<Database>, record: Omit<EventRecord, "id">, eventId: number): Promise<void> {
  const dataVersion = record.data.dataVersion;
  if (record.type !== EventType.AssetObservation || record.assetKey === null || typeof dataVersion !== "string") return;
  const row = {
    asset_key: record.assetKey,
    partition: record.partition ?? NO_PARTITION,
    run_id: record.runId,
    event_id: eventId,
    data_version: dataVersion,
    metadata: JSON.stringify(record.data.metadata ?? {}),
    timestamp: record.timestamp,
  };
  await trx
    .insertInto("asset_observations")
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(["asset_key", "partition"])
        .doUpdateSet({ run_id: row.run_id, event_id: eventId, data_version: row.data_version, metadata: row.metadata, timestamp: row.timestamp })
        // Where transactions commit out of id order (Postgres), an older event never wins.
        .where("asset_observations.event_id", "<", eventId),
    )
    .execute();
}

/** Reads of observations: the latest per asset and partition, and an asset's history. */
export class ObservationReader {
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(db: Kysely<Database>, guard: StorageGuard) {
    this.#db = db;
    this.#guard = guard;
  }

  /** Sorted by asset key, then partition (none first); an empty `assetKeys` matches nothing. */
  getLatestObservations(assetKeys?: readonly string[]): Promise<ObservationRecord[]> {
    return this.#guard.run("read the latest observations", async () => {
      if (assetKeys?.length === 0) return [];
      let query = this.#db.selectFrom("asset_observations").selectAll();
      if (assetKeys !== undefined) query = query.where("asset_key", "in", [...assetKeys]);
      const rows = await query.orderBy("asset_key").orderBy("partition").execute();
      return rows.map((r) => ({
        assetKey: r.asset_key,
        partition: r.partition === NO_PARTITION ? null : r.partition,
        runId: r.run_id,
        eventId: Number(r.event_id),
        dataVersion: r.data_version,
        metadata: JSON.parse(r.metadata) as MetadataMap,
        timestamp: Number(r.timestamp),
      }));
    });
  }

  /** Newest first; `partition` narrows to one partition (null: the unpartitioned observations). */
  getObservations(assetKey: string, options: { partition?: string | null; limit?: number } = {}): Promise<EventRecord[]> {
    return this.#guard.run(`read the observations of asset "${assetKey}"`, async () => {
      if (options.limit === 0) return [];
      let query = this.#db.selectFrom("events").selectAll().where("asset_key", "=", assetKey).where("type", "=", EventType.AssetObservation);
      if (options.partition === null) query = query.where("partition", "is", null);
      else if (options.partition !== undefined) query = query.where("partition", "=", options.partition);
      query = query.orderBy("id", "desc");
      if (options.limit !== undefined) query = query.limit(options.limit);
      return (await query.execute()).map(fromEventRow);
    });
  }
}
