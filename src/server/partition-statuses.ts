import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import type { Storage } from "../storage/storage.js";
import { iso } from "./api-json.js";
import type { AssetPartitionsJson, AssetPartitionStatus, PartitionStatusRangeJson } from "./api-types.js";

/** Partitions one answer lists at most (a health bar of 100,000 keys is well within). */
export const MAX_LISTED_PARTITIONS = 1_000_000;

/**
 * Every partition of an asset by status, from the per-partition status index (one query, no event
 * scan): counts, the ordered keys (unless `withKeys` is false) and run-length ranges over them.
 * Index rows of keys the definition no longer has are left out.
 */
export async function assetPartitionsJson(storage: Storage, assetKey: string, partitions: PartitionsDefinition, withKeys: boolean, now = new Date()): Promise<AssetPartitionsJson> {
  const keys = partitions.keys(now);
  const rows = await storage.getAssetPartitionStatuses(assetKey);
  const statusOf = new Map(rows.map((r) => [r.partition, r.status]));
  const counts = { materialized: 0, failed: 0, inProgress: 0, missing: 0, total: keys.length };
  const ranges: PartitionStatusRangeJson[] = [];
  let current: PartitionStatusRangeJson | undefined;
  keys.forEach((key, i) => {
    const status: AssetPartitionStatus = statusOf.get(key) ?? "MISSING";
    if (status === "MATERIALIZED") counts.materialized++;
    else if (status === "FAILED") counts.failed++;
    else if (status === "IN_PROGRESS") counts.inProgress++;
    else counts.missing++;
    if (current?.status === status) current.end = i;
    else ranges.push((current = { status, start: i, end: i }));
  });
  return { assetKey, partitions: partitions.toSnapshot(now), counts, keys: withKeys ? keys : null, ranges, generatedAt: iso(now.getTime()) };
}
