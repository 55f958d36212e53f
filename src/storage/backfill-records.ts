/**
 * Records of backfills and of the per-partition status index, shared by storage, the daemon, the
 * server and the CLI. Timestamps are epoch milliseconds.
 */
import type { NewRun, RunStatus } from "./records.js";

/** Where a backfill stands, as Dagster names a bulk action's status. */
export const BackfillStatus = {
  /** Being executed by the daemon: partitions are launched as their upstream partitions succeed. */
  Requested: "REQUESTED",
  /** Every partition succeeded. */
  Completed: "COMPLETED",
  /** Every partition is done and at least one failed or was canceled. */
  Failed: "FAILED",
  /** A cancel was asked for: nothing more is launched; runs in flight finish. */
  Canceling: "CANCELING",
  /** Canceled, and its runs in flight have finished. */
  Canceled: "CANCELED",
} as const;
/** One of the values of {@link BackfillStatus}. */
export type BackfillStatus = (typeof BackfillStatus)[keyof typeof BackfillStatus];

/** Statuses a backfill leaves only by `resumeBackfill`. */
export const FINISHED_BACKFILL_STATUSES: readonly BackfillStatus[] = [BackfillStatus.Completed, BackfillStatus.Failed, BackfillStatus.Canceled];

/** Where one partition (of one asset group) of a backfill stands. */
export const BackfillPartitionStatus = {
  Pending: "pending",
  Launched: "launched",
  Succeeded: "succeeded",
  Failed: "failed",
  Canceled: "canceled",
} as const;
/** One of the values of {@link BackfillPartitionStatus}. */
export type BackfillPartitionStatus = (typeof BackfillPartitionStatus)[keyof typeof BackfillPartitionStatus];

/**
 * What a backfill runs. `assets`: the asset keys of a selection (its expression kept for people);
 * `job`: a job by name. Either way the keys are split in {@link BackfillGroup}s.
 */
export type BackfillTarget =
  | { kind: "assets"; selection: string | null; assetKeys: string[] }
  | { kind: "job"; jobName: string; assetKeys: string[] };

/**
 * Assets of a backfill that share one partitions definition and are launched together: one run per
 * (group, partition key), or per range of keys under a backfill policy. Groups come in dependency
 * order; `upstream` names the groups whose partitions must succeed first. A backfill of assets
 * with equal partitions has one group, named `''`; assets with mapped partitions make several,
 * each named after its first asset.
 */
export interface BackfillGroup {
  name: string;
  assetKeys: string[];
  upstream: string[];
  /** Its partition keys. */
  partitionCount: number;
  /**
   * The runs that launch them when all are ready at once (one per key; fewer under a backfill
   * policy, whose ranges may split further when keys become ready one after another).
   */
  runCount: number;
}

/** A group of a backfill to create, with its partition keys in its definition's order. */
export interface NewBackfillGroup {
  name: string;
  assetKeys: string[];
  upstream: string[];
  partitionKeys: readonly string[];
  /** See {@link BackfillGroup.runCount}; defaults to the number of keys. */
  runCount?: number;
}

/** How the partitions of a backfill were chosen (for people; the partitions themselves are stored). */
export type BackfillPartitionSet =
  | { kind: "range"; first: string; last: string }
  | { kind: "keys"; keys: string[] }
  | { kind: "all" }
  | { kind: "missing" }
  | { kind: "failed" };

/** A backfill as storage keeps it. */
export interface BackfillRecord {
  backfillId: string;
  status: BackfillStatus;
  target: BackfillTarget;
  groups: BackfillGroup[];
  partitionSet: BackfillPartitionSet;
  /** Partitions of all its groups (each group's own count is in `groups`). */
  partitionCount: number;
  /** Tags of the backfill, given to each of its runs. */
  tags: Record<string, string>;
  /** Who launched it: `cli`, `api`... */
  launchedBy: string;
  /** The backfill this one retries the failed partitions of. */
  parentBackfillId: string | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
}

/** What a caller gives to create a backfill. */
export interface NewBackfill {
  backfillId: string;
  target: BackfillTarget;
  /** Its groups in dependency order, each with its own keys (one pending partition per key). */
  groups: NewBackfillGroup[];
  partitionSet: BackfillPartitionSet;
  tags?: Record<string, string>;
  launchedBy: string;
  parentBackfillId?: string | null;
}

/** One partition of one group of a backfill. */
export interface BackfillPartitionRecord {
  group: string;
  partition: string;
  status: BackfillPartitionStatus;
  runId: string | null;
  /** The status of its run now (read with it), when it has one. */
  runStatus: RunStatus | null;
  /** Why it failed or was canceled without a run of its own (an upstream partition failed). */
  reason: string | null;
}

/** Filters for listing backfills, newest first. */
export interface BackfillsFilter {
  statuses?: BackfillStatus[];
  /** Only backfills older than this one (the next page after it). Throws BackfillNotFoundError when unknown. */
  before?: string;
  limit?: number;
}

/** Options for reading a backfill's partitions, in the order of its groups and keys. */
export interface BackfillPartitionsQuery {
  statuses?: BackfillPartitionStatus[];
  /** Only partitions whose run has one of these statuses (null: no run, or a run that is gone). */
  runStatuses?: (RunStatus | null)[];
  group?: string;
  offset?: number;
  limit?: number;
}

/**
 * Partitions of one group of a backfill to launch with one run: one key, or every key of the
 * range a run under a backfill policy materializes.
 */
export interface BackfillLaunch {
  group: string;
  partitions: readonly string[];
  run: NewRun;
}

/** A change of a backfill partition's status made by the daemon. */
export interface BackfillPartitionUpdate {
  group: string;
  partition: string;
  status: BackfillPartitionStatus;
  reason?: string | null;
}

/** The status of one partition of an asset in the per-partition status index (missing: no row). */
export const AssetPartitionStatus = {
  Materialized: "MATERIALIZED",
  Failed: "FAILED",
  InProgress: "IN_PROGRESS",
} as const;
/** One of the values of {@link AssetPartitionStatus}. */
export type AssetPartitionStatus = (typeof AssetPartitionStatus)[keyof typeof AssetPartitionStatus];

/** The latest attempt at one partition of an asset. */
export interface AssetPartitionStatusRecord {
  assetKey: string;
  partition: string;
  status: AssetPartitionStatus;
  /** The run of that attempt. */
  runId: string;
  updatedAt: number;
}

/**
 * The latest attempt at an asset (any asset, partitioned or not): what the automation loop reads as
 * `in_progress` and `execution_failed`.
 */
export interface LatestAttemptRecord {
  assetKey: string;
  /** The partition; null for an unpartitioned asset (or a step over a partition range, which names no one key). */
  partition: string | null;
  status: AssetPartitionStatus;
  runId: string;
  /** The event that set the status. */
  eventId: number;
  updatedAt: number;
}

/** How many partitions of an asset are in each status of the index (missing ones are not counted here). */
export interface AssetPartitionCounts {
  materialized: number;
  failed: number;
  inProgress: number;
}
