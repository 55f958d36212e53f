/**
 * The mappings that need no settings: the same key on both sides, every upstream partition, and
 * the last upstream partition (as Dagster's IdentityPartitionMapping, AllPartitionMapping and
 * LastPartitionMapping).
 */
import { MAPPING_BRAND, mappingMismatch, partitionedDownstream, type PartitionMapping, type PartitionPair } from "./partition-mapping.js";
import { samePartitions } from "./partitions-definition.js";

class IdentityMapping implements PartitionMapping<"one"> {
  readonly [MAPPING_BRAND] = true as const;
  readonly type = "identity" as const;

  validate(pair: PartitionPair): void {
    const down = partitionedDownstream(this, pair);
    if (samePartitions(pair.upstream, down)) return;
    if (pair.upstream.type === "static" && down.type === "static") return;
    const hint =
      pair.upstream.type === "time_window" && down.type === "time_window"
        ? "the windows differ, so the same key does not name the same time; use timeWindowMapping()"
        : "keys of different partitions name different things; use staticMapping({...}), dimensionMapping(...) or allPartitions()";
    throw mappingMismatch(this, pair, `it maps a key to the same key, and ${hint}.`);
  }

  upstreamKeys(pair: PartitionPair, downstreamKey: string | null, now: Date = new Date()): string[] {
    return downstreamKey !== null && pair.upstream.has(downstreamKey, now) ? [downstreamKey] : [];
  }

  downstreamKeys(pair: PartitionPair, upstreamKey: string, now: Date = new Date()): string[] {
    return pair.downstream?.has(upstreamKey, now) ? [upstreamKey] : [];
  }

  describe(): string {
    return "identityMapping() (the same partition key)";
  }
}

class AllPartitionsMapping implements PartitionMapping<"many"> {
  readonly [MAPPING_BRAND] = true as const;
  readonly type = "all" as const;

  validate(): void {
    // Every pair of partitions fits: each downstream key reads them all.
  }

  upstreamKeys(pair: PartitionPair, _downstreamKey: string | null, now: Date = new Date()): string[] {
    return pair.upstream.keys(now);
  }

  downstreamKeys(pair: PartitionPair, upstreamKey: string, now: Date = new Date()): string[] {
    return pair.upstream.has(upstreamKey, now) ? (pair.downstream?.keys(now) ?? []) : [];
  }

  describe(): string {
    return "allPartitions() (every partition upstream; those materialized are read)";
  }
}

class LastPartitionMapping implements PartitionMapping<"one"> {
  readonly [MAPPING_BRAND] = true as const;
  readonly type = "last" as const;

  validate(): void {
    // Every pair of partitions fits: each downstream key reads the upstream's last one.
  }

  upstreamKeys(pair: PartitionPair, _downstreamKey: string | null, now: Date = new Date()): string[] {
    const last = pair.upstream.lastKey(now);
    return last === undefined ? [] : [last];
  }

  downstreamKeys(pair: PartitionPair, upstreamKey: string, now: Date = new Date()): string[] {
    return upstreamKey === pair.upstream.lastKey(now) ? (pair.downstream?.keys(now) ?? []) : [];
  }

  describe(): string {
    return "lastPartition() (the last partition)";
  }
}

/**
 * Each partition of the asset reads the partition of the same key upstream: the default between
 * equal partitions. Between two different static definitions it matches keys by name.
 * @example
 * const cleaned = asset({ key: "cleaned", partitions: days, ins: { raw: { asset: raw, mapping: identityMapping() } }, run: ({ raw }) => clean(raw) });
 */
export function identityMapping(): PartitionMapping<"one"> {
  return new IdentityMapping();
}

/**
 * Every partition of the upstream asset that is materialized, as `{ [upstream key]: value }` in
 * partition order: the default for an unpartitioned asset reading a partitioned one. Partitions
 * never materialized are left out (the input fails only when none is).
 * @example
 * const report = asset({ key: "report", ins: { days: { asset: dailySales, mapping: allPartitions() } }, run: ({ days }) => Object.keys(days).length });
 */
export function allPartitions(): PartitionMapping<"many"> {
  return new AllPartitionsMapping();
}

/**
 * The last partition of the upstream asset (as it exists when the run starts), whatever the
 * downstream key: e.g. the latest snapshot of a reference table.
 * @example
 * const enriched = asset({ key: "enriched", partitions: days, ins: { prices: { asset: dailyPrices, mapping: lastPartition() } }, run: ({ prices }) => prices });
 */
export function lastPartition(): PartitionMapping<"one"> {
  return new LastPartitionMapping();
}
