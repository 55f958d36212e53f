/**
 * Which mapping relates an asset to a partitioned upstream asset when none is declared (as
 * Dagster infers it), and what shape a mapped input takes at run time.
 */
import { DefinitionError } from "../errors.js";
import { DimensionMapping } from "./dimension-mapping.js";
import type { PartitionMapping, PartitionPair } from "./partition-mapping.js";
import { samePartitions } from "./partitions-definition.js";
import { allPartitions, identityMapping } from "./simple-mappings.js";
import { timeWindowMapping } from "./time-window-mapping.js";

/**
 * The mapping Sluice uses when none is given: identity between equal partitions, a time-window
 * mapping between time windows of different cadences, a dimension mapping between
 * multi-partitions and partitions equal to one of their dimensions, and every partition for an
 * unpartitioned asset. Throws DefinitionError naming both assets, both definitions and the
 * mappings that could be declared when none of these applies.
 */
export function defaultMapping(pair: PartitionPair): PartitionMapping {
  const { upstream: up, downstream: down } = pair;
  if (!down) return allPartitions();
  if (samePartitions(up, down)) return identityMapping();
  if (up.type === "time_window" && down.type === "time_window") return timeWindowMapping();
  const multi = up.type === "multi" ? up : down.type === "multi" ? down : undefined;
  const single = multi === up ? down : up;
  if (multi && single.type !== "multi") {
    const dim = multi.dimensions.find((d) => samePartitions(d.partitions, single));
    if (dim) return new DimensionMapping(dim.name);
  }
  throw new DefinitionError(
    `Asset "${pair.downstreamAsset}" is partitioned by ${down.describe()}, and its upstream asset "${pair.upstreamAsset}" by ` +
      `${up.describe()}: no partition mapping applies between these by default. Declare one in its ins or deps as ` +
      `{ asset: ${JSON.stringify(pair.upstreamAsset)}, mapping } with mapping one of: ${suggestions(pair).join(", ")}.`,
    pair.downstreamAsset,
  );
}

/** The declared mapping, or the default one; checks that it fits (DefinitionError otherwise). */
export function effectiveMapping(declared: PartitionMapping | undefined, pair: PartitionPair): PartitionMapping {
  const mapping = declared ?? defaultMapping(pair);
  mapping.validate(pair);
  return mapping;
}

/**
 * Whether an input through `mapping` is one upstream value (identity, last partition, a dimension
 * read by the multi-partitioned side) rather than `{ [upstream key]: value }`. Decided by the
 * mapping and the pair, never by how many keys a given run happens to read.
 */
export function readsOneKey(mapping: PartitionMapping, pair: PartitionPair): boolean {
  if (mapping.type === "identity" || mapping.type === "last") return true;
  return mapping.type === "dimension" && pair.downstream?.type === "multi";
}

function suggestions(pair: PartitionPair): string[] {
  const { upstream: up, downstream: down } = pair;
  const out: string[] = [];
  if (up.type === "static" && down?.type === "static") {
    out.push(`staticMapping({ ${JSON.stringify(up.firstKey())}: ${JSON.stringify(down.firstKey())}, … })`, "identityMapping()");
  }
  for (const [multi, single] of [[up, down], [down, up]] as const) {
    if (multi?.type !== "multi" || !single || single.type === "multi") continue;
    for (const d of multi.dimensions) if (d.partitions.type === single.type) out.push(`dimensionMapping(${JSON.stringify(d.name)}) once dimension "${d.name}" uses the same definition`);
  }
  out.push("allPartitions()", "lastPartition()");
  return out;
}
