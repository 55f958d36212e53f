/**
 * Which data versions of its upstream assets a materialization depends on. The run records them on
 * each materialization, and staleness recomputes them from the latest versions and compares: both go
 * through {@link inputDataVersionsOf}, so the two agree on which partitions of an upstream count.
 */
import { effectiveMapping } from "../definitions/partitions/default-mapping.js";
import type { PartitionMapping } from "../definitions/partitions/partition-mapping.js";
import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import { partitionsDataVersion, type InputDataVersions } from "./data-version.js";

/** What is needed of an asset to relate its partitions to its upstream assets'. */
export interface VersionedNode {
  key: string;
  partitions: PartitionsDefinition | undefined;
  partitionMappings: Readonly<Record<string, PartitionMapping>>;
}

/** Partition key (null: unpartitioned) → its latest data version (null: recorded before versions existed). */
export type PartitionVersions = ReadonlyMap<string | null, string | null>;

/**
 * The partitions of `upstream` that the partition `downstreamKey` of `downstream` reads (as the run
 * loads its inputs: the mapping's keys, or every materialized partition for `allPartitions()`), or
 * null when the upstream asset is not partitioned.
 */
export function upstreamPartitionKeys(
  downstream: VersionedNode,
  upstream: Pick<VersionedNode, "key" | "partitions">,
  downstreamKey: string | null,
  materialized: PartitionVersions,
  now: Date,
): string[] | null {
  const partitions = upstream.partitions;
  if (!partitions) return null;
  const pair = { upstreamAsset: upstream.key, upstream: partitions, downstreamAsset: downstream.key, downstream: downstream.partitions };
  const mapping = effectiveMapping(downstream.partitionMappings[upstream.key], pair);
  if (mapping.type === "all") {
    return [...materialized.keys()].filter((k): k is string => k !== null && partitions.has(k));
  }
  return mapping.upstreamKeys(pair, downstream.partitions ? downstreamKey : null, now);
}

/**
 * Upstream key → the data version of what the partition `downstreamKey` of `node` reads of it, for
 * each of `upstreams` that has one: its own for an unpartitioned upstream, a hash over the partitions
 * read for a partitioned one. An upstream never materialized, or read partly unversioned, is left out.
 * `nodeOf` gives each upstream's definition (undefined: treat it as unpartitioned).
 */
export function inputDataVersionsOf(
  node: VersionedNode,
  upstreams: readonly string[],
  downstreamKey: string | null,
  nodeOf: (key: string) => Pick<VersionedNode, "key" | "partitions"> | undefined,
  versionsOf: (key: string) => PartitionVersions | undefined,
  now: Date,
): InputDataVersions {
  const out: Record<string, string> = {};
  for (const key of upstreams) {
    const versions = versionsOf(key);
    if (versions === undefined || versions.size === 0) continue;
    const upstream = nodeOf(key) ?? { key, partitions: undefined };
    const keys = upstreamPartitionKeys(node, upstream, downstreamKey, versions, now);
    const version = keys === null ? (versions.get(null) ?? null) : keys.length === 0 ? null : partitionsDataVersion(keys.map((k) => [k, versions.get(k) ?? null]));
    if (version !== null) out[key] = version;
  }
  return out;
}
