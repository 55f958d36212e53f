import type { AssetDefinition } from "../asset.js";
import { UsageError } from "../errors.js";
import type { DynamicPartitionsDefinition } from "./dynamic-partitions.js";

/** Dynamic partitions of one name, as the definitions declare them. */
export interface DeclaredDynamicPartitions {
  readonly name: string;
  /** Every definition object of that name (users may call `dynamicPartitions("x")` more than once). */
  readonly definitions: readonly DynamicPartitionsDefinition[];
  /** The assets partitioned by them (directly, or as a dimension of multi partitions). */
  readonly assetKeys: readonly string[];
}

const cache = new WeakMap<ReadonlyMap<string, AssetDefinition>, ReadonlyMap<string, DeclaredDynamicPartitions>>();

/**
 * The dynamic partitions the assets use (directly, or as a dimension of multi partitions), by
 * name, sorted by name. Computed once per assets map.
 */
export function declaredDynamicPartitions(assets: ReadonlyMap<string, AssetDefinition>): ReadonlyMap<string, DeclaredDynamicPartitions> {
  const cached = cache.get(assets);
  if (cached) return cached;
  const found = new Map<string, { definitions: Set<DynamicPartitionsDefinition>; assetKeys: string[] }>();
  for (const def of assets.values()) {
    const partitions = def.partitions;
    if (!partitions) continue;
    const dynamic = partitions.type === "dynamic" ? [partitions] : partitions.type === "multi" ? partitions.dimensions.flatMap((d) => (d.partitions.type === "dynamic" ? [d.partitions] : [])) : [];
    for (const p of dynamic) {
      const entry = found.get(p.name) ?? { definitions: new Set(), assetKeys: [] };
      entry.definitions.add(p);
      entry.assetKeys.push(def.key);
      found.set(p.name, entry);
    }
  }
  const result = new Map(
    [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, e]) => [name, { name, definitions: [...e.definitions], assetKeys: e.assetKeys }] as const),
  );
  cache.set(assets, result);
  return result;
}

/**
 * The declared dynamic partitions `name`. Throws UsageError naming the dynamic partitions the
 * definitions declare when `name` is not one of them.
 */
export function requireDynamicPartitions(assets: ReadonlyMap<string, AssetDefinition>, name: string): DeclaredDynamicPartitions {
  const declared = declaredDynamicPartitions(assets);
  const found = declared.get(name);
  if (found) return found;
  const names = [...declared.keys()];
  throw new UsageError(
    `Dynamic partitions ${JSON.stringify(name)} are not declared in these definitions: ` +
      (names.length === 0
        ? `no asset is partitioned by dynamicPartitions(). Declare them with dynamicPartitions(${JSON.stringify(name)}) on an asset.`
        : `the declared dynamic partitions are ${names.map((n) => JSON.stringify(n)).join(", ")}.`),
  );
}
