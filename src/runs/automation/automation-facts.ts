import { AssetKind, assetKindOf, type AssetDefinition } from "../../definitions/asset.js";
import type { Definitions } from "../../definitions/definitions.js";
import type { PartitionsDefinition } from "../../definitions/partitions/partitions-definition.js";
import { partitionRangeOfTags } from "../../execution/run-partition.js";
import { AssetPartitionStatus } from "../../storage/backfill-records.js";
import { RunStatus, type ObservationRecord, type RunRecord } from "../../storage/records.js";
import type { Storage } from "../../storage/storage.js";
import { loadDynamicPartitions } from "../dynamic-partitions.js";

/** The partition key of an unpartitioned asset in automation's key lists. */
export const UNPARTITIONED_KEY = "";

/** When an asset partition was last materialized (or observed). */
export interface UpdateFact {
  eventId: number;
  timestamp: number;
  /** The run that made it. */
  runId: string;
}

/**
 * What one evaluation knows of the instance, read in bulk once (one query per kind of fact, never
 * one per asset): every asset's latest materializations and observations, latest attempts, the
 * runs in flight, the latest check evaluations. Partition keys are `""` for unpartitioned assets.
 */
export interface AutomationFacts {
  /** The greatest event id when the facts were read (read first: every fact is at least this recent). */
  latestEventId: number;
  /** Asset → partition → latest materialization (observation, for an observable source asset). */
  updates: Map<string, Map<string, UpdateFact>>;
  /** Asset → partitions whose latest attempt failed. */
  failed: Map<string, Set<string>>;
  /** Asset → partitions in progress (an unfinished run selects them, or their latest attempt is under way). */
  inProgress: Map<string, Set<string>>;
  /** Asset → partition → check name → whether its latest evaluation passed. */
  checks: Map<string, Map<string, Map<string, boolean>>>;
  /**
   * Run id → the step keys it selected, for the runs that made updates newer than the previous
   * evaluation: an update made by a run that also selected an asset does not trigger that asset
   * (it was handled by that run, whether it succeeded or not).
   */
  updateRunSelections: Map<string, ReadonlySet<string>>;
}

/** Run ids per query for the runs behind new updates (well under any dialect's limit on parameters). */
const RUN_IDS_PER_QUERY = 500;

/** Statuses of runs that have not finished: their assets are in progress. */
const UNFINISHED: RunStatus[] = [RunStatus.Queued, RunStatus.Starting, RunStatus.Started, RunStatus.Canceling];

/**
 * Reads the facts of an evaluation. The latest event id is read first, so that nothing written
 * after it is both missed now and counted as old at the next evaluation. Also loads the keys of
 * dynamic partitions into `defs`. `sinceEventId`: the previous evaluation's last event id (null
 * before the first), to find the runs behind newer updates. Throws StorageError when storage
 * cannot be read.
 */
export async function loadAutomationFacts(defs: Definitions, storage: Storage, now: Date, sinceEventId: number | null = null): Promise<AutomationFacts> {
  const latestEventId = await storage.getLatestEventId();
  const observable = [...defs.assets.values()].filter((d) => assetKindOf(d) === AssetKind.Observable).map((d) => d.key);
  const checked = [...new Set([...defs.checks.values()].map((c) => c.assetKey))];
  const [index, observations, attempts, runs, checkRows] = await Promise.all([
    storage.getAssetIndex(),
    storage.getLatestObservations(observable),
    storage.getLatestAttempts(),
    storage.listRuns({ statuses: UNFINISHED }),
    storage.getLatestCheckEvaluations(checked),
    loadDynamicPartitions(defs, storage),
  ]);

  const updates = new Map<string, Map<string, UpdateFact>>();
  const observableSet = new Set(observable);
  for (const row of index) {
    if (observableSet.has(row.assetKey)) continue;
    entry(updates, row.assetKey, () => new Map()).set(row.partition ?? UNPARTITIONED_KEY, { eventId: row.eventId, timestamp: row.timestamp, runId: row.runId });
  }
  for (const row of observations) {
    const fact = { eventId: row.eventId, timestamp: row.timestamp, runId: row.runId };
    entry(updates, row.assetKey, () => new Map()).set(row.partition ?? UNPARTITIONED_KEY, sinceEventId !== null && row.eventId > sinceEventId ? await firstObservationOfVersion(storage, row, fact) : fact);
  }
  // Only updates newer than the previous evaluation can be "newly updated" (none at the first):
  // their runs, a few queries of many ids each.
  const newRunIds = new Set<string>();
  if (sinceEventId !== null) {
    for (const byKey of updates.values()) for (const fact of byKey.values()) if (fact.eventId > sinceEventId) newRunIds.add(fact.runId);
  }
  const updateRunSelections = new Map<string, ReadonlySet<string>>();
  const ids = [...newRunIds];
  for (let i = 0; i < ids.length; i += RUN_IDS_PER_QUERY) {
    for (const run of await storage.listRuns({ runIds: ids.slice(i, i + RUN_IDS_PER_QUERY) })) updateRunSelections.set(run.runId, new Set(run.selection));
  }

  const failed = new Map<string, Set<string>>();
  const inProgress = new Map<string, Set<string>>();
  for (const row of attempts) {
    const def = defs.assets.get(row.assetKey);
    // A partitioned asset's row without a key is a step over a range: its keys are read from its run.
    if (def === undefined || (row.partition === null) !== (def.partitions === undefined)) continue;
    const key = row.partition ?? UNPARTITIONED_KEY;
    if (row.status === AssetPartitionStatus.Failed) entry(failed, row.assetKey, () => new Set()).add(key);
    else if (row.status === AssetPartitionStatus.InProgress) entry(inProgress, row.assetKey, () => new Set()).add(key);
  }
  addRunsInProgress(defs, runs, inProgress, now);

  const checks = new Map<string, Map<string, Map<string, boolean>>>();
  for (const row of checkRows) {
    entry(entry(checks, row.assetKey, () => new Map()), row.partition ?? UNPARTITIONED_KEY, () => new Map()).set(row.checkName, row.passed);
  }
  return { latestEventId, updates, failed, inProgress, checks, updateRunSelections };
}

/** How many earlier observations of one partition are read to find when its data version first appeared. */
const OBSERVATION_HISTORY = 50;

/**
 * An observation updates its asset only when its data version is new: for an observation newer than
 * the previous evaluation, the earliest of the latest observations that carry the same data version
 * (an observable source observed every minute without changing is not "newly updated", and is
 * "updated since" a cron tick only if its version changed after it). Read only for observations made
 * since the previous evaluation: a query per such partition.
 */
async function firstObservationOfVersion(storage: Storage, latest: ObservationRecord, fact: UpdateFact): Promise<UpdateFact> {
  const history = await storage.getObservations(latest.assetKey, { partition: latest.partition, limit: OBSERVATION_HISTORY });
  let first = fact;
  for (const event of history) {
    if (event.id > latest.eventId) continue; // Observed after the facts were read: the next evaluation sees it.
    if (event.data.dataVersion !== latest.dataVersion) break;
    first = { eventId: event.id, timestamp: event.timestamp, runId: event.runId };
  }
  return first;
}

/** Marks the partitions of the assets each unfinished run selects (its key, its range, or the unpartitioned asset). */
function addRunsInProgress(defs: Definitions, runs: readonly RunRecord[], inProgress: Map<string, Set<string>>, now: Date): void {
  if (runs.length === 0) return;
  // A run's selection names assets, or a multi-asset's step.
  const bySelection = new Map<string, AssetDefinition[]>();
  for (const def of defs.assets.values()) {
    entry(bySelection, def.key, () => []).push(def);
    if (def.multiAsset) entry(bySelection, def.multiAsset.name, () => []).push(def);
  }
  for (const run of runs) {
    let range: { start: string; end: string } | null = null;
    try {
      range = partitionRangeOfTags(run.tags);
    } catch {
      range = null; // Malformed tags: the run is counted by its key, if any.
    }
    for (const selected of run.selection) {
      for (const def of bySelection.get(selected) ?? []) {
        const keys = runKeys(def.partitions, run.partition, range, now);
        if (keys.length > 0) {
          const set = entry(inProgress, def.key, () => new Set());
          for (const k of keys) set.add(k);
        }
      }
    }
  }
}

function runKeys(partitions: PartitionsDefinition | undefined, key: string | null, range: { start: string; end: string } | null, now: Date): string[] {
  if (!partitions) return [UNPARTITIONED_KEY];
  if (key !== null) return [key];
  if (range === null) return [];
  try {
    return partitions.keysBetween(range.start, range.end, now);
  } catch {
    return []; // A range of keys that no longer exist.
  }
}

function entry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
