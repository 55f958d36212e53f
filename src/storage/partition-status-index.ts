import type { Kysely } from "kysely";
import { AssetPartitionStatus } from "./backfill-records.js";
import { EventType, type EventRecord } from "./records.js";
import type { Database } from "./schema.js";

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
  const status = STATUS_OF_EVENT[record.type];
  if (status === undefined || record.assetKey === null || record.partition === null) return;
  const row = { asset_key: record.assetKey, partition: record.partition, status, run_id: record.runId, event_id: eventId, updated_at: record.timestamp };
  await trx
    .insertInto("asset_partition_status")
    .values(row)
    .onConflict((oc) =>
      oc.columns(["asset_key", "partition"]).doUpdateSet({ status, run_id: row.run_id, event_id: eventId, updated_at: row.updated_at }).where((eb) => {
        const newer = eb("asset_partition_status.event_id", "<", eventId);
        if (status !== AssetPartitionStatus.Failed) return newer;
        // A step that materialized its partition, then failed (or its run ended), leaves it materialized.
        return eb.and([
          newer,
          eb.not(eb.and([eb("asset_partition_status.status", "=", AssetPartitionStatus.Materialized), eb("asset_partition_status.run_id", "=", row.run_id)])),
        ]);
      }),
    )
    .execute();
}
