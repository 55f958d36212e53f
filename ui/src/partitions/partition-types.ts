/**
 * Shapes of the partition and backfill endpoints' JSON (`GET /api/assets/:key/partitions`,
 * `/api/backfills...`), declared in src/server/api-types.ts; used by the partition picker, the
 * health bar and the backfills pages.
 */
import type { AssetPartitionStatus, BackfillPartitionStatus, PartitionStatusRangeJson } from "../../../src/server/api-types";

export type {
  AssetPartitionsJson,
  AssetPartitionStatus,
  BackfillAnswerJson,
  BackfillJson,
  BackfillLaunchAnswerJson,
  BackfillLaunchBodyJson,
  BackfillPartitionJson,
  BackfillPartitionSetJson,
  BackfillPartitionStatus,
  BackfillPreviewJson,
  BackfillsPageJson,
  BackfillStatus,
  BackfillTargetJson,
  PartitionCountsJson,
  PartitionsJson,
  PartitionStatusRangeJson,
} from "../../../src/server/api-types";

/** The colour of each partition status, on the health bar and in its legend. */
export const PARTITION_COLORS: Record<AssetPartitionStatus, string> = {
  MATERIALIZED: "#1f8a4c",
  FAILED: "#c8362f",
  IN_PROGRESS: "#2f6fde",
  MISSING: "#d5dae2",
};

/** The colour of each backfill partition status, in a backfill's grid. */
export const BACKFILL_PARTITION_COLORS: Record<BackfillPartitionStatus, string> = {
  pending: "#d5dae2",
  launched: "#2f6fde",
  succeeded: "#1f8a4c",
  failed: "#c8362f",
  canceled: "#8a93a3",
};

/** The status of the key at `index` in run-length `ranges` (which cover every key, in order); binary search. */
export function statusAt(ranges: readonly PartitionStatusRangeJson[], index: number): AssetPartitionStatus | null {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (index < r.start) hi = mid - 1;
    else if (index > r.end) lo = mid + 1;
    else return r.status;
  }
  return null;
}

/** "1 partition", "3,000 partitions". */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}
