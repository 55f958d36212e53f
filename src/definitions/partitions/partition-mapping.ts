/**
 * What a partition mapping is: how the partitions of an asset relate to those of one of its
 * upstream assets (as Dagster's PartitionMapping). The factories live beside this file
 * (`identityMapping()`, `timeWindowMapping()`, `allPartitions()`, `lastPartition()`,
 * `staticMapping()`, `dimensionMapping()`); which mapping applies when none is given is decided
 * in `default-mapping.ts`.
 */
import { DefinitionError } from "../errors.js";
import type { PartitionsDefinition } from "./partitions-definition.js";

/** Marks values made by the mapping factories (from any copy of this package). */
export const MAPPING_BRAND = Symbol.for("sluice.partitionMapping");
/** Phantom member saying how many upstream keys a downstream key reads; never set at run time. */
declare const READS: unique symbol;

/**
 * How many upstream keys one downstream key reads, as a type: `"one"` (the input is the upstream
 * value), `"many"` (the input is `Record<upstream key, value>`), or `"dimension"` (one when the
 * downstream asset is the multi-partitioned side, many when the upstream is).
 */
export type MappingReads = "one" | "many" | "dimension";

/** The kinds of mappings. */
export type PartitionMappingType = "identity" | "time_window" | "all" | "last" | "static" | "dimension";

/** Two assets whose partitions a mapping relates: the upstream one and the one that reads it. */
export interface PartitionPair {
  readonly upstreamAsset: string;
  /** The upstream's partitions (a mapping relates partitioned upstream assets only). */
  readonly upstream: PartitionsDefinition;
  readonly downstreamAsset: string;
  /** The downstream's partitions, or undefined when it is one value (allowed by `allPartitions()` and `lastPartition()`). */
  readonly downstream: PartitionsDefinition | undefined;
}

/**
 * A partition mapping. Every method takes the pair of partitions it relates, so one mapping value
 * may serve several assets. Keys are answered as they exist at `now` (default: the current time):
 * an upstream key that does not exist yet, or any more, is left out.
 */
export interface PartitionMapping<TReads extends MappingReads = MappingReads> {
  readonly [MAPPING_BRAND]: true;
  readonly [READS]?: TReads;
  readonly type: PartitionMappingType;
  /**
   * Throws DefinitionError, naming both assets and both definitions, when this mapping cannot
   * relate these partitions (a dimension the multi-partitions lack, time windows on one side
   * only, a static table naming keys a side does not have...).
   */
  validate(pair: PartitionPair): void;
  /**
   * The upstream keys that the downstream key `downstreamKey` reads, in the upstream's order
   * (`null`: the downstream is unpartitioned).
   */
  upstreamKeys(pair: PartitionPair, downstreamKey: string | null, now?: Date): string[];
  /**
   * The downstream keys that read the upstream key `upstreamKey`, in the downstream's order
   * (always empty when the downstream is unpartitioned: it has no keys).
   */
  downstreamKeys(pair: PartitionPair, upstreamKey: string, now?: Date): string[];
  /** In words, for people: `the same partition`, `the time windows it overlaps, shifted by -1`. */
  describe(): string;
}

/** True for a value made by a mapping factory. */
export function isPartitionMapping(value: unknown): value is PartitionMapping {
  return typeof value === "object" && value !== null && MAPPING_BRAND in value;
}

/** The DefinitionError of a mapping that does not fit a pair: names both assets, both definitions and why. */
export function mappingMismatch(mapping: PartitionMapping, pair: PartitionPair, why: string): DefinitionError {
  const down = pair.downstream ? pair.downstream.describe() : "no partitions";
  return new DefinitionError(
    `Asset "${pair.downstreamAsset}" (${down}) reads asset "${pair.upstreamAsset}" (${pair.upstream.describe()}) through ` +
      `${mapping.describe()}, which does not fit: ${why}`,
    pair.downstreamAsset,
  );
}

/** Throws the mismatch error unless the downstream is partitioned; returns its partitions. */
export function partitionedDownstream(mapping: PartitionMapping, pair: PartitionPair): PartitionsDefinition {
  if (!pair.downstream) throw mappingMismatch(mapping, pair, `"${pair.downstreamAsset}" is not partitioned. Use allPartitions() or lastPartition(), or partition it.`);
  return pair.downstream;
}
