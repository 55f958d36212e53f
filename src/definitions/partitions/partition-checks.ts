/**
 * Partition rules that involve several assets: checked once when definitions load (an asset and
 * its partitioned upstream must agree), and whenever a run is asked for (one partitions definition
 * per run, a key it has).
 */
import { upstreamKeys, type AssetDefinition, type PartitionKeyRange } from "../asset.js";
import { DefinitionError, PartitionError } from "../errors.js";
import { describeBackfillPolicy, isBackfillPolicy } from "./backfill-policy.js";
import { effectiveMapping, readsOneKey } from "./default-mapping.js";
import type { PartitionMapping, PartitionPair } from "./partition-mapping.js";
import { isPartitionsDefinition, samePartitions, type PartitionsDefinition } from "./partitions-definition.js";

/**
 * The mapping between an asset and one of its upstream assets (declared, or the default one), with
 * the pair it relates; undefined when the upstream is unpartitioned (its one value is read).
 * Throws DefinitionError when no mapping fits (see `effectiveMapping()`).
 */
export function mappingOf(def: AssetDefinition, upstream: AssetDefinition): { mapping: PartitionMapping; pair: PartitionPair } | undefined {
  if (!upstream.partitions) return undefined;
  const pair: PartitionPair = { upstreamAsset: upstream.key, upstream: upstream.partitions, downstreamAsset: def.key, downstream: def.partitions };
  return { mapping: effectiveMapping(def.partitionMappings[upstream.key], pair), pair };
}

/**
 * Checks every asset's `partitions` and `backfillPolicy`, and the partition mapping between each
 * asset and each partitioned upstream asset (inputs and deps): the declared one must fit both
 * partitions, and where none is declared a default must apply. An input whose default mapping
 * would read several upstream keys into a value typed as one (hourly → daily) must declare its
 * mapping, which types it `Record<string, T>`. Throws DefinitionError naming both assets and both
 * definitions.
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
    if (def.backfillPolicy === undefined) continue;
    if (!isBackfillPolicy(def.backfillPolicy)) throw new DefinitionError(`Asset "${def.key}": backfillPolicy must come from singleRun() or multiRun(n).`, def.key);
    if (!def.partitions) {
      throw new DefinitionError(`Asset "${def.key}" has backfillPolicy ${describeBackfillPolicy(def.backfillPolicy)} but no partitions; a backfill policy says how many partitions one run may materialize.`, def.key);
    }
  }
  for (const def of assets.values()) {
    const inputs = new Set(Object.values(def.ins));
    for (const upKey of upstreamKeys(def)) {
      const up = assets.get(upKey);
      if (!up) continue;
      const declared = def.partitionMappings[upKey];
      if (!up.partitions) {
        if (declared) {
          throw new DefinitionError(`Asset "${def.key}" reads asset "${upKey}" through ${declared.describe()}, but "${upKey}" is not partitioned: there is nothing to map. Remove the mapping.`, def.key);
        }
        continue;
      }
      const { mapping, pair } = mappingOf(def, up)!;
      if (!declared && def.partitions && !def.backfillPolicy && inputs.has(upKey) && !readsOneKey(mapping, pair)) {
        const name = Object.entries(def.ins).find(([, k]) => k === upKey)![0];
        throw new DefinitionError(
          `Asset "${def.key}" (${def.partitions.describe()}) reads input "${name}" from asset "${upKey}" (${up.partitions.describe()}), ` +
            `and each of its partitions reads several partitions of "${upKey}" (${mapping.describe()}). Declare the mapping ` +
            `so that the input is typed as { [partition key]: value }: ins: { ${name}: { asset: ${JSON.stringify(upKey)}, mapping: ${mapping.describe().split(" (")[0]} } }.`,
          def.key,
        );
      }
    }
  }
}

/**
 * Checks a run over the partition range `range` of `keys` (asset keys) whose partitioned assets
 * have `partitions`: both ends exist at `now`, the start comes first, every partitioned asset has
 * a backfill policy, and the range is no longer than a `multiRun(n)` allows. Returns the keys of
 * the range in order. Throws PartitionError naming the assets and the valid range.
 */
export function checkPartitionRange(
  assets: ReadonlyMap<string, AssetDefinition>,
  keys: readonly string[],
  partitions: PartitionsDefinition | undefined,
  range: PartitionKeyRange,
  now: Date = new Date(),
  what?: string,
): string[] {
  const text = `${range.start}...${range.end}`;
  const partitioned = keys.filter((k) => assets.get(k)?.partitions);
  if (!partitions) {
    throw new PartitionError(`Partition range "${text}" was given, but ${what ? `${what}: ` : ""}none of the selected assets is partitioned. Leave out the range.`, text, keys);
  }
  const names = listAssets(partitioned);
  const valid = validRange(partitions, now);
  const noPolicy = partitioned.filter((k) => !assets.get(k)!.backfillPolicy);
  if (noPolicy.length) {
    throw new PartitionError(
      `A run over partition range "${text}" needs every partitioned asset to allow it, and ${listAssets(noPolicy)} ${noPolicy.length === 1 ? "has" : "have"} no backfillPolicy. ` +
        `Set backfillPolicy: singleRun() (or multiRun(n)) on ${noPolicy.length === 1 ? "it" : "them"}, or run one partition key at a time.`,
      text,
      noPolicy,
    );
  }
  for (const key of [range.start, range.end]) {
    if (typeof key !== "string") throw new PartitionError(`Partition range: start and end must be partition keys (strings). ${valid} (Partitioned: ${names}.)`, null, partitioned);
    const problem = partitions.explainInvalid(key, now);
    if (problem) throw new PartitionError(`Partition range "${text}": ${problem} (Partitioned: ${names}.)`, key, partitioned);
  }
  if (range.start !== range.end && partitions.sortKeys([range.end, range.start])[0] !== range.start) {
    throw new PartitionError(`Partition range "${text}" is backwards: "${range.start}" comes after "${range.end}". ${valid} (Partitioned: ${names}.)`, text, partitioned);
  }
  const inRange = partitions.keysBetween(range.start, range.end, now);
  for (const key of partitioned) {
    const policy = assets.get(key)!.backfillPolicy!;
    if (policy.type === "multi_run" && inRange.length > policy.maxPartitionsPerRun) {
      throw new PartitionError(
        `Partition range "${text}" holds ${inRange.length} partitions, and asset "${key}" has backfillPolicy ${describeBackfillPolicy(policy)}: ` +
          `one run materializes at most ${policy.maxPartitionsPerRun}. Split the range.`,
        text,
        [key],
      );
    }
  }
  return inRange;
}

function validRange(partitions: PartitionsDefinition, now: Date): string {
  const first = partitions.firstKey(now);
  if (first === undefined) return `${partitions.describe()} has no partitions yet.`;
  const n = partitions.count(now);
  return `Valid keys run from "${first}" to "${partitions.lastKey(now)}" (${n} partition${n === 1 ? "" : "s"}).`;
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
