import type { BackfillPartitionRecord, BackfillPartitionStatus, BackfillRecord } from "../storage/backfill-records.js";
import type { Storage } from "../storage/storage.js";
import { iso } from "./api-json.js";
import type { BackfillJson, BackfillPartitionJson } from "./api-types.js";

/** A backfill as the API and `sluice backfill show --json` print it, with its partitions' counts. */
export function backfillJson(backfill: BackfillRecord, counts: Record<BackfillPartitionStatus, number>): BackfillJson {
  return {
    backfillId: backfill.backfillId,
    status: backfill.status,
    target: backfill.target,
    groups: backfill.groups,
    partitionSet: backfill.partitionSet,
    partitionCount: backfill.partitionCount,
    runCount: backfill.groups.reduce((sum, g) => sum + g.runCount, 0),
    tags: backfill.tags,
    launchedBy: backfill.launchedBy,
    parentBackfillId: backfill.parentBackfillId,
    error: backfill.error,
    createdAt: iso(backfill.createdAt),
    updatedAt: iso(backfill.updatedAt),
    endedAt: iso(backfill.endedAt),
    counts,
  };
}

/** The backfill's JSON with its counts read now. */
export async function readBackfillJson(storage: Storage, backfill: BackfillRecord): Promise<BackfillJson> {
  return backfillJson(backfill, await storage.countBackfillPartitions(backfill.backfillId));
}

/** One partition of a backfill, as the API prints it. */
export function backfillPartitionJson(p: BackfillPartitionRecord): BackfillPartitionJson {
  return { group: p.group, partition: p.partition, status: p.status, runId: p.runId, runStatus: p.runStatus, reason: p.reason };
}
