import type { ConfigSchema, ConfigValue } from "./config-schema.js";
import type { MetadataInput } from "./metadata.js";
import type { UnwrapOutput } from "./output.js";
import type { PartitionsDefinition, TimeWindow } from "./partitions/partitions-definition.js";
import { resourceDefinitionsOf, type ResourceDefinition, type ResourceValue } from "./resource.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { StepLogger } from "./step-logger.js";

const ASSET_BRAND = Symbol.for("sluice.asset");
/** Phantom property carrying an asset's output type; never set at run time. */
declare const OUTPUT_TYPE: unique symbol;
/** Phantom member saying whether an asset is partitioned; never set at run time. */
declare const PARTITIONED: unique symbol;

/** The group of assets that name none. */
export const DEFAULT_GROUP = "default";

/**
 * What an asset's function receives besides its inputs. `TKey` is `string` for a partitioned
 * asset, `null` for an unpartitioned one.
 */
export interface AssetContext<TConfig = unknown, TResources = Record<string, unknown>, TKey extends string | null = string | null> {
  readonly runId: string;
  readonly assetKey: string;
  /** 1 for the first attempt, 2 for the first retry... */
  readonly attempt: number;
  /** The partition being materialized, or null for an unpartitioned asset. */
  readonly partitionKey: TKey;
  /**
   * The time window of the partition (`start` included, `end` excluded) when the asset has time
   * partitions, or multi partitions with one time dimension; else null.
   */
  readonly partitionTimeWindow: TimeWindow | null;
  /** For multi-dimensional partitions, the key of each dimension (`{ date: "2025-01-01", device: "dev-1" }`); else null. */
  readonly partitionKeys: Readonly<Record<string, string>> | null;
  /** The asset's config, parsed by its schema (defaults applied, env vars resolved). */
  readonly config: TConfig;
  readonly resources: TResources;
  readonly log: StepLogger;
  /** Aborted when the run is canceled; pass it to fetch() and friends. */
  readonly signal: AbortSignal;
  /** Adds metadata to this materialization (beside what `output()` returns). */
  addMetadata(metadata: MetadataInput): void;
}

/** An upstream reference: an asset definition (typed) or its key (untyped). */
export type AssetRef = AssetDefinition<unknown> | string;

/** Inputs of an asset: input name → upstream asset (its definition, or its key). */
export type AssetInputs = Record<string, AssetDefinition<any> | string>;

/**
 * The values an asset's function receives for its inputs. An unpartitioned asset receives a
 * partitioned upstream asset as every materialized partition, `{ [partition key]: value }`.
 */
export type InputValues<TIns, TSelfPartitioned extends boolean = boolean> = {
  [K in keyof TIns]: TIns[K] extends AssetDefinition<infer O, infer P>
    ? [TSelfPartitioned] extends [true]
      ? O
      : [P] extends [true]
        ? Record<string, O>
        : O
    : unknown;
};

/** Resources an asset, op, schedule or sensor needs: name → resource definition (typed) or name only (untyped). */
export type ResourceRequirements = Record<string, ResourceDefinition<any, any> | string>;

/** The values a function receives as `context.resources` (asset, op, schedule, sensor). */
export type ResourceValues<TRes> = {
  [K in keyof TRes]: TRes[K] extends ResourceDefinition<any, any> ? ResourceValue<TRes[K]> : unknown;
};

/**
 * An asset: a named, persisted value and the function that computes it from other assets.
 * `TPartitioned` is true for an asset declared with `partitions` (it types downstream inputs).
 */
export interface AssetDefinition<TOut = unknown, TPartitioned extends boolean = boolean> {
  readonly [ASSET_BRAND]: true;
  readonly [OUTPUT_TYPE]?: TOut;
  readonly [PARTITIONED]?: TPartitioned;
  readonly kind: "asset";
  /** Path-like key, e.g. `raw/orders`. */
  readonly key: string;
  /** Input name → upstream asset key; the values are passed to `run`. */
  readonly ins: Readonly<Record<string, string>>;
  /** Upstream keys that must be materialized first but whose values are not passed. */
  readonly deps: readonly string[];
  readonly group: string;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly owners: readonly string[];
  readonly kinds: readonly string[];
  readonly metadata: MetadataInput;
  readonly configSchema: ConfigSchema | undefined;
  /** Resource name → definition the asset was declared with (undefined: bound by name only). */
  readonly resources: Readonly<Record<string, ResourceDefinition<any, any> | undefined>>;
  readonly retry: RetryPolicy | undefined;
  /** Name of the resource that stores and loads this asset's value. */
  readonly ioManager: string;
  /** How the asset is partitioned, or undefined when it is one value. */
  readonly partitions: PartitionsDefinition | undefined;
  readonly run: (inputs: Record<string, unknown>, context: AssetContext<any, any>) => unknown;
}

/**
 * Whether a partitions option makes an asset partitioned, as a type: `true`, else `boolean` (not
 * `false`, so that unpartitioned definitions keep the plain `AssetDefinition<T>` type).
 */
export type IsPartitioned<TParts> = TParts extends PartitionsDefinition ? true : boolean;
/** The type of `context.partitionKey` for a partitions option: a string when partitioned. */
export type PartitionKeyOf<TParts> = TParts extends PartitionsDefinition ? string : null;

/** What `asset()` takes. */
export interface AssetSpec<
  TIns extends AssetInputs,
  TSchema extends ConfigSchema | undefined,
  TRes extends ResourceRequirements,
  TReturn,
  TParts extends PartitionsDefinition | undefined = undefined,
> {
  /** Path-like key: components of letters, digits, `_`, `-`, `.`, separated by `/`. */
  key: string;
  /** Upstream assets whose values the function receives, by input name. */
  ins?: TIns;
  /** Upstream assets that must run first, without passing their values. */
  deps?: readonly AssetRef[];
  /** Group shown in the UI and selectable with `group:NAME` (default "default"). */
  group?: string;
  description?: string;
  tags?: Record<string, string>;
  owners?: string[];
  /** Technologies the asset is stored in or computed with (`duckdb`, `csv`...). */
  kinds?: string[];
  /** Static metadata about the asset (not per materialization). */
  metadata?: MetadataInput;
  /** Schema of the asset's config; values come from run config `ops.<key>.config`. */
  config?: TSchema;
  /** Resources the function uses, by name. */
  resources?: TRes;
  retry?: RetryPolicy;
  /** Resource that stores and loads this asset's value (default "io_manager"). */
  ioManager?: string;
  /**
   * Materialize the asset one partition at a time (`dailyPartitions(...)`, `staticPartitions([...])`,
   * `multiPartitions({...})`). Its partitioned inputs must have the same partitions; an
   * unpartitioned asset downstream receives every materialized partition as `{ [key]: value }`.
   */
  partitions?: TParts;
  /** Computes the asset. Return the value, or `output(value, { metadata })`. */
  run: (
    inputs: InputValues<TIns, IsPartitioned<TParts>>,
    context: AssetContext<ConfigValue<TSchema>, ResourceValues<TRes>, PartitionKeyOf<TParts>>,
  ) => TReturn;
}

/** Name of the IO manager resource assets use unless they name another. */
export const DEFAULT_IO_MANAGER = "io_manager";

/**
 * Declares an asset. Its inputs are typed from the upstream assets' return types.
 * @example
 * const rawOrders = asset({ key: "raw/orders", group: "ingest", run: async () => readCsv("orders.csv") });
 * const totals = asset({
 *   key: "daily_totals",
 *   ins: { orders: rawOrders },          // `orders` is typed as rawOrders' rows
 *   run: ({ orders }) => totalsByDay(orders),
 * });
 */
export function asset<
  const TIns extends AssetInputs = {},
  TSchema extends ConfigSchema | undefined = undefined,
  const TRes extends ResourceRequirements = {},
  TReturn = unknown,
  TParts extends PartitionsDefinition | undefined = undefined,
>(spec: AssetSpec<TIns, TSchema, TRes, TReturn, TParts>): AssetDefinition<UnwrapOutput<Awaited<TReturn>>, IsPartitioned<TParts>> {
  const ins: Record<string, string> = {};
  for (const [name, ref] of Object.entries(spec.ins ?? {})) ins[name] = refKey(ref);
  const resources = resourceDefinitionsOf(spec.resources);
  return {
    [ASSET_BRAND]: true,
    kind: "asset",
    key: spec.key,
    ins,
    deps: (spec.deps ?? []).map(refKey),
    group: spec.group ?? DEFAULT_GROUP,
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    owners: [...(spec.owners ?? [])],
    kinds: [...(spec.kinds ?? [])],
    metadata: spec.metadata ?? {},
    configSchema: spec.config,
    resources,
    retry: spec.retry,
    ioManager: spec.ioManager ?? DEFAULT_IO_MANAGER,
    partitions: spec.partitions,
    run: spec.run as AssetDefinition["run"],
  };
}

function refKey(ref: AssetRef | AssetDefinition<any>): string {
  return typeof ref === "string" ? ref : ref.key;
}

/** True for a value made by `asset()` (from any copy of this package). */
export function isAssetDefinition(value: unknown): value is AssetDefinition {
  return typeof value === "object" && value !== null && ASSET_BRAND in value;
}

/** Every upstream key of an asset: inputs first, then ordering-only deps, without repeats. */
export function upstreamKeys(definition: AssetDefinition<unknown>): string[] {
  return [...new Set([...Object.values(definition.ins), ...definition.deps])];
}
