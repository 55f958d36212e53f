/**
 * Partition rules that involve several assets: checked once when definitions load (an asset and
 * its partitioned upstream must agree), and whenever a run is asked for (one partitions definition
 * per run, a key it has).
 */
import { upstreamKeys, type AssetDefinition } from "../asset.js";
import { DefinitionError, PartitionError } from "../errors.js";
import { isPartitionsDefinition, samePartitions, type PartitionsDefinition } from "./partitions-definition.js";

/**
 * Checks every asset's `partitions` and that a partitioned asset's partitioned upstream assets
 * (inputs and deps) have the same partitions: partitions pass one to one, so the same key must
 * name the same slice on both sides. Throws DefinitionError naming both assets and both definitions.
 */
export function checkAssetPartitions(assets: ReadonlyMap<string, AssetDefinition>): void {
  for (const def of assets.values()) {
    if (def.partitions !== undefined && !isPartitionsDefinition(def.partitions)) {
      throw new DefinitionError(
        `Asset "${def.key}": partitions must come from dailyPartitions(), hourlyPartitions(), weeklyPartitions(), ` +
          `monthlyPartitions(), timeWindowPartitions(), staticPartitions(), dynamicPartitions() or multiPartitions().`,
        def.key,
      );
    }
  }
  for (const def of assets.values()) {
    if (!def.partitions) continue;
    for (const upKey of upstreamKeys(def)) {
      const up = assets.get(upKey)?.partitions;
      if (!up || samePartitions(up, def.partitions)) continue;
      throw new DefinitionError(
        `Asset "${def.key}" is partitioned by ${def.partitions.describe()}, but its upstream asset "${upKey}" is ` +
          `partitioned by ${up.describe()}. Partitions pass from one asset to the next one to one, so both must ` +
          `use the same partitions: share one definition between them, or make one of them unpartitioned.`,
        def.key,
      );
    }
  }
}

/**
 * The partitions of a set of assets run together (a selection, an asset job), or undefined when
 * none is partitioned. Throws PartitionError when partitioned assets disagree: one run
 * materializes one partition key.
 */
export function partitionsOf(assets: ReadonlyMap<string, AssetDefinition>, keys: readonly string[]): PartitionsDefinition | undefined {
  let found: { key: string; partitions: PartitionsDefinition } | undefined;
  for (const key of keys) {
    const partitions = assets.get(key)?.partitions;
    if (!partitions) continue;
    if (!found) found = { key, partitions };
    else if (!samePartitions(found.partitions, partitions)) {
      throw new PartitionError(
        `Assets "${found.key}" (${found.partitions.describe()}) and "${key}" (${partitions.describe()}) have different ` +
          `partitions, so one run cannot materialize both: a run materializes one partition key. Select them in separate runs.`,
        null,
        [found.key, key],
      );
    }
  }
  return found?.partitions;
}

/**
 * Checks the partition key of a run of `keys` (asset keys) whose partitioned assets have
 * `partitions`: a partitioned run needs a key the definition has at `now`, an unpartitioned one
 * takes none. `what` names the run's target in messages (`job "nightly"`, or omitted for a
 * selection). Throws PartitionError naming the assets and the valid keys.
 */
export function checkPartitionKey(
  assets: ReadonlyMap<string, AssetDefinition>,
  keys: readonly string[],
  partitions: PartitionsDefinition | undefined,
  partitionKey: string | null | undefined,
  now: Date = new Date(),
  what?: string,
): void {
  const partitioned = keys.filter((k) => assets.get(k)?.partitions);
  if (!partitions) {
    if (partitionKey !== null && partitionKey !== undefined) {
      throw new PartitionError(
        `Partition "${partitionKey}" was given, but ${what ? `${what}: ` : ""}${keys.length === 1 ? `asset "${keys[0]}" is not` : "none of the selected assets is"} partitioned. ` +
          `Leave out the partition, or select partitioned assets.`,
        partitionKey,
        keys,
      );
    }
    return;
  }
  const names = listAssets(partitioned);
  if (partitionKey === null || partitionKey === undefined) {
    const latest = partitions.lastKey(now);
    const subject = what
      ? `${what[0]!.toUpperCase()}${what.slice(1)} materializes partitioned ${names}`
      : `${names[0]!.toUpperCase()}${names.slice(1)} ${partitioned.length === 1 ? "is" : "are"} partitioned`;
    throw new PartitionError(
      `${subject} (${partitions.describe()}), so a run needs a partition key: pass --partition KEY (partitionKey in code)` +
        `${latest ? `, e.g. the latest: --partition ${latest}` : ""}.`,
      null,
      partitioned,
    );
  }
  const problem = partitions.explainInvalid(partitionKey, now);
  if (problem) throw new PartitionError(`${problem} (Partitioned: ${names}.)`, partitionKey, partitioned);
}

function listAssets(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => `"${k}"`);
  const text = shown.length === 1 ? `asset ${shown[0]}` : `assets ${shown.join(", ")}`;
  return keys.length > 5 ? `${text} and ${keys.length - 5} more` : text;
}
