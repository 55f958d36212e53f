import type { AssetDefinition } from "../../definitions/asset.js";
import type { AutomationRequest } from "./evaluate-automation.js";

/**
 * Groups requested asset partitions into runs: one per (partitions definition, partition key), and
 * one for every unpartitioned asset; asset keys in the order given (topological), groups in the
 * order of their first asset.
 */
export function groupRequests(requested: readonly { def: AssetDefinition; keys: readonly string[] }[]): AutomationRequest[] {
  const groups = new Map<string, AutomationRequest>();
  for (const { def, keys } of requested) {
    for (const key of keys) {
      const id = def.partitions ? `${def.partitions.id}\0${key}` : "";
      let group = groups.get(id);
      if (group === undefined) {
        group = { assetKeys: [], partition: def.partitions ? key : null };
        groups.set(id, group);
      }
      group.assetKeys.push(def.key);
    }
  }
  return [...groups.values()];
}
