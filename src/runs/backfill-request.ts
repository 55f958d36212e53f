/**
 * A backfill asked for by a user (CLI, API), checked and turned into the record storage keeps:
 * its target resolved to partitioned assets, its partition set to keys in the definition's order.
 * Every bad input is refused here, before anything is recorded.
 */
import { randomUUID } from "node:crypto";
import type { Definitions } from "../definitions/definitions.js";
import { InputLimitError, PartitionError, UsageError } from "../definitions/errors.js";
import { checkName, checkTags } from "../definitions/input-limits.js";
import { quoteKeys, samePartitions, type PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import { unknownJobError } from "../execution/plan.js";
import { AssetPartitionStatus, type BackfillPartitionSet, type BackfillRecord, type BackfillTarget, type NewBackfill } from "../storage/backfill-records.js";
import type { Storage } from "../storage/storage.js";
import { backfillGroups, backfillRun, runsToLaunch } from "./backfill-plan.js";
import { PARENT_BACKFILL_TAG } from "./new-run.js";
import { resolveSelection } from "./run-target.js";

/** Partitions one backfill may cover, at most (per group): a request beyond is refused. */
export const MAX_BACKFILL_PARTITIONS = 100_000;

/** What a backfill runs: assets of a selection (an expression or keys), or a job. */
export type BackfillRequestTarget = { selection: string | readonly string[] } | { job: string };

/** A backfill to plan. */
export interface BackfillRequest {
  defs: Definitions;
  target: BackfillRequestTarget;
  partitionSet: BackfillPartitionSet;
  tags?: Readonly<Record<string, string>>;
  /** `cli`, `api`... */
  launchedBy: string;
  parentBackfillId?: string | null;
  backfillId?: string;
  /** The time that decides which time partitions exist (default: now). */
  now?: Date;
}

/** A backfill checked and ready to record, with what it will launch. */
export interface BackfillPlan {
  backfill: NewBackfill;
  /** Partition keys per group. */
  partitionCount: number;
  /** Runs it will launch (one per group and key today). */
  runCount: number;
  partitions: PartitionsDefinition;
}

/** Separates the ends of a range in `--partitions A...B` (as Dagster's CLI). */
export const RANGE_SEPARATOR = "...";

/**
 * The partition set of `--partitions TEXT`: `A...B` (a range, both ends included) or `a,b,c`.
 * Throws UsageError for an empty text, a range with an empty end, or an empty key in a list.
 */
export function parsePartitionsArg(text: string): BackfillPartitionSet {
  const trimmed = text.trim();
  if (trimmed === "") throw new UsageError("--partitions is empty: give a range START...END (both included) or keys a,b,c.");
  const at = trimmed.indexOf(RANGE_SEPARATOR);
  if (at !== -1) {
    const first = trimmed.slice(0, at).trim();
    const last = trimmed.slice(at + RANGE_SEPARATOR.length).trim();
    if (first === "" || last === "" || last.includes(RANGE_SEPARATOR)) {
      throw new UsageError(`--partitions "${text}" is not a range START...END with both ends given, e.g. 2025-01-01...2025-01-31.`);
    }
    return { kind: "range", first, last };
  }
  const keys = trimmed.split(",").map((k) => k.trim());
  if (keys.some((k) => k === "")) throw new UsageError(`--partitions "${text}" has an empty key: give keys separated by commas, e.g. a,b,c.`);
  return { kind: "keys", keys };
}

/**
 * Checks a backfill request and plans it: resolves the target to partitioned assets sharing one
 * partitions definition, the partition set to keys (`missing` and `failed` from the per-partition
 * status index), and builds the run of its first partition as a check that runs can start (config,
 * env vars). Throws, recording nothing: SelectionError, UsageError (unknown job, malformed set),
 * PartitionError (unpartitioned or mixed assets, unknown key, reversed range, nothing missing or
 * failed: naming the assets, the key and the valid range), InputLimitError (too many partitions),
 * and what newRun throws.
 */
export async function planBackfill(storage: Storage, request: BackfillRequest): Promise<BackfillPlan> {
  const { defs } = request;
  const now = request.now ?? new Date();
  const tags = { ...(request.tags ?? {}), ...(request.parentBackfillId ? { [PARENT_BACKFILL_TAG]: request.parentBackfillId } : {}) };
  checkTags(tags, "tags");
  const { target, what } = resolveTarget(defs, request.target);
  const partitions = sharedPartitions(defs, target.assetKeys, what);
  const keys = await partitionKeys(storage, partitions, target.assetKeys, request.partitionSet, what, now);
  const groups = backfillGroups(defs, target.assetKeys, partitions);
  const backfill: NewBackfill = {
    backfillId: request.backfillId ?? randomUUID(),
    target,
    groups,
    partitionSet: request.partitionSet,
    partitionKeys: keys,
    tags,
    launchedBy: request.launchedBy,
    parentBackfillId: request.parentBackfillId ?? null,
  };
  // The first run, built as the daemon will build each: a run that could not start is refused now.
  const asRecord: BackfillRecord = { ...backfill, status: "REQUESTED", partitionCount: keys.length, tags, parentBackfillId: backfill.parentBackfillId ?? null, error: null, createdAt: 0, updatedAt: 0, endedAt: null };
  backfillRun(defs, asRecord, runsToLaunch(groups[0]!, [keys[0]!])[0]!);
  const runCount = groups.reduce((sum, g) => sum + runsToLaunch(g, keys).length, 0);
  return { backfill, partitionCount: keys.length, runCount, partitions };
}

function resolveTarget(defs: Definitions, target: BackfillRequestTarget): { target: BackfillTarget; what: string } {
  if ("job" in target) {
    checkName(target.job, "job");
    const job = defs.jobs.get(target.job);
    if (!job) throw unknownJobError(defs, target.job);
    if (job.definition.jobType !== "asset") {
      throw new PartitionError(`Job "${target.job}" is an op job: a backfill materializes partitions of assets. Give an asset job, or --select the assets.`, null);
    }
    return { target: { kind: "job", jobName: target.job, assetKeys: [...job.stepKeys] }, what: `job "${target.job}"` };
  }
  const selection = target.selection;
  const keys = resolveSelection(defs, typeof selection === "string" ? selection : [...selection]);
  const expression = typeof selection === "string" ? selection : null;
  return { target: { kind: "assets", selection: expression, assetKeys: keys }, what: expression !== null ? `selection "${expression}"` : `assets ${quoteKeys(keys)}` };
}

/** The one partitions definition of the assets; PartitionError when none, some, or different ones are partitioned. */
function sharedPartitions(defs: Definitions, assetKeys: readonly string[], what: string): PartitionsDefinition {
  const unpartitioned = assetKeys.filter((k) => !defs.assets.get(k)?.partitions);
  if (unpartitioned.length === assetKeys.length) {
    throw new PartitionError(`The ${what} (${quoteKeys(assetKeys)}) has no partitioned asset: a backfill launches one run per partition. Materialize it with: sluice materialize`, null, assetKeys);
  }
  if (unpartitioned.length > 0) {
    throw new PartitionError(
      `The ${what} mixes partitioned assets with unpartitioned ones (${quoteKeys(unpartitioned)}): a backfill materializes partitions. ` +
        `Leave the unpartitioned assets out of the selection and materialize them separately.`,
      null,
      unpartitioned,
    );
  }
  const first = assetKeys[0]!;
  const partitions = defs.assets.get(first)!.partitions!;
  for (const key of assetKeys) {
    const other = defs.assets.get(key)!.partitions!;
    if (!samePartitions(partitions, other)) {
      // Assets related by a partition mapping will be backfilled together once mappings exist.
      throw new PartitionError(
        `Assets "${first}" (${partitions.describe()}) and "${key}" (${other.describe()}) of the ${what} have different partitions, ` +
          `and no partition mapping relates them: backfill them separately.`,
        null,
        [first, key],
      );
    }
  }
  return partitions;
}

async function partitionKeys(
  storage: Storage,
  partitions: PartitionsDefinition,
  assetKeys: readonly string[],
  set: BackfillPartitionSet,
  what: string,
  now: Date,
): Promise<string[]> {
  const valid = validRange(partitions, now);
  const fail = (message: string, key: string | null): never => {
    throw new PartitionError(`Backfill of the ${what}: ${message} ${valid}`, key, assetKeys);
  };
  let keys: string[];
  switch (set.kind) {
    case "range": {
      for (const key of [set.first, set.last]) {
        checkName(key, "partitions");
        const problem = partitions.explainInvalid(key, now);
        if (problem) fail(problem, key);
      }
      const firstAt = partitions.sortKeys([set.first, set.last]);
      if (set.first !== set.last && firstAt[0] !== set.first) fail(`the range "${set.first}...${set.last}" is reversed: "${set.first}" comes after "${set.last}".`, `${set.first}...${set.last}`);
      keys = partitions.keysBetween(set.first, set.last, now);
      break;
    }
    case "keys": {
      if (set.keys.length === 0) fail("no partition key was given.", null);
      if (set.keys.length > MAX_BACKFILL_PARTITIONS) tooMany(set.keys.length, what);
      for (const key of set.keys) {
        checkName(key, "partitions");
        const problem = partitions.explainInvalid(key, now);
        if (problem) fail(problem, key);
      }
      keys = partitions.sortKeys([...new Set(set.keys)]);
      break;
    }
    case "all":
      keys = boundedKeys(partitions, now, what);
      break;
    case "missing":
    case "failed": {
      const all = boundedKeys(partitions, now, what);
      const matching = new Set<string>();
      for (const asset of assetKeys) {
        const status = set.kind === "missing" ? AssetPartitionStatus.Materialized : AssetPartitionStatus.Failed;
        const rows = new Set((await storage.getAssetPartitionStatuses(asset, { statuses: [status] })).map((r) => r.partition));
        // Missing: not materialized for some asset of the selection; failed: failed for some asset.
        for (const key of all) if (set.kind === "missing" ? !rows.has(key) : rows.has(key)) matching.add(key);
      }
      keys = all.filter((k) => matching.has(k));
      if (keys.length === 0) fail(`no partition is ${set.kind === "missing" ? "missing (every one is materialized)" : "failed"}, so there is nothing to backfill.`, null);
      break;
    }
  }
  if (keys.length > MAX_BACKFILL_PARTITIONS) tooMany(keys.length, what);
  return keys;
}

/** Every key of the definition at `now`, refused beyond the limit before it is listed. */
function boundedKeys(partitions: PartitionsDefinition, now: Date, what: string): string[] {
  const count = partitions.count(now);
  if (count > MAX_BACKFILL_PARTITIONS) tooMany(count, what);
  if (count === 0) throw new PartitionError(`Backfill of the ${what}: ${partitions.describe()} has no partition yet.`, null);
  return partitions.keys(now);
}

function tooMany(count: number, what: string): never {
  throw new InputLimitError(
    `A backfill of the ${what} would cover ${count.toLocaleString("en-US")} partitions, more than the ${MAX_BACKFILL_PARTITIONS.toLocaleString("en-US")} one backfill may have: split it into ranges.`,
    "partitions",
    MAX_BACKFILL_PARTITIONS,
  );
}

/** `Valid partitions: "2025-01-01" to "2026-12-06" (706 partitions of daily partitions ...).` */
function validRange(partitions: PartitionsDefinition, now: Date): string {
  const first = partitions.firstKey(now);
  const last = partitions.lastKey(now);
  if (first === undefined || last === undefined) return `${partitions.describe()} has no partition yet.`;
  return `Valid partitions: "${first}" to "${last}" (${partitions.count(now).toLocaleString("en-US")} of ${partitions.describe()}).`;
}
