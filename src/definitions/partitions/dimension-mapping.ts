/**
 * Multi-partitions to one of their dimensions and back (as Dagster's
 * MultiToSingleDimensionPartitionMapping): `2025-01-01|dev-1` relates to `2025-01-01`.
 */
import { DefinitionError } from "../errors.js";
import type { MultiPartitionsDefinition } from "./multi-partitions.js";
import { MAPPING_BRAND, mappingMismatch, partitionedDownstream, type PartitionMapping, type PartitionPair } from "./partition-mapping.js";
import { samePartitions, type PartitionsDefinition } from "./partitions-definition.js";

/** The multi side of a pair, and which side it is. */
interface Sides {
  multi: MultiPartitionsDefinition;
  single: PartitionsDefinition;
  /** The other dimension's name. */
  other: string;
  multiIsUpstream: boolean;
}

/** A dimension mapping (see {@link dimensionMapping}). */
export class DimensionMapping implements PartitionMapping<"dimension"> {
  readonly [MAPPING_BRAND] = true as const;
  readonly type = "dimension" as const;

  /** Use `dimensionMapping()`. */
  constructor(readonly dimension: string) {}

  validate(pair: PartitionPair): void {
    this.sides(pair);
  }

  upstreamKeys(pair: PartitionPair, downstreamKey: string | null, now: Date = new Date()): string[] {
    const s = this.sides(pair);
    if (downstreamKey === null) return [];
    if (!s.multiIsUpstream) {
      const key = s.multi.keysByDimension(downstreamKey)[this.dimension]!;
      return s.single.has(key, now) ? [key] : [];
    }
    return this.expand(s, downstreamKey, now);
  }

  downstreamKeys(pair: PartitionPair, upstreamKey: string, now: Date = new Date()): string[] {
    const s = this.sides(pair);
    if (s.multiIsUpstream) {
      const key = s.multi.keysByDimension(upstreamKey)[this.dimension]!;
      return s.single.has(key, now) ? [key] : [];
    }
    return this.expand(s, upstreamKey, now);
  }

  describe(): string {
    return `dimensionMapping(${JSON.stringify(this.dimension)}) (multi partitions ↔ their "${this.dimension}" dimension)`;
  }

  /** Every multi key whose dimension is `key`, in the multi definition's order. */
  private expand(s: Sides, key: string, now: Date): string[] {
    if (!s.single.has(key, now)) return [];
    const others = s.multi.dimensions.find((d) => d.name === s.other)!.partitions.keys(now);
    return s.multi.sortKeys(others.map((o) => s.multi.keyOf({ [this.dimension]: key, [s.other]: o })));
  }

  private sides(pair: PartitionPair): Sides {
    const down = partitionedDownstream(this, pair);
    const up = pair.upstream;
    if ((up.type === "multi") === (down.type === "multi")) {
      throw mappingMismatch(this, pair, `it relates multi partitions to one of their dimensions, so exactly one of the two assets needs multiPartitions(...).`);
    }
    const multiIsUpstream = up.type === "multi";
    const multi = (multiIsUpstream ? up : down) as MultiPartitionsDefinition;
    const single = multiIsUpstream ? down : up;
    const dim = multi.dimensions.find((d) => d.name === this.dimension);
    const multiAsset = multiIsUpstream ? pair.upstreamAsset : pair.downstreamAsset;
    const singleAsset = multiIsUpstream ? pair.downstreamAsset : pair.upstreamAsset;
    if (!dim) {
      throw mappingMismatch(this, pair, `"${multiAsset}" has no dimension "${this.dimension}"; its dimensions are ${multi.dimensions.map((d) => `"${d.name}"`).join(" and ")}.`);
    }
    if (!samePartitions(dim.partitions, single)) {
      throw mappingMismatch(this, pair, `dimension "${this.dimension}" of "${multiAsset}" (${dim.partitions.describe()}) differs from the partitions of "${singleAsset}"; they must be the same definition.`);
    }
    return { multi, single, other: multi.dimensions.find((d) => d.name !== this.dimension)!.name, multiIsUpstream };
  }
}

/**
 * Relates multi-partitions to one of their dimensions, either way: a daily asset reading a
 * `{ date, device }` asset gets every device of its day as `{ ["2025-01-01|dev-1"]: value, ... }`;
 * a `{ date, device }` asset reading a daily asset gets its day's value. The dimension must be
 * the same partitions as the other asset's. The default where that holds.
 * @example
 * const perDay = asset({ key: "per_day", partitions: days, ins: { readings: { asset: readingsByDevice, mapping: dimensionMapping("date") } }, run: ({ readings }) => Object.values(readings).flat() });
 */
export function dimensionMapping(dimension: string): PartitionMapping<"dimension"> {
  if (typeof dimension !== "string" || dimension === "") throw new DefinitionError(`dimensionMapping takes the name of a dimension, such as "date".`);
  return new DimensionMapping(dimension);
}
