/**
 * What a user does to a recorded backfill: launch it, cancel it, resume it, retry its failed
 * partitions. Shared by the CLI and the HTTP API; the daemon executes what these record.
 */
import type { Definitions } from "../definitions/definitions.js";
import { BackfillNotFoundError, UsageError } from "../definitions/errors.js";
import { BackfillStatus, FINISHED_BACKFILL_STATUSES, type BackfillRecord } from "../storage/backfill-records.js";
import type { Storage } from "../storage/storage.js";
import { BackfillDependencies, type GroupPartition } from "./backfill-plan.js";
import { planBackfill, type BackfillPlan, type BackfillRequest } from "./backfill-request.js";
import { PARENT_BACKFILL_TAG } from "./new-run.js";

/** A backfill recorded, with what it will launch. */
export interface LaunchedBackfill {
  backfill: BackfillRecord;
  plan: BackfillPlan;
}

/** Plans the request (throwing, with nothing recorded, on bad input) and records the backfill. */
export async function launchBackfill(storage: Storage, request: BackfillRequest): Promise<LaunchedBackfill> {
  const plan = await planBackfill(storage, request);
  return { backfill: await storage.createBackfill(plan.backfill), plan };
}

/** The backfill, or BackfillNotFoundError. */
export async function requireBackfill(storage: Storage, backfillId: string): Promise<BackfillRecord> {
  const backfill = await storage.getBackfill(backfillId);
  if (!backfill) throw new BackfillNotFoundError(backfillId);
  return backfill;
}

/**
 * Asks a REQUESTED backfill to stop (as Dagster's default): it launches nothing more, its runs in
 * flight finish, then the daemon marks it CANCELED. A backfill already CANCELING is left as is.
 * Throws BackfillNotFoundError, and UsageError for a finished backfill.
 */
export async function cancelBackfill(storage: Storage, backfillId: string): Promise<BackfillRecord> {
  await storage.setBackfillStatus(backfillId, BackfillStatus.Canceling, { onlyFrom: [BackfillStatus.Requested] });
  const backfill = await requireBackfill(storage, backfillId);
  if (FINISHED_BACKFILL_STATUSES.includes(backfill.status)) {
    throw new UsageError(`Backfill "${backfillId}" has already finished (${backfill.status}); there is nothing to cancel.`);
  }
  return backfill;
}

/**
 * Puts a FAILED or CANCELED backfill back in the daemon's hands for its partitions that did not
 * succeed. Throws BackfillNotFoundError, and UsageError for a backfill in another status.
 */
export async function resumeBackfill(storage: Storage, backfillId: string): Promise<{ backfill: BackfillRecord; resumedPartitions: number }> {
  const resumed = await storage.resumeBackfill(backfillId);
  const backfill = await requireBackfill(storage, backfillId);
  if (resumed === undefined) {
    throw new UsageError(`Backfill "${backfillId}" is ${backfill.status}: only a FAILED or CANCELED backfill can be resumed.`);
  }
  return { backfill, resumedPartitions: resumed };
}

/**
 * A new backfill of the partitions of a finished backfill that failed or were canceled, of the same
 * target and tags, tagged with its parent's id. With several groups, the partition set is given in
 * the root groups' partitions: the keys of the roots that the failed partitions read, through the
 * mappings, within the backfill. Throws BackfillNotFoundError, UsageError when the backfill is
 * still running or nothing failed, and what launchBackfill throws.
 */
export async function retryFailedBackfill(storage: Storage, defs: Definitions, backfillId: string, launchedBy: string): Promise<LaunchedBackfill> {
  const parent = await requireBackfill(storage, backfillId);
  if (!FINISHED_BACKFILL_STATUSES.includes(parent.status)) {
    throw new UsageError(`Backfill "${backfillId}" is ${parent.status}: its failed partitions can be retried once it has finished (or cancel it first).`);
  }
  const failed = await storage.getBackfillPartitions(backfillId, { statuses: ["failed", "canceled"] });
  const keys = parent.groups.length > 1 ? await rootKeysOf(storage, defs, parent, failed) : [...new Set(failed.map((p) => p.partition))];
  if (keys.length === 0) throw new UsageError(`Backfill "${backfillId}" has no failed or canceled partition to retry.`);
  const { [PARENT_BACKFILL_TAG]: _previousParent, ...tags } = parent.tags;
  const target = parent.target.kind === "job" ? { job: parent.target.jobName } : { selection: parent.target.selection ?? parent.target.assetKeys };
  return launchBackfill(storage, { defs, target, partitionSet: { kind: "keys", keys }, tags, launchedBy, parentBackfillId: backfillId });
}

/** The keys of the root groups that `partitions` read, directly or through other groups of the backfill. */
async function rootKeysOf(storage: Storage, defs: Definitions, backfill: BackfillRecord, partitions: readonly GroupPartition[]): Promise<string[]> {
  const slot = (p: GroupPartition): string => `${p.group}\u0000${p.partition}`;
  const rows = new Map((await storage.getBackfillPartitions(backfill.backfillId)).map((p) => [slot(p), p]));
  const roots = new Set(backfill.groups.filter((g) => g.upstream.length === 0).map((g) => g.name));
  const deps = new BackfillDependencies(defs, backfill.groups);
  const seen = new Set<string>();
  const keys: string[] = [];
  const queue = [...partitions];
  while (queue.length > 0) {
    const p = queue.pop()!;
    if (seen.has(slot(p))) continue;
    seen.add(slot(p));
    if (roots.has(p.group)) keys.push(p.partition);
    else for (const up of deps.upstreamOf(p.group, p.partition)) if (rows.has(slot(up))) queue.push(up);
  }
  return [...new Set(keys)];
}
