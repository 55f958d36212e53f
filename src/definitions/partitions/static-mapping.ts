/**
 * A table from upstream static keys to downstream static keys (as Dagster's StaticPartitionMapping).
 */
import { DefinitionError } from "../errors.js";
import { MAPPING_BRAND, mappingMismatch, partitionedDownstream, type PartitionMapping, type PartitionPair } from "./partition-mapping.js";
import { quoteKeys } from "./partitions-definition.js";

/** A static mapping (see {@link staticMapping}). */
export class StaticMapping implements PartitionMapping<"many"> {
  readonly [MAPPING_BRAND] = true as const;
  readonly type = "static" as const;
  /** Upstream key → the downstream keys that read it. */
  readonly table: ReadonlyMap<string, readonly string[]>;
  /** Downstream key → the upstream keys it reads. */
  private readonly inverse: ReadonlyMap<string, readonly string[]>;

  /** Use `staticMapping()`, which validates the table. */
  constructor(table: ReadonlyMap<string, readonly string[]>) {
    this.table = table;
    const inverse = new Map<string, string[]>();
    for (const [up, downs] of table) for (const down of downs) inverse.set(down, [...(inverse.get(down) ?? []), up]);
    this.inverse = inverse;
  }

  validate(pair: PartitionPair): void {
    const down = partitionedDownstream(this, pair);
    if (pair.upstream.type !== "static" || down.type !== "static") {
      throw mappingMismatch(this, pair, `a static table relates static partitions on both sides. Use timeWindowMapping() between time windows, or dimensionMapping(...).`);
    }
    const unknownUp = [...this.table.keys()].filter((k) => !pair.upstream.has(k));
    if (unknownUp.length) {
      throw mappingMismatch(this, pair, `upstream key${unknownUp.length === 1 ? "" : "s"} ${quoteKeys(unknownUp)} ${unknownUp.length === 1 ? "is" : "are"} not a key of "${pair.upstreamAsset}" (valid: ${quoteKeys(pair.upstream.keys(), 10)}).`);
    }
    const unknownDown = [...this.inverse.keys()].filter((k) => !down.has(k));
    if (unknownDown.length) {
      throw mappingMismatch(this, pair, `downstream key${unknownDown.length === 1 ? "" : "s"} ${quoteKeys(unknownDown)} ${unknownDown.length === 1 ? "is" : "are"} not a key of "${pair.downstreamAsset}" (valid: ${quoteKeys(down.keys(), 10)}).`);
    }
  }

  upstreamKeys(pair: PartitionPair, downstreamKey: string | null): string[] {
    return downstreamKey === null ? [] : pair.upstream.sortKeys(this.inverse.get(downstreamKey) ?? []);
  }

  downstreamKeys(pair: PartitionPair, upstreamKey: string): string[] {
    return pair.downstream ? pair.downstream.sortKeys(this.table.get(upstreamKey) ?? []) : [];
  }

  describe(): string {
    const entries = [...this.table].slice(0, 3).map(([up, downs]) => `${JSON.stringify(up)} → ${downs.map((d) => JSON.stringify(d)).join(", ")}`);
    return `staticMapping({ ${entries.join("; ")}${this.table.size > 3 ? `; … (${this.table.size - 3} more)` : ""} })`;
  }
}

/**
 * A table from upstream keys to the downstream key (or keys) that read them; a downstream key
 * reads every upstream key mapped to it, as `{ [upstream key]: value }`. Both assets need static
 * partitions, and the table may name only keys they have.
 * @example
 * const countries = staticPartitions(["fr", "de", "us"]);
 * const regions = staticPartitions(["eu", "na"]);
 * const byRegion = asset({
 *   key: "sales_by_region",
 *   partitions: regions,
 *   ins: { sales: { asset: salesByCountry, mapping: staticMapping({ fr: "eu", de: "eu", us: "na" }) } },
 *   run: ({ sales }) => Object.values(sales).flat(),
 * });
 */
export function staticMapping(table: Readonly<Record<string, string | readonly string[]>>): PartitionMapping<"many"> {
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new DefinitionError(`staticMapping takes an object from upstream key to downstream key(s), such as { fr: "eu", us: ["na", "world"] }.`);
  }
  const entries = Object.entries(table);
  if (entries.length === 0) throw new DefinitionError(`staticMapping needs at least one entry: upstream key → downstream key(s).`);
  const map = new Map<string, string[]>();
  for (const [up, value] of entries) {
    const downs = typeof value === "string" ? [value] : value;
    if (!Array.isArray(downs) || downs.length === 0 || downs.some((d) => typeof d !== "string" || d === "")) {
      throw new DefinitionError(`staticMapping: the entry for ${JSON.stringify(up)} must be a downstream key or a non-empty array of keys, got ${JSON.stringify(value)}.`);
    }
    map.set(up, [...new Set(downs)]);
  }
  return new StaticMapping(map);
}
