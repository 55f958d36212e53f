import { ASSET_JOB_NAME } from "../runs/run-target.js";
import { RunStatus, type AssetIndexRecord, type EventRecord, type RunRecord, type StepStats } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { iso, materializationJson } from "./api-json.js";
import type { AssetStateJson, MetadataPointJson, PartitionCountsJson } from "./api-types.js";
import type { AssetPartitionCounts } from "../storage/backfill-records.js";
import type { Definitions } from "../definitions/definitions.js";
import type { DefinitionsSnapshot } from "../instance/snapshot.js";

/** What the lineage view shows of an asset. */
export const AssetStatus = {
  NeverMaterialized: "NEVER_MATERIALIZED",
  Materialized: "MATERIALIZED",
  Queued: "QUEUED",
  InProgress: "IN_PROGRESS",
  /** Its step failed in the latest run that included it. */
  Failed: "FAILED",
} as const;
/** One of the values of {@link AssetStatus}. */
export type AssetStatus = (typeof AssetStatus)[keyof typeof AssetStatus];

/** How many recent runs are looked at to find each asset's latest run. */
const RECENT_RUNS = 200;

/**
 * The state of every asset of the snapshot (or of `keys`): its latest materialization, the latest
 * run that included it and the status shown, from the asset index and recent runs.
 */
export async function assetStates(storage: Storage, snapshot: DefinitionsSnapshot, keys?: string[], defs?: Definitions): Promise<Map<string, AssetStateJson>> {
  const wanted = keys ?? snapshot.assets.map((a) => a.key);
  const partitionedKeys = snapshot.assets.filter((a) => a.partitions !== null && wanted.includes(a.key)).map((a) => a.key);
  const [index, runs, partitionCounts] = await Promise.all([
    storage.getAssetIndex(keys),
    recentAssetRuns(storage, snapshot),
    // One grouped query over the per-partition status index, whatever the number of partitions.
    storage.countAssetPartitionStatuses(partitionedKeys),
  ]);
  const totalOf = (key: string): number =>
    defs?.assets.get(key)?.partitions?.count() ?? snapshot.assets.find((a) => a.key === key)?.partitions?.count ?? 0;
  const latestByKey = new Map<string, AssetIndexRecord>();
  const partitions = new Map<string, number>();
  for (const row of index) {
    const prev = latestByKey.get(row.assetKey);
    if (!prev || row.timestamp > prev.timestamp || (row.timestamp === prev.timestamp && row.eventId > prev.eventId)) latestByKey.set(row.assetKey, row);
    partitions.set(row.assetKey, (partitions.get(row.assetKey) ?? 0) + 1);
  }
  const multiOf = new Map(snapshot.assets.flatMap((a) => (a.multiAsset ? [[a.key, a.multiAsset] as const] : [])));
  // A run that selects an output of a multi-asset that cannot subset computes all its outputs.
  const computedBy = (key: string): readonly string[] => {
    const multi = multiOf.get(key);
    return multi && !multi.canSubset ? multi.assetKeys : [key];
  };
  const latestRunOf = new Map<string, RunRecord>();
  for (const run of runs) {
    for (const selected of run.selection) for (const key of computedBy(selected)) if (!latestRunOf.has(key)) latestRunOf.set(key, run);
  }
  // The step of a multi-asset's output is keyed by the multi-asset's name.
  const stepKeyOf = (key: string): string => multiOf.get(key)?.name ?? key;
  const stepCache = new Map<string, Promise<StepStats[]>>();
  const stepsOf = (runId: string): Promise<StepStats[]> => {
    let steps = stepCache.get(runId);
    if (!steps) stepCache.set(runId, (steps = storage.getStepStats(runId)));
    return steps;
  };
  const out = new Map<string, AssetStateJson>();
  for (const key of wanted) {
    const latest = latestByKey.get(key);
    const run = latestRunOf.get(key);
    let status: AssetStatus = latest ? AssetStatus.Materialized : AssetStatus.NeverMaterialized;
    if (run) {
      if (run.status === RunStatus.Queued) status = AssetStatus.Queued;
      else if (run.status === RunStatus.Starting || run.status === RunStatus.Started || run.status === RunStatus.Canceling) {
        const step = (await stepsOf(run.runId)).find((s) => s.key === stepKeyOf(key));
        // A step that already succeeded in the running run is materialized; the rest are in progress.
        status = step?.status === "SUCCESS" ? AssetStatus.Materialized : AssetStatus.InProgress;
      } else if (run.status === RunStatus.Failure) {
        const step = (await stepsOf(run.runId)).find((s) => s.key === stepKeyOf(key));
        if (step?.status === "FAILURE") status = AssetStatus.Failed;
      }
    }
    out.set(key, {
      status,
      latestMaterialization: latest ? materializationJson(latest) : null,
      materializedPartitions: partitions.get(key) ?? 0,
      partitionCounts: partitionCounts.has(key) ? countsJson(partitionCounts.get(key)!, totalOf(key)) : null,
      latestRun: run ? { runId: run.runId, status: run.status, jobName: run.jobName, createdAt: iso(run.createdAt) } : null,
    });
  }
  return out;
}

/** Counts of the status index with the missing ones: the total less the others (never below 0). */
export function countsJson(counts: AssetPartitionCounts, total: number): PartitionCountsJson {
  const missing = Math.max(0, total - counts.materialized - counts.failed - counts.inProgress);
  return { ...counts, missing, total };
}

/** Recent runs (newest first) whose steps are assets: ad-hoc materializations and asset jobs, not op jobs. */
export async function recentAssetRuns(storage: Storage, snapshot: DefinitionsSnapshot, limit = RECENT_RUNS): Promise<RunRecord[]> {
  const opJobs = new Set(snapshot.jobs.filter((j) => j.type === "op").map((j) => j.name));
  const runs = await storage.listRuns({ limit });
  return runs.filter((r) => r.jobName === ASSET_JOB_NAME || !opJobs.has(r.jobName));
}

/** Numeric metadata (int and float entries) of materializations, per entry name, oldest first. */
export function numericSeries(materializations: readonly EventRecord[]): Record<string, MetadataPointJson[]> {
  const series: Record<string, MetadataPointJson[]> = {};
  const oldestFirst = [...materializations].sort((a, b) => a.id - b.id);
  for (const m of oldestFirst) {
    for (const [name, entry] of Object.entries(m.data.metadata ?? {})) {
      if ((entry.type !== "int" && entry.type !== "float") || typeof entry.value !== "number" || !Number.isFinite(entry.value)) continue;
      (series[name] ??= []).push({ timestamp: iso(m.timestamp), runId: m.runId, partition: m.partition, value: entry.value });
    }
  }
  return series;
}
