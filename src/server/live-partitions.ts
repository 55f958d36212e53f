import { declaredDynamicPartitions } from "../definitions/partitions/declared-dynamic-partitions.js";
import type { LoadedLocation } from "../instance/code-location.js";
import type { DefinitionsSnapshot } from "../instance/snapshot.js";
import { loadDynamicPartitions } from "../runs/dynamic-partitions.js";
import type { Storage } from "../storage/storage.js";

/**
 * The snapshot of the loaded definitions, with the partitions of assets and jobs on dynamic
 * partitions as storage holds them now (the snapshot was taken when the definitions loaded, and
 * their keys change without a reload). The snapshot itself when nothing uses dynamic partitions.
 */
export async function withLivePartitions(storage: Storage, loaded: LoadedLocation): Promise<DefinitionsSnapshot> {
  const { defs, snapshot } = loaded;
  const declared = declaredDynamicPartitions(defs.assets);
  if (declared.size === 0) return snapshot;
  await loadDynamicPartitions(defs, storage);
  const dynamicAssets = new Set([...declared.values()].flatMap((d) => d.assetKeys));
  const now = new Date();
  return {
    ...snapshot,
    assets: snapshot.assets.map((a) => (dynamicAssets.has(a.key) ? { ...a, partitions: defs.assets.get(a.key)?.partitions?.toSnapshot(now) ?? a.partitions } : a)),
    jobs: snapshot.jobs.map((j) => {
      const partitions = defs.jobs.get(j.name)?.partitions;
      const dynamic = partitions?.type === "dynamic" || (partitions?.type === "multi" && partitions.dimensions.some((d) => d.partitions.type === "dynamic"));
      return dynamic ? { ...j, partitions: partitions.toSnapshot(now) } : j;
    }),
  };
}
