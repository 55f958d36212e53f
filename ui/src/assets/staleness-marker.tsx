/** A lineage node's "stale" marker: shown only on stale assets, its reasons in its title. */
import type { StalenessJson } from "../../../src/server/api-types";
import "./staleness.css";

/** Nothing unless the asset is stale. */
export function StaleMarker({ staleness }: { staleness: StalenessJson | undefined }) {
  if (staleness?.status !== "STALE") return null;
  const partitions = staleness.stalePartitionCount > 0 ? ` (${staleness.stalePartitionCount.toLocaleString("en-US")} partition${staleness.stalePartitionCount === 1 ? "" : "s"})` : "";
  return (
    <span className="stale-marker" data-testid="node-stale" title={`Stale${partitions}: ${staleness.reasons.map((r) => r.message).join("; ")}`}>
      stale
    </span>
  );
}
