/**
 * How a backfill's assets split into groups that are launched together, which partitions of the
 * backfill must succeed before one is launched, and the runs that launch ready partitions.
 * Partition mappings and runs over a partition range plug in here, and only here:
 *
 * - {@link backfillGroups}: assets with equal partitions related by identity share a group; a
 *   mapping of any other kind leads into another group (named after its first asset);
 * - {@link BackfillDependencies}: the edges between groups and their mappings: the keys a group
 *   gets from its upstream groups (`downstreamKeys`), and the (group, key) pairs a partition waits
 *   for ({@link upstreamInBackfill}, `upstreamKeys`);
 * - {@link runsToLaunch}: one run per ready key, or under a `backfillPolicy` (singleRun/multiRun)
 *   one run per range of consecutive ready keys (`partitionRange`).
 */
import { upstreamKeys } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import { PartitionError } from "../definitions/errors.js";
import type { BackfillPolicy } from "../definitions/partitions/backfill-policy.js";
import type { PartitionMapping, PartitionPair } from "../definitions/partitions/partition-mapping.js";
import { checkPartitionKey, mappingOf } from "../definitions/partitions/partition-checks.js";
import { samePartitions, type PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import type { BackfillGroup, BackfillRecord } from "../storage/backfill-records.js";
import type { NewRun } from "../storage/records.js";
import { newRun } from "./new-run.js";

/** The name of a backfill's group when it has only one. */
export const SINGLE_GROUP = "";

/** What a group is, before its keys are known. */
export type GroupOfAssets = Pick<BackfillGroup, "name" | "assetKeys" | "upstream">;

/**
 * The groups of a backfill of `assetKeys` (every one partitioned): one run per (group, key), or per
 * range under a backfill policy. Visiting assets in topological order, an asset's level is the
 * highest of its upstream assets' in the backfill, plus one when the two are not related by an
 * identity mapping between equal partitions; a group holds the assets of one partitions definition
 * at one level. So a run materializes assets that read the same key of each other, and every
 * mapping of another kind (another cadence, an offset, a table, a dimension, all or last
 * partitions) leads into a later group: groups cannot depend on each other in a cycle. Groups come
 * in dependency order, each naming the groups it reads from; a single group is named `''`, several
 * after their first asset.
 */
export function backfillGroups(defs: Definitions, assetKeys: readonly string[]): GroupOfAssets[] {
  const inBackfill = new Set(assetKeys);
  const ordered = defs.assetGraph.keys().filter((k) => inBackfill.has(k));
  const level = new Map<string, number>();
  const groups = new Map<string, { level: number; first: number; assetKeys: string[]; upstream: Set<string> }>();
  const groupOf = new Map<string, string>();
  for (const [at, key] of ordered.entries()) {
    const def = defs.assets.get(key)!;
    let mine = 0;
    for (const upKey of upstreamKeys(def)) {
      if (!inBackfill.has(upKey)) continue;
      mine = Math.max(mine, level.get(upKey)! + (sharesRun(defs, key, upKey) ? 0 : 1));
    }
    level.set(key, mine);
    const id = `${def.partitions!.id}\u0000${mine}`;
    const group = groups.get(id) ?? groups.set(id, { level: mine, first: at, assetKeys: [], upstream: new Set() }).get(id)!;
    group.assetKeys.push(key);
    groupOf.set(key, id);
  }
  for (const key of ordered) {
    const group = groups.get(groupOf.get(key)!)!;
    for (const upKey of upstreamKeys(defs.assets.get(key)!)) {
      const upGroup = groupOf.get(upKey);
      if (upGroup !== undefined && upGroup !== groupOf.get(key)) group.upstream.add(upGroup);
    }
  }
  // A crossing edge always raises the level, so sorting by level puts upstream groups first.
  const sorted = [...groups.entries()].sort(([, a], [, b]) => a.level - b.level || a.first - b.first);
  const nameOf = new Map(sorted.map(([id, g]) => [id, sorted.length === 1 ? SINGLE_GROUP : g.assetKeys[0]!]));
  const order = new Map(sorted.map(([id], i) => [id, i]));
  return sorted.map(([id, g]) => ({
    name: nameOf.get(id)!,
    assetKeys: g.assetKeys,
    upstream: [...g.upstream].sort((a, b) => order.get(a)! - order.get(b)!).map((u) => nameOf.get(u)!),
  }));
}

/** True when `key` reads `upKey` through identity between equal partitions: one run may hold both. */
function sharesRun(defs: Definitions, key: string, upKey: string): boolean {
  const def = defs.assets.get(key)!;
  const up = defs.assets.get(upKey)!;
  const mapped = mappingOf(def, up);
  return mapped !== undefined && mapped.mapping.type === "identity" && def.partitions !== undefined && samePartitions(def.partitions, up.partitions!);
}

/** The partitions definition of a group's assets (undefined when its first asset is no longer defined). */
export function groupPartitions(defs: Definitions, group: GroupOfAssets): PartitionsDefinition | undefined {
  return defs.assets.get(group.assetKeys[0]!)?.partitions;
}

/** An asset of an upstream group read by an asset of a group, through a mapping. */
export interface CrossingEdge {
  upstreamGroup: string;
  mapping: PartitionMapping;
  pair: PartitionPair;
}

/** A partition of one group of a backfill. */
export interface GroupPartition {
  group: string;
  partition: string;
}

/**
 * The edges between a backfill's groups with their mappings (effective ones: declared or
 * default), read from the definitions once and answered at one `now`. Each partition's upstream
 * partitions are computed once and remembered (a daemon keeps one of these per backfill, so a
 * tick over 10,000s of partitions costs map lookups); mappings whose answer does not depend on
 * the key (all partitions, last partition) are asked once.
 */
export class BackfillDependencies {
  readonly #edges = new Map<string, CrossingEdge[]>();
  readonly #now: Date;
  readonly #constant = new Map<CrossingEdge, string[]>();
  readonly #upstream = new Map<string, GroupPartition[]>();

  constructor(defs: Definitions, groups: readonly GroupOfAssets[], now: Date = new Date()) {
    this.#now = now;
    const groupOf = new Map<string, string>();
    for (const g of groups) for (const key of g.assetKeys) groupOf.set(key, g.name);
    for (const g of groups) {
      const upstream = new Set(g.upstream);
      const edges: CrossingEdge[] = [];
      for (const key of g.assetKeys) {
        const def = defs.assets.get(key);
        if (!def) continue;
        for (const upKey of upstreamKeys(def)) {
          const upGroup = groupOf.get(upKey);
          const up = defs.assets.get(upKey);
          if (upGroup === undefined || !upstream.has(upGroup) || !up) continue;
          const mapped = mappingOf(def, up);
          if (mapped) edges.push({ upstreamGroup: upGroup, ...mapped });
        }
      }
      this.#edges.set(g.name, edges);
    }
  }

  /** The edges from upstream groups into `group`. */
  edgesInto(group: string): readonly CrossingEdge[] {
    return this.#edges.get(group) ?? [];
  }

  /** Every (upstream group, key) that `partition` of `group` reads, through each crossing edge. */
  upstreamOf(group: string, partition: string): readonly GroupPartition[] {
    const slot = `${group}\u0000${partition}`;
    const known = this.#upstream.get(slot);
    if (known) return known;
    const out: GroupPartition[] = [];
    for (const edge of this.edgesInto(group)) {
      const keyFree = edge.mapping.type === "all" || edge.mapping.type === "last";
      let keys = keyFree ? this.#constant.get(edge) : undefined;
      if (keys === undefined) {
        keys = edge.mapping.upstreamKeys(edge.pair, partition, this.#now);
        if (keyFree) this.#constant.set(edge, keys);
      }
      for (const k of keys) out.push({ group: edge.upstreamGroup, partition: k });
    }
    this.#upstream.set(slot, out);
    return out;
  }

  /**
   * The keys of `group` that read any of the keys of its upstream groups (`keysOf`), through each
   * crossing edge, in the group's definition's order.
   */
  downstreamKeys(group: GroupOfAssets, partitions: PartitionsDefinition, keysOf: (group: string) => readonly string[]): string[] {
    const found = new Set<string>();
    for (const edge of this.edgesInto(group.name)) {
      const upKeys = keysOf(edge.upstreamGroup);
      if (edge.mapping.type === "all") {
        // Every upstream key reads into every downstream key: ask once, not once per key.
        if (upKeys.length > 0) for (const k of edge.mapping.downstreamKeys(edge.pair, upKeys[0]!, this.#now)) found.add(k);
        continue;
      }
      for (const upKey of upKeys) for (const k of edge.mapping.downstreamKeys(edge.pair, upKey, this.#now)) found.add(k);
    }
    return partitions.sortKeys([...found]);
  }
}

/**
 * The partitions of the backfill that must have succeeded before `partition` of `group` is
 * launched: for each upstream asset in another group, the keys its mapping reads
 * (`upstreamKeys`), kept to those that are partitions of the backfill (`isRow`). Keys outside the
 * backfill are not waited for: the run reads them if they are materialized, and fails naming them
 * otherwise (as Dagster does).
 */
export function upstreamInBackfill(deps: BackfillDependencies, group: BackfillGroup, partition: string, isRow: (p: GroupPartition) => boolean): GroupPartition[] {
  return deps.upstreamOf(group.name, partition).filter(isRow);
}

/** One run to launch for a backfill, and the partitions of its group it covers. */
export interface BackfillRunRequest {
  group: GroupOfAssets;
  /** One key, or the consecutive keys of a range (a group under a backfill policy). */
  partitions: string[];
}

/**
 * The backfill policy of a group: defined when every asset of it has one; `multiRun` of the
 * smallest size when any has multiRun(n), else singleRun. Undefined: one run per key.
 */
export function groupPolicy(defs: Definitions, group: GroupOfAssets): BackfillPolicy | undefined {
  let policy: BackfillPolicy | undefined;
  for (const key of group.assetKeys) {
    const mine = defs.assets.get(key)?.backfillPolicy;
    if (!mine) return undefined;
    if (!policy || (mine.type === "multi_run" && (policy.type === "single_run" || mine.maxPartitionsPerRun < policy.maxPartitionsPerRun))) policy = mine;
  }
  return policy;
}

/**
 * The runs that launch `ready` partitions of `group` (all of whose upstream partitions succeeded):
 * one per key; when every asset of the group has a backfill policy, one run per range of keys
 * consecutive in the definition's order (ready keys with a gap between them take several runs),
 * of at most n keys under multiRun(n).
 */
export function runsToLaunch(defs: Definitions, group: GroupOfAssets, ready: readonly string[], now: Date = new Date()): BackfillRunRequest[] {
  const policy = groupPolicy(defs, group);
  const partitions = groupPartitions(defs, group);
  if (!policy || !partitions || ready.length === 0) return ready.map((partition) => ({ group, partitions: [partition] }));
  const at = new Map(partitions.keys(now).map((k, i) => [k, i]));
  const known = ready.filter((k) => at.has(k)).sort((a, b) => at.get(a)! - at.get(b)!);
  const max = policy.type === "multi_run" ? policy.maxPartitionsPerRun : Infinity;
  const runs: BackfillRunRequest[] = [];
  let current: string[] = [];
  for (const key of known) {
    const previous = current[current.length - 1];
    if (current.length > 0 && (at.get(key)! !== at.get(previous!)! + 1 || current.length >= max)) {
      runs.push({ group, partitions: current });
      current = [];
    }
    current.push(key);
  }
  if (current.length > 0) runs.push({ group, partitions: current });
  // A key the definition no longer has runs alone, and is refused by newRun with the reason.
  for (const key of ready) if (!at.has(key)) runs.push({ group, partitions: [key] });
  return runs;
}

/**
 * Why `partition` can no longer be launched in `group` (a dynamic key removed since the backfill
 * was recorded): the PartitionError's message; undefined when it still exists.
 */
export function missingPartition(defs: Definitions, group: GroupOfAssets, partition: string, now: Date = new Date()): string | undefined {
  const partitions = groupPartitions(defs, group);
  // Only stored keys disappear; any other key that no longer exists is refused by newRun.
  const dynamic = partitions?.type === "dynamic" || (partitions?.type === "multi" && partitions.dimensions.some((d) => d.partitions.type === "dynamic"));
  if (!partitions || !dynamic || partitions.has(partition, now)) return undefined;
  try {
    checkPartitionKey(defs.assets, group.assetKeys, partitions, partition, now);
    return undefined;
  } catch (err) {
    if (err instanceof PartitionError) return err.message;
    throw err;
  }
}

/**
 * The run record of a request of a backfill: its group's assets (or, for a job, its steps of the
 * group) for its partition, or for its range under a backfill policy (`partitionRange`), with the
 * backfill's tags and its id as `sluice/backfill`. Throws as newRun does (config, env vars,
 * partition) when the run could not start.
 */
export function backfillRun(defs: Definitions, backfill: Pick<BackfillRecord, "backfillId" | "target" | "groups" | "tags">, request: BackfillRunRequest): NewRun {
  const keys = request.partitions;
  const ranged = groupPolicy(defs, request.group) !== undefined;
  const target =
    backfill.target.kind === "job"
      ? { job: backfill.target.jobName, ...(backfill.groups.length > 1 ? { steps: request.group.assetKeys } : {}) }
      : { assets: request.group.assetKeys };
  return newRun({
    defs,
    target,
    partition: ranged ? null : (keys[0] ?? null),
    partitionRange: ranged ? { start: keys[0]!, end: keys[keys.length - 1]! } : null,
    tags: backfill.tags,
    origin: { kind: "backfill", backfillId: backfill.backfillId },
  });
}
