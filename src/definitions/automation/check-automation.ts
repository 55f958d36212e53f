import { AssetKind, assetKindOf, type AssetDefinition } from "../asset.js";
import { suggestion } from "../check-validation.js";
import { DefinitionError } from "../errors.js";
import type { PartitionsDefinition } from "../partitions/partitions-definition.js";
import type { AutomationCondition } from "./automation-condition.js";

/**
 * Checks the automation of the assets of a Definitions, once the graph is known. Throws
 * DefinitionError naming the asset for: automation on an external or observable source asset
 * (Sluice does not materialize them); `ignore`/`allow` naming an unknown asset (with a did-you-mean)
 * or one that is not a dep of the asset; an `inLatestTimeWindow` lookback on an asset (or, inside a
 * deps condition, a dep) whose partitions have no time windows, where it cannot mean anything.
 */
export function checkAutomation(assets: ReadonlyMap<string, AssetDefinition>): void {
  for (const def of assets.values()) {
    if (def.automation === undefined) continue;
    const kind = assetKindOf(def);
    if (kind !== AssetKind.Materializable) {
      const what = kind === AssetKind.External ? "an external asset (assetSpec)" : "an observable source asset";
      throw new DefinitionError(
        `Asset "${def.key}" is ${what}, and has automation: Sluice never materializes it, so there is nothing to request. ` +
          `Remove its automation, and give one to the assets downstream of it (AutomationCondition.eager() reacts to its updates).`,
        def.key,
      );
    }
    checkNode(def.automation, def, assets, def.partitions, null);
  }
}

function checkNode(node: AutomationCondition, def: AssetDefinition, assets: ReadonlyMap<string, AssetDefinition>, partitions: PartitionsDefinition | undefined, dep: string | null): void {
  if (node.type === "in_latest_time_window" && node.params.lookback != null && !hasTimeWindows(partitions)) {
    const whose = dep === null ? `asset "${def.key}" ${describePartitions(partitions)}` : `its dep "${dep}" ${describePartitions(partitions)}`;
    throw new DefinitionError(
      `Asset "${def.key}": inLatestTimeWindow(${JSON.stringify(node.params.lookback)}) has a lookback, but ${whose}, not by time windows: ` +
        `a lookback only applies to time-window partitions. Remove the lookback (inLatestTimeWindow() is then true for every partition).`,
      def.key,
    );
  }
  if (node.type === "any_deps_match" || node.type === "all_deps_match" || node.type === "all_deps_updated_since_cron") {
    const deps = [...new Set([...Object.values(def.ins), ...def.deps])];
    for (const option of ["ignore", "allow"] as const) {
      for (const key of node.params[option] ?? []) {
        if (!assets.has(key)) {
          throw new DefinitionError(
            `Asset "${def.key}": ${option} names unknown asset "${key}"${suggestion(key, [...assets.keys()])} in its automation condition "${node.describe()}". ` +
              `Name one of its deps: ${deps.map((k) => `"${k}"`).join(", ") || "(it has none)"}.`,
            def.key,
          );
        }
        if (!deps.includes(key)) {
          throw new DefinitionError(
            `Asset "${def.key}": ${option} names "${key}" in its automation condition "${node.describe()}", but "${key}" is not a dep of "${def.key}". ` +
              `Name one of its deps: ${deps.map((k) => `"${k}"`).join(", ") || "(it has none)"}.`,
            def.key,
          );
        }
      }
    }
    if (node.type !== "all_deps_updated_since_cron") {
      const considered = deps.filter((k) => !(node.params.ignore ?? []).includes(k) && (node.params.allow == null || node.params.allow.includes(k)));
      for (const key of considered) checkNode(node.children[0]!, def, assets, assets.get(key)!.partitions, key);
    }
    return;
  }
  for (const child of node.children) checkNode(child, def, assets, partitions, dep);
}

function hasTimeWindows(partitions: PartitionsDefinition | undefined): boolean {
  return partitions?.type === "time_window" || (partitions?.type === "multi" && partitions.timeDimension !== undefined);
}

function describePartitions(partitions: PartitionsDefinition | undefined): string {
  return partitions === undefined ? "is not partitioned" : `is partitioned by ${partitions.describe()}`;
}

