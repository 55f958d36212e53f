/**
 * How a backfill's assets split into groups that are launched together, which partitions of the
 * backfill must succeed before one is launched, and the run of one partition. Partition mappings
 * and runs over a partition range plug in here, and only here:
 *
 * - {@link backfillGroups}: assets with different but mapped partitions become several groups
 *   (today every asset of a backfill shares one partitions definition: one group);
 * - {@link upstreamInBackfill}: the (group, key) pairs a partition waits for (today: the same key
 *   of each upstream group; with mappings, `mapping.upstreamKeys(key)`);
 * - {@link runsToLaunch}: the runs that launch ready partitions (today one run per key; with a
 *   `backfillPolicy` of singleRun/multiRun, one run over a range of keys, `partitionRange`).
 */
import type { Definitions } from "../definitions/definitions.js";
import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import type { BackfillGroup, BackfillRecord } from "../storage/backfill-records.js";
import type { NewRun } from "../storage/records.js";
import { newRun } from "./new-run.js";

/** The name of a backfill's group when it has only one. */
export const SINGLE_GROUP = "";

/**
 * The groups of a backfill of `assetKeys` (topologically ordered, every one partitioned by
 * `partitions`): one run per (group, key). Groups come in dependency order, each naming the groups
 * it reads from. Today one group holds every asset, so one run per key materializes the whole
 * selection in dependency order inside the run.
 */
export function backfillGroups(_defs: Definitions, assetKeys: readonly string[], _partitions: PartitionsDefinition): BackfillGroup[] {
  return [{ name: SINGLE_GROUP, assetKeys: [...assetKeys], upstream: [] }];
}

/** A partition of one group of a backfill. */
export interface GroupPartition {
  group: string;
  partition: string;
}

/**
 * The partitions of the backfill that must have succeeded before `partition` of `group` is
 * launched: the same key of each upstream group (identity mapping). With partition mappings, each
 * upstream group's keys become `mapping.upstreamKeys(partition)`, kept to those in the backfill.
 */
export function upstreamInBackfill(_defs: Definitions, backfill: BackfillRecord, group: BackfillGroup, partition: string): GroupPartition[] {
  return group.upstream.filter((name) => backfill.groups.some((g) => g.name === name)).map((name) => ({ group: name, partition }));
}

/** One run to launch for a backfill, and the partitions of its group it covers. */
export interface BackfillRunRequest {
  group: BackfillGroup;
  /** Today always one key. A run over a range (backfillPolicy singleRun/multiRun) will list several. */
  partitions: string[];
}

/**
 * The runs that launch `ready` partitions of `group` (all of whose upstream partitions succeeded):
 * one per key. This is where a backfill policy of the group's assets would request one run over a
 * range of consecutive keys (`newRun({ partitionRange })`) instead.
 */
export function runsToLaunch(group: BackfillGroup, ready: readonly string[]): BackfillRunRequest[] {
  return ready.map((partition) => ({ group, partitions: [partition] }));
}

/**
 * The run record of a request of a backfill: its group's assets (or the backfill's job) for its
 * partition, with the backfill's tags and its id as `sluice/backfill`. Throws as newRun does
 * (config, env vars, partition) when the run could not start.
 */
export function backfillRun(defs: Definitions, backfill: BackfillRecord, request: BackfillRunRequest): NewRun {
  const [partition] = request.partitions;
  return newRun({
    defs,
    target: backfill.target.kind === "job" ? { job: backfill.target.jobName } : { assets: request.group.assetKeys },
    partition: partition ?? null,
    tags: backfill.tags,
    origin: { kind: "backfill", backfillId: backfill.backfillId },
  });
}
