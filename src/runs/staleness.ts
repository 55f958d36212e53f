/**
 * Staleness, as Dagster defines it: a materialized asset (or partition) is stale when what it would
 * compute now differs from what it computed last. Three causes, each a {@link StaleReason}:
 * its code version changed since; an upstream asset's latest data version differs from the one it
 * read; or an upstream asset is itself stale (transitively, in one topological pass). An asset never
 * materialized is MISSING, not stale; a materialization recorded before Sluice kept versions is taken
 * as up to date, since nothing says otherwise.
 *
 * Partitioned assets are judged per partition, against the partitions of each upstream asset that the
 * partition reads (its partition mapping, as the run reads them); the asset is stale when one of its
 * materialized partitions is.
 */
import { AssetKind } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import { inputDataVersionsOf, upstreamPartitionKeys, type PartitionVersions } from "../execution/input-data-versions.js";
import type { AssetIndexRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { loadDynamicPartitions } from "./dynamic-partitions.js";

/** Whether an asset's latest materialization is what its code and upstream data would give now. */
export const StalenessStatus = {
  UpToDate: "UP_TO_DATE",
  Stale: "STALE",
  Missing: "MISSING",
} as const;
/** One of the values of {@link StalenessStatus}. */
export type StalenessStatus = (typeof StalenessStatus)[keyof typeof StalenessStatus];

/** Why an asset is stale. */
export type StaleReason =
  | { kind: "code_version"; from: string | null; to: string | null }
  | { kind: "upstream_data"; upstream: string }
  | { kind: "upstream_stale"; upstream: string };

/** The staleness of one asset. */
export interface AssetStaleness {
  status: StalenessStatus;
  /** Why it is stale (empty unless STALE), each cause once even when several partitions share it. */
  reasons: StaleReason[];
  /** The stale partitions of a partitioned asset, in the index's order (empty otherwise). */
  stalePartitions: (string | null)[];
}

/** Asset key → partition (null: unpartitioned) → latest data version. */
export type LatestDataVersions = ReadonlyMap<string, PartitionVersions>;

/** A reason in words: `code version changed (v1 → v2)`, `upstream raw/orders updated`. */
export function describeStaleReason(reason: StaleReason): string {
  switch (reason.kind) {
    case "code_version":
      return `code version changed (${reason.from ?? "none"} → ${reason.to ?? "none"})`;
    case "upstream_data":
      return `upstream ${reason.upstream} updated`;
    case "upstream_stale":
      return `upstream ${reason.upstream} is stale`;
  }
}

/** A reason as JSON documents show it: its fields and its words. */
export function staleReasonRecord(reason: StaleReason): StaleReason & { message: string } {
  return { ...reason, message: describeStaleReason(reason) };
}

/**
 * The latest data version of every partition of `keys` (all assets when undefined), from the asset
 * index, or from `rows` when the caller already read them. The one place staleness learns upstream
 * data versions: observations of source assets belong here too.
 */
export async function latestDataVersions(
  storage: Pick<Storage, "getAssetIndex" | "getLatestObservations">,
  keys?: string[],
  rows?: readonly AssetIndexRecord[],
): Promise<Map<string, Map<string | null, string | null>>> {
  const out = new Map<string, Map<string | null, string | null>>();
  const eventOf = new Map<string, number>();
  for (const row of rows ?? (await storage.getAssetIndex(keys))) {
    let versions = out.get(row.assetKey);
    if (!versions) out.set(row.assetKey, (versions = new Map()));
    versions.set(row.partition, row.dataVersion);
    eventOf.set(`${row.assetKey}\u0000${row.partition ?? ""}`, row.eventId);
  }
  // Observations (of observable source assets) give data versions too; where an asset has both, the
  // later event wins.
  for (const row of await storage.getLatestObservations(keys)) {
    const earlier = eventOf.get(`${row.assetKey}\u0000${row.partition ?? ""}`);
    if (earlier !== undefined && earlier > row.eventId) continue;
    let versions = out.get(row.assetKey);
    if (!versions) out.set(row.assetKey, (versions = new Map()));
    versions.set(row.partition, row.dataVersion);
  }
  return out;
}

/**
 * The staleness of every asset of `defs` (or of those in `only`, which must hold every upstream asset
 * of each of them), from its materializations (`index`, the asset index) and the latest data versions
 * of its upstream assets. Pure, and linear in assets, edges and partitions (upstream partitions read
 * by each partition, for partitioned assets).
 */
export function computeStaleness(
  defs: Pick<Definitions, "assets" | "assetGraph">,
  index: readonly AssetIndexRecord[],
  latest: LatestDataVersions,
  now: Date = new Date(),
  only?: ReadonlySet<string>,
): Map<string, AssetStaleness> {
  const rowsOf = new Map<string, AssetIndexRecord[]>();
  for (const row of index) {
    const rows = rowsOf.get(row.assetKey);
    if (rows) rows.push(row);
    else rowsOf.set(row.assetKey, [row]);
  }
  const staleOf = new Map<string, Set<string | null>>();
  const nodeOf = (key: string) => defs.assets.get(key);
  const versionsOf = (key: string) => latest.get(key);
  const result = new Map<string, AssetStaleness>();
  for (const key of defs.assetGraph.keys()) {
    if (only && !only.has(key)) continue;
    const def = defs.assets.get(key)!;
    const rows = (rowsOf.get(key) ?? []).filter((row) => (def.partitions ? row.partition !== null && def.partitions.has(row.partition) : row.partition === null));
    if (rows.length === 0) {
      // An observable source asset is never materialized: its observations are its data.
      result.set(key, { status: def.assetKind === AssetKind.Observable ? StalenessStatus.UpToDate : StalenessStatus.Missing, reasons: [], stalePartitions: [] });
      continue;
    }
    const upstreams = defs.assetGraph.parents(key);
    // Made when a first reason is found: most assets of a large graph have none.
    let reasons: Map<string, StaleReason> | undefined;
    let stale: Set<string | null> | undefined;
    for (const row of rows) {
      if (row.dataVersion === null) continue;
      const found: StaleReason[] = [];
      if (row.codeVersion !== def.codeVersion) found.push({ kind: "code_version", from: row.codeVersion, to: def.codeVersion });
      const recorded = row.inputDataVersions ?? {};
      const current = inputDataVersionsOf(def, upstreams, row.partition, nodeOf, versionsOf, now);
      for (const upstream of upstreams) {
        const version = current[upstream];
        if (version !== undefined && version !== recorded[upstream]) {
          found.push({ kind: "upstream_data", upstream });
        } else if (readsStale(def, upstream, row.partition, staleOf.get(upstream), latest, defs, now)) {
          found.push({ kind: "upstream_stale", upstream });
        }
      }
      if (found.length === 0) continue;
      (stale ??= new Set()).add(row.partition);
      reasons ??= new Map();
      for (const reason of found) reasons.set(reason.kind === "code_version" ? reason.kind : `${reason.kind}\u0000${reason.upstream}`, reason);
    }
    if (stale) staleOf.set(key, stale);
    result.set(key, {
      status: stale ? StalenessStatus.Stale : StalenessStatus.UpToDate,
      reasons: reasons ? [...reasons.values()] : [],
      stalePartitions: def.partitions && stale ? [...stale] : [],
    });
  }
  return result;
}

/** True when the partition `partition` of `def` reads a stale partition of `upstream`. */
function readsStale(
  def: Parameters<typeof upstreamPartitionKeys>[0],
  upstream: string,
  partition: string | null,
  staleUpstream: ReadonlySet<string | null> | undefined,
  latest: LatestDataVersions,
  defs: Pick<Definitions, "assets">,
  now: Date,
): boolean {
  if (!staleUpstream) return false;
  const upstreamDef = defs.assets.get(upstream) ?? { key: upstream, partitions: undefined };
  const keys = upstreamPartitionKeys(def, upstreamDef, partition, latest.get(upstream) ?? new Map(), now);
  return keys === null ? staleUpstream.has(null) : keys.some((k) => staleUpstream.has(k));
}

/**
 * The staleness of every asset of `defs`, read from `storage` (one read of the asset index). Given
 * `keys`, of those and their upstream assets only (which their staleness depends on): the index rows
 * of that closure are all it reads.
 */
export async function assetStaleness(defs: Definitions, storage: Storage, keys?: readonly string[]): Promise<Map<string, AssetStaleness>> {
  // Whether an index row is a partition the asset still has needs the keys of dynamic partitions.
  await loadDynamicPartitions(defs, storage);
  const closure = keys === undefined ? undefined : upstreamClosure(defs, keys);
  // A large closure is read with the whole index: one query, never thousands of bound keys.
  const index = await storage.getAssetIndex(closure && closure.size <= MAX_KEYS_READ ? [...closure] : undefined);
  return computeStaleness(defs, index, await latestDataVersions(storage, undefined, index), new Date(), closure);
}

/** Asset keys read by name from the index at most; beyond, the whole index is read. */
const MAX_KEYS_READ = 500;

/** `keys` (those defined) and every asset upstream of them. */
function upstreamClosure(defs: Pick<Definitions, "assetGraph">, keys: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = keys.filter((key) => defs.assetGraph.has(key));
  while (stack.length > 0) {
    const key = stack.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const parent of defs.assetGraph.parents(key)) if (!seen.has(parent)) stack.push(parent);
  }
  return seen;
}

/** The keys of the stale assets of `defs`: what the selection `status:stale` matches. */
export async function staleAssetKeys(defs: Definitions, storage: Storage): Promise<Set<string>> {
  const staleness = await assetStaleness(defs, storage);
  return new Set([...staleness].filter(([, s]) => s.status === StalenessStatus.Stale).map(([key]) => key));
}
