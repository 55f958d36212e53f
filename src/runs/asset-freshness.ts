import type { AssetDefinition } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import { evaluateFreshness, FreshnessStatus, type FreshnessPolicy, type FreshnessState } from "../definitions/freshness-policy.js";
import type { AssetIndexRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";

/** An asset's freshness now: its policy, its state, and the partition judged (if partitioned). */
export interface AssetFreshness extends FreshnessState {
  readonly assetKey: string;
  readonly policy: FreshnessPolicy;
  /**
   * The partition whose materialization was judged: for time-window partitions, the last complete
   * window (null when there is none yet); else the partition materialized last. Null when unpartitioned.
   */
  readonly partition: string | null;
}

/** Options of {@link assetFreshness}. */
export interface AssetFreshnessOptions {
  /** The moment judged (epoch ms; default now). */
  now?: number;
  /** Only these assets (those without a policy are left out). Default: every asset with one. */
  assetKeys?: readonly string[];
  /**
   * Since when a policy is watched when storage has no state of it yet (the daemon: when it
   * started). Default: `now`, so that data that never came is UNKNOWN, not OVERDUE.
   */
  since?: number;
}

/**
 * The freshness of every asset with a policy (or of `assetKeys`), computed from the asset index:
 * the pure {@link evaluateFreshness} on each asset's judged materialization. Which one: the
 * asset's latest materialization when unpartitioned; for time-window partitions the partition of
 * the last complete window (missing: no data, watched from the window's end at the earliest); for
 * other partitions the one materialized last. A policy's watch start is the stored state's
 * `trackedSince` (the daemon's first evaluation), else `options.since`.
 */
export async function assetFreshness(defs: Definitions, storage: Storage, options: AssetFreshnessOptions = {}): Promise<Map<string, AssetFreshness>> {
  const now = options.now ?? Date.now();
  const wanted = options.assetKeys ? new Set(options.assetKeys) : undefined;
  const assets = [...defs.assets.values()].filter((a) => a.freshness !== undefined && (wanted === undefined || wanted.has(a.key)));
  const out = new Map<string, AssetFreshness>();
  if (assets.length === 0) return out;
  const keys = assets.map((a) => a.key);
  const [index, stored] = await Promise.all([storage.getAssetIndex(keys), storage.getFreshness(keys)]);
  const rowsOf = new Map<string, AssetIndexRecord[]>();
  for (const row of index) {
    const rows = rowsOf.get(row.assetKey) ?? [];
    rows.push(row);
    rowsOf.set(row.assetKey, rows);
  }
  const trackedSince = new Map(stored.map((s) => [s.assetKey, s.trackedSince]));
  for (const def of assets) {
    const judged = judgedMaterialization(def, rowsOf.get(def.key) ?? [], now);
    const since = Math.max(trackedSince.get(def.key) ?? options.since ?? now, judged.notBefore);
    const state = evaluateFreshness(def.freshness!, { lastMaterializationAt: judged.at, now, since });
    out.set(def.key, { assetKey: def.key, policy: def.freshness!, partition: judged.partition, ...state });
  }
  return out;
}

/** The materialization a policy judges; `notBefore`: data for it could not exist before then. */
function judgedMaterialization(def: AssetDefinition, rows: readonly AssetIndexRecord[], now: number): { at: number | null; partition: string | null; notBefore: number } {
  const parts = def.partitions;
  if (parts === undefined) {
    const row = rows.find((r) => r.partition === null);
    return { at: row?.timestamp ?? null, partition: null, notBefore: -Infinity };
  }
  if (parts.type === "time_window") {
    const key = parts.lastKey(new Date(now));
    if (key === undefined) return { at: null, partition: null, notBefore: -Infinity };
    const row = rows.find((r) => r.partition === key);
    return { at: row?.timestamp ?? null, partition: key, notBefore: parts.timeWindow(key).end.getTime() };
  }
  let latest: AssetIndexRecord | undefined;
  for (const row of rows) if (latest === undefined || row.timestamp > latest.timestamp) latest = row;
  return { at: latest?.timestamp ?? null, partition: latest?.partition ?? null, notBefore: -Infinity };
}

/** Selection values of freshness statuses: `status:fresh`, `status:overdue`, `status:unknown`. */
export const FRESHNESS_SELECTION_VALUES = ["fresh", "overdue", "unknown"] as const;

/**
 * Asset keys by freshness status, for the `status:` selection attribute: `fresh`, `overdue` and
 * `unknown` (assets without a policy are in none).
 * @example
 * const byStatus = await freshnessStatuses(defs, storage, Date.now());
 * byStatus.get("overdue"); // Set { "daily_report" }
 */
export async function freshnessStatuses(defs: Definitions, storage: Storage, now: number = Date.now()): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>(FRESHNESS_SELECTION_VALUES.map((v) => [v, new Set<string>()]));
  // `status:stale` is staleness of versions (src/runs/staleness.ts): a freshness STALE asset is
  // selected by none of these values.
  const value = { [FreshnessStatus.Fresh]: "fresh", [FreshnessStatus.Overdue]: "overdue", [FreshnessStatus.Unknown]: "unknown", [FreshnessStatus.Stale]: undefined } as const;
  for (const f of (await assetFreshness(defs, storage, { now })).values()) {
    const key = value[f.status];
    if (key !== undefined) out.get(key)!.add(f.assetKey);
  }
  return out;
}
