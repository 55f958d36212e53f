/**
 * The partition picker of the lineage's "Materialize selected" and "Materialize all", for a
 * selection with partitioned assets: the keys to choose from are those of its first partitioned
 * asset (a backfill requires the same partitions of all, which the server checks).
 */
import type { AssetSummaryJson } from "../assets/asset-json";
import type { RunJson } from "../types";
import { PartitionPicker } from "./PartitionPicker";
import { useAssetPartitions } from "./use-asset-partitions";

/** The first partitioned asset of `selection` (`"*"`: of all), or undefined when none is. */
export function firstPartitioned(selection: readonly string[] | "*", assetsByKey: ReadonlyMap<string, AssetSummaryJson>): AssetSummaryJson | undefined {
  if (selection === "*") {
    for (const a of assetsByKey.values()) if (a.partitions) return a;
    return undefined;
  }
  for (const key of selection) {
    const a = assetsByKey.get(key);
    if (a?.partitions) return a;
  }
  return undefined;
}

/** Props of LineagePicker. */
export interface LineagePickerProps {
  /** What is launched: asset keys, or a selection expression (`"*"`: every asset). */
  selection: readonly string[] | string;
  /** How many assets it stands for. */
  count: number | "all";
  /** Its first partitioned asset (firstPartitioned). */
  partitioned: AssetSummaryJson;
  onRunLaunched: (run: RunJson) => void;
  onClose: () => void;
}

/** A picker for a selection of the lineage. */
export function LineagePicker({ selection, count: assetCount, partitioned, onRunLaunched, onClose }: LineagePickerProps) {
  const partitions = useAssetPartitions(partitioned.key);
  const count = assetCount === "all" ? "every asset" : `${assetCount.toLocaleString("en-US")} asset${assetCount === 1 ? "" : "s"}`;
  return (
    <div className="lineage-picker" data-testid="lineage-picker">
      <div className="small muted">
        Materialize {count}, partitioned like <span className="mono">{partitioned.key}</span>:
      </div>
      <PartitionPicker
        target={{ selection: typeof selection === "string" ? selection : [...selection] }}
        keys={partitions.data?.keys ?? null}
        partitions={partitioned.partitions}
        onRunLaunched={onRunLaunched}
        onClose={onClose}
      />
    </div>
  );
}
