import { asset, type AssetContext, type AssetDefinition, type AssetDep, type AssetInputs, type HasBackfillPolicy, type MultiAssetMembership, type InputValues, type IsMulti, type IsPartitioned, type PartitionKeyOf, type ResourceRequirements, type ResourceValues } from "./asset.js";
import type { AutomationCondition } from "./automation/automation-condition.js";
import type { ConfigSchema, ConfigValue } from "./config-schema.js";
import { DefinitionError } from "./errors.js";
import type { MetadataInput } from "./metadata.js";
import type { UnwrapOutput } from "./output.js";
import type { BackfillPolicy } from "./partitions/backfill-policy.js";
import type { PartitionsDefinition } from "./partitions/partitions-definition.js";
import type { RetryPolicy } from "./retry-policy.js";

const MULTI_ASSET_BRAND = Symbol.for("sluice.multi_asset");

/** Names of multi-assets: they are step keys and run config names (`ops.NAME.config`). */
export const MULTI_ASSET_NAME_PATTERN = /^[A-Za-z0-9_]+$/;

/** One output of a multi-asset: the asset it materializes, described as an asset is. */
export interface MultiAssetOut {
  /** The asset key of this output. */
  key: string;
  group?: string;
  description?: string;
  tags?: Record<string, string>;
  owners?: string[];
  kinds?: string[];
  metadata?: MetadataInput;
  /** Resource that stores and loads this output's value (default "io_manager"). */
  ioManager?: string;
  /** When the automation loop materializes this output (see `AutomationCondition`); a run of it computes the multi-asset's step. */
  automation?: AutomationCondition;
}

/** What a multi-asset's function receives besides its inputs. */
export type MultiAssetContext<TConfig = unknown, TResources = Record<string, unknown>, TKey extends string | null = string | null, TOutName extends string = string> = Omit<
  AssetContext<TConfig, TResources, TKey>,
  "assetKey" | "addMetadata"
> & {
  /** The multi-asset's name (its step key). */
  readonly name: string;
  /** The outputs this run computes (all of them unless `canSubset` and the run selected fewer). */
  readonly selectedOutputs: readonly TOutName[];
  /** The asset keys of those outputs. */
  readonly selectedAssetKeys: readonly string[];
  /** Adds metadata to the materialization of one output (beside what `output()` returns). */
  addMetadata(outName: TOutName, metadata: MetadataInput): void;
};

/** What `multiAsset()` takes. */
export interface MultiAssetSpec<
  TOuts extends Record<string, MultiAssetOut>,
  TIns extends AssetInputs,
  TSchema extends ConfigSchema | undefined,
  TRes extends ResourceRequirements,
  TReturn,
  TParts extends PartitionsDefinition | undefined = undefined,
  TPolicy extends BackfillPolicy | undefined = undefined,
> {
  /** Letters, digits and `_`: the step key of the run and the run config name (`ops.NAME.config`). */
  name: string;
  /** Output name → the asset it materializes. At least one. */
  outs: TOuts;
  /** Upstream assets whose values the function receives (shared by every output). */
  ins?: TIns;
  /** Upstream assets that must run first, without passing their values. */
  deps?: readonly AssetDep[];
  config?: TSchema;
  resources?: TRes;
  retry?: RetryPolicy;
  /** Partitions of every output. */
  partitions?: TParts;
  backfillPolicy?: TPolicy;
  /**
   * True when the function can compute only the outputs a run selects (`context.selectedOutputs`).
   * Otherwise a run that selects some outputs computes and materializes all of them.
   */
  canSubset?: boolean;
  /**
   * Computes the outputs: returns `{ [out name]: value }` (each value may be `output(value, {...})`),
   * with every selected output and no other.
   */
  run: (
    inputs: InputValues<TIns, IsPartitioned<TParts>, IsMulti<TParts>, HasBackfillPolicy<TPolicy>>,
    context: MultiAssetContext<ConfigValue<TSchema>, ResourceValues<TRes>, PartitionKeyOf<TParts>, Extract<keyof TOuts, string>>,
  ) => TReturn;
}

/** The asset definitions of a multi-asset's outputs, typed from what its function returns. */
export type MultiAssetOutputs<TOuts, TReturn, TPartitioned extends boolean> = {
  readonly [K in keyof TOuts]: AssetDefinition<K extends keyof Awaited<TReturn> ? UnwrapOutput<Awaited<TReturn>[K]> : unknown, TPartitioned>;
};

/** Several assets computed together by one function, in one step (Dagster's `@multi_asset`). */
export interface MultiAssetDefinition<TAssets extends Record<string, AssetDefinition<any, any>> = Record<string, AssetDefinition<any, any>>> {
  readonly [MULTI_ASSET_BRAND]: true;
  readonly kind: "multi_asset";
  readonly name: string;
  readonly canSubset: boolean;
  /** Output name → its asset definition: use them in `ins` of downstream assets. */
  readonly assets: TAssets;
}

/**
 * Declares a multi-asset: one function that computes several assets at once. Give the multi-asset
 * itself to `defineDefinitions({ assets })`; its outputs (`m.assets.NAME`) are typed upstream assets.
 * @example
 * const split = multiAsset({
 *   name: "split_orders",
 *   outs: { paid: { key: "orders/paid" }, open: { key: "orders/open" } },
 *   ins: { orders: rawOrders },
 *   run: ({ orders }) => ({ paid: orders.filter((o) => o.paid), open: orders.filter((o) => !o.paid) }),
 * });
 * const revenue = asset({ key: "revenue", ins: { paid: split.assets.paid }, run: ({ paid }) => sum(paid) });
 */
export function multiAsset<
  const TOuts extends Record<string, MultiAssetOut>,
  const TIns extends AssetInputs = {},
  TSchema extends ConfigSchema | undefined = undefined,
  const TRes extends ResourceRequirements = {},
  TReturn extends { [K in keyof TOuts]?: unknown } | Promise<{ [K in keyof TOuts]?: unknown }> = { [K in keyof TOuts]?: unknown },
  TParts extends PartitionsDefinition | undefined = undefined,
  TPolicy extends BackfillPolicy | undefined = undefined,
>(spec: MultiAssetSpec<TOuts, TIns, TSchema, TRes, TReturn, TParts, TPolicy>): MultiAssetDefinition<MultiAssetOutputs<TOuts, TReturn, IsPartitioned<TParts>>> {
  const name = spec.name;
  if (typeof name !== "string" || !MULTI_ASSET_NAME_PATTERN.test(name)) {
    throw new DefinitionError(`Multi-asset name ${JSON.stringify(name)} is not valid: use letters, digits and "_" (it is the run's step key).`, String(name));
  }
  const outEntries = Object.entries(spec.outs ?? {});
  if (outEntries.length === 0) {
    throw new DefinitionError(`Multi-asset "${name}" has no outs. Give it at least one: outs: { result: { key: "my/asset" } }.`, name);
  }
  const outs: Record<string, string> = {};
  const byKey = new Map<string, string>();
  for (const [outName, out] of outEntries) {
    if (typeof out !== "object" || out === null || typeof out.key !== "string") {
      throw new DefinitionError(`Multi-asset "${name}": out "${outName}" has no key. Give it { key: "my/asset" }.`, name);
    }
    const earlier = byKey.get(out.key);
    if (earlier !== undefined) {
      throw new DefinitionError(`Multi-asset "${name}": outs "${earlier}" and "${outName}" both have asset key "${out.key}". Give each out its own key.`, out.key);
    }
    byKey.set(out.key, outName);
    outs[outName] = out.key;
  }
  const canSubset = spec.canSubset === true;
  const run = spec.run as (inputs: Record<string, unknown>, context: unknown) => unknown;
  const assets: Record<string, AssetDefinition> = {};
  for (const [outName, out] of outEntries) {
    const def = asset({
      key: out.key,
      ...(spec.ins ? { ins: spec.ins } : {}),
      ...(spec.deps ? { deps: spec.deps } : {}),
      ...(out.group !== undefined ? { group: out.group } : {}),
      ...(out.description !== undefined ? { description: out.description } : {}),
      ...(out.tags ? { tags: out.tags } : {}),
      ...(out.owners ? { owners: out.owners } : {}),
      ...(out.kinds ? { kinds: out.kinds } : {}),
      ...(out.metadata ? { metadata: out.metadata } : {}),
      ...(spec.config ? { config: spec.config } : {}),
      ...(spec.resources ? { resources: spec.resources } : {}),
      ...(spec.retry ? { retry: spec.retry } : {}),
      ...(out.ioManager !== undefined ? { ioManager: out.ioManager } : {}),
      ...(out.automation !== undefined ? { automation: out.automation } : {}),
      ...(spec.partitions ? { partitions: spec.partitions } : {}),
      ...(spec.backfillPolicy ? { backfillPolicy: spec.backfillPolicy } : {}),
      // The multi-asset's step calls `run` once for all outputs; this asset never runs alone.
      run,
    } as Parameters<typeof asset>[0]) as AssetDefinition;
    const multi: MultiAssetMembership = { name, outName, outs, canSubset };
    assets[outName] = { ...def, multiAsset: multi };
  }
  return { [MULTI_ASSET_BRAND]: true, kind: "multi_asset", name, canSubset, assets: assets as MultiAssetOutputs<TOuts, TReturn, IsPartitioned<TParts>> };
}

/** True for a value made by `multiAsset()` (from any copy of this package). */
export function isMultiAssetDefinition(value: unknown): value is MultiAssetDefinition {
  return typeof value === "object" && value !== null && MULTI_ASSET_BRAND in value;
}

/**
 * The key of the step that materializes an asset in a run: the multi-asset's name for one of its
 * outputs, else the asset's own key (for plans, step stats and events that name steps).
 */
export function assetStepKey(def: Pick<AssetDefinition, "key" | "multiAsset">): string {
  return def.multiAsset?.name ?? def.key;
}
