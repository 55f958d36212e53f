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
import { AssetPartitionStatus, type BackfillPartitionSet, type BackfillTarget, type NewBackfill, type NewBackfillGroup } from "../storage/backfill-records.js";
import type { Storage } from "../storage/storage.js";
import { BackfillDependencies, backfillGroups, backfillRun, groupPartitions, runsToLaunch, type GroupOfAssets } from "./backfill-plan.js";
import { loadDynamicPartitions } from "./dynamic-partitions.js";
import { PARENT_BACKFILL_TAG } from "./new-run.js";
import type { StatusOf } from "../definitions/selection/select-assets.js";
import { selectionStatusOf } from "./asset-statuses.js";
import { resolveSelection } from "./run-target.js";
import { executableAssetKeys } from "../definitions/external-assets.js";

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
  /** Partition keys of all groups. */
  partitionCount: number;
  /** Runs it will launch when each group's keys are all ready at once (see BackfillGroup.runCount). */
  runCount: number;
  /** The partitions of its root groups, in which the partition set was given. */
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
 * Checks a backfill request and plans it: resolves the target to partitioned assets, splits them
 * into groups (see backfillGroups), resolves the partition set to keys of the root groups'
 * partitions (`missing` and `failed` from the per-partition status index of the root assets), maps
 * them to each downstream group's keys, and builds the first run of each group as a check that
 * runs can start (config, env vars). Throws, recording nothing: SelectionError, UsageError
 * (unknown job, malformed set), PartitionError (unpartitioned assets, root groups with different
 * partitions, unknown key, reversed range, nothing missing or failed, a group no key maps to:
 * naming the assets, the key and the valid range), InputLimitError (too many partitions), and what
 * newRun throws.
 */
export async function planBackfill(storage: Storage, request: BackfillRequest): Promise<BackfillPlan> {
  const { defs } = request;
  const now = request.now ?? new Date();
  const tags = { ...(request.tags ?? {}), ...(request.parentBackfillId ? { [PARENT_BACKFILL_TAG]: request.parentBackfillId } : {}) };
  checkTags(tags, "tags");
  await loadDynamicPartitions(defs, storage);
  const selection = "job" in request.target ? undefined : request.target.selection;
  const { target, what } = resolveTarget(defs, request.target, await selectionStatusOf(defs, storage, selection));
  checkPartitioned(defs, target.assetKeys, what);
  const shapes = backfillGroups(defs, target.assetKeys);
  const roots = shapes.filter((g) => g.upstream.length === 0);
  const partitions = rootPartitions(defs, roots, what);
  const rootAssets = roots.flatMap((g) => g.assetKeys);
  const rootKeys = await partitionKeys(storage, partitions, rootAssets, request.partitionSet, what, now);
  const deps = new BackfillDependencies(defs, shapes, now);
  const keysOf = new Map<string, string[]>();
  for (const shape of shapes) {
    if (shape.upstream.length === 0) {
      keysOf.set(shape.name, rootKeys);
      continue;
    }
    const own = groupPartitions(defs, shape)!;
    const keys = deps.downstreamKeys(shape, own, (name) => keysOf.get(name) ?? []);
    if (keys.length === 0) throw noKeyFor(shape, own, rootAssets, partitions, rootKeys, what, now);
    if (keys.length > MAX_BACKFILL_PARTITIONS) tooMany(keys.length, what);
    keysOf.set(shape.name, keys);
  }
  const groups: NewBackfillGroup[] = shapes.map((g) => {
    const keys = keysOf.get(g.name)!;
    return { ...g, partitionKeys: keys, runCount: runsToLaunch(defs, g, keys, now).length };
  });
  const backfill: NewBackfill = {
    backfillId: request.backfillId ?? randomUUID(),
    target,
    groups,
    partitionSet: request.partitionSet,
    tags,
    launchedBy: request.launchedBy,
    parentBackfillId: request.parentBackfillId ?? null,
  };
  // The first run of each group, built as the daemon will build each: a run that could not start is refused now.
  const recorded = { backfillId: backfill.backfillId, target, groups: groups.map((g) => ({ ...g, partitionCount: g.partitionKeys.length, runCount: g.runCount! })), tags };
  for (const g of groups) backfillRun(defs, recorded, runsToLaunch(defs, g, g.partitionKeys, now)[0]!);
  const partitionCount = groups.reduce((sum, g) => sum + g.partitionKeys.length, 0);
  const runCount = groups.reduce((sum, g) => sum + g.runCount!, 0);
  return { backfill, partitionCount, runCount, partitions };
}

function resolveTarget(defs: Definitions, target: BackfillRequestTarget, statusOf: StatusOf | undefined): { target: BackfillTarget; what: string } {
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
  // External assets are never materialized by Sluice: dropped, as from any run (UsageError when only they are selected).
  const keys = executableAssetKeys(defs.assets, resolveSelection(defs, typeof selection === "string" ? selection : [...selection], statusOf));
  const expression = typeof selection === "string" ? selection : null;
  return { target: { kind: "assets", selection: expression, assetKeys: keys }, what: expression !== null ? `selection "${expression}"` : `assets ${quoteKeys(keys)}` };
}

/** PartitionError when none, or only some, of the assets are partitioned. */
function checkPartitioned(defs: Definitions, assetKeys: readonly string[], what: string): void {
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
}

/**
 * The one partitions definition of the root groups (those reading no other group of the
 * backfill), in which the partition set is given; PartitionError naming the assets when they differ.
 */
function rootPartitions(defs: Definitions, roots: readonly GroupOfAssets[], what: string): PartitionsDefinition {
  const first = roots[0]!.assetKeys[0]!;
  const partitions = defs.assets.get(first)!.partitions!;
  for (const root of roots) {
    const key = root.assetKeys[0]!;
    const other = defs.assets.get(key)!.partitions!;
    if (!samePartitions(partitions, other)) {
      throw new PartitionError(
        `Assets "${first}" (${partitions.describe()}) and "${key}" (${other.describe()}) of the ${what} have different partitions, ` +
          `and neither reads the other through a partition mapping inside the backfill: the partitions of a backfill are given in those of ` +
          `the assets it starts from, which must be the same. Backfill them separately.`,
        null,
        [first, key],
      );
    }
  }
  return partitions;
}

/** The PartitionError of a group that no key of the backfill maps to. */
function noKeyFor(
  group: GroupOfAssets,
  own: PartitionsDefinition,
  rootAssets: readonly string[],
  roots: PartitionsDefinition,
  rootKeys: readonly string[],
  what: string,
  now: Date,
): PartitionError {
  const span = rootKeys.length === 1 ? `partition "${rootKeys[0]}"` : `partitions "${rootKeys[0]}" to "${rootKeys[rootKeys.length - 1]}"`;
  return new PartitionError(
    `Backfill of the ${what}: ${span} of ${quoteKeys(rootAssets)} (${roots.describe()}) map to no partition of ${quoteKeys(group.assetKeys)} ` +
      `(${own.describe()}), so they would have nothing to materialize. ${validRange(own, now)} Widen the range, or leave ${quoteKeys(group.assetKeys)} out of the selection.`,
    rootKeys.length === 1 ? rootKeys[0]! : `${rootKeys[0]}${RANGE_SEPARATOR}${rootKeys[rootKeys.length - 1]}`,
    [...group.assetKeys],
  );
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
