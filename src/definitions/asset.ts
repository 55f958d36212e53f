import { inlineChecks, type AssetCheckDefinition, type InlineAssetCheckSpec } from "./asset-check.js";
import type { ConfigSchema, ConfigValue } from "./config-schema.js";
import type { MetadataInput } from "./metadata.js";
import type { UnwrapOutput } from "./output.js";
import type { BackfillPolicy } from "./partitions/backfill-policy.js";
import type { MultiPartitionsDefinition } from "./partitions/multi-partitions.js";
import { isPartitionMapping, type MappingReads, type PartitionMapping } from "./partitions/partition-mapping.js";
import type { PartitionsDefinition, TimeWindow } from "./partitions/partitions-definition.js";
import { DefinitionError } from "./errors.js";
import type { AutomationCondition } from "./automation/automation-condition.js";
import { validateAutomation } from "./automation/validate-automation.js";
import { freshnessPolicy, type FreshnessPolicy, type FreshnessPolicyInput } from "./freshness-policy.js";
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
  /**
   * The partition being materialized, or null for an unpartitioned asset. In a run over a range
   * of partitions (an asset with a `backfillPolicy`) reading it throws an error: use
   * `partitionKeyRange` or `partitionKeysInRun` there.
   */
  readonly partitionKey: TKey;
  /**
   * The first and last key the run materializes (both included): the key twice in a one-key run,
   * the range in a range run; null for an unpartitioned asset.
   */
  readonly partitionKeyRange: PartitionKeyRange | null;
  /** Every partition key the run materializes, in order (one in a one-key run; none when unpartitioned). */
  readonly partitionKeysInRun: readonly string[];
  /**
   * The time window of the partition (`start` included, `end` excluded) when the asset has time
   * partitions, or multi partitions with one time dimension; in a range run, from the start of the
   * first partition to the end of the last; else null.
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

/** The first and the last partition key of a run over a range (both included). */
export interface PartitionKeyRange {
  readonly start: string;
  readonly end: string;
}

/** An upstream reference: an asset definition (typed) or its key (untyped). */
export type AssetRef = AssetDefinition<unknown> | string;

/**
 * An upstream asset read through a partition mapping: `{ asset: hourly, mapping: timeWindowMapping() }`,
 * in `ins` or `deps`. The mapping says which upstream partitions each partition of the asset reads.
 */
export interface MappedUpstream<TAsset extends AssetDefinition<any> | string = AssetDefinition<any> | string, TReads extends MappingReads = MappingReads> {
  readonly asset: TAsset;
  readonly mapping: PartitionMapping<TReads>;
}

/** Inputs of an asset: input name → upstream asset (its definition, its key, or either with a partition mapping). */
export type AssetInputs = Record<string, AssetDefinition<any> | string | MappedUpstream>;

/** An ordering-only upstream: an asset, its key, or either with a partition mapping. */
export type AssetDep = AssetRef | MappedUpstream;

type OutputOf<A> = A extends AssetDefinition<infer O, any> ? O : unknown;

/** The value of an input read through a mapping that reads `R` keys. */
type MappedValue<O, R, TSelfMulti extends boolean, TSelfRange extends boolean> = [TSelfRange] extends [true]
  ? Record<string, O>
  : [R] extends ["one"]
    ? O
    : [R] extends ["many"]
      ? Record<string, O>
      : [R] extends ["dimension"]
        ? [TSelfMulti] extends [true]
          ? O
          : Record<string, O>
        : unknown;

/**
 * The values an asset's function receives for its inputs. An unpartitioned asset receives a
 * partitioned upstream asset as every materialized partition, `{ [partition key]: value }`. An
 * input declared with a mapping is one value for `identityMapping()`, `lastPartition()` and a
 * `dimensionMapping()` read by the multi-partitioned side, else `{ [upstream key]: value }`. An
 * asset with a backfill policy (`TSelfRange`) may materialize several partitions in one run, so
 * each of its partitioned inputs is `{ [upstream key]: value }` in every run.
 */
export type InputValues<TIns, TSelfPartitioned extends boolean = boolean, TSelfMulti extends boolean = false, TSelfRange extends boolean = false> = {
  [K in keyof TIns]: TIns[K] extends MappedUpstream<infer A, infer R>
    ? MappedValue<OutputOf<A>, R, TSelfMulti, TSelfRange>
    : TIns[K] extends AssetDefinition<infer O, infer P>
      ? [TSelfPartitioned] extends [true]
        ? [TSelfRange] extends [true]
          ? [P] extends [true]
            ? Record<string, O>
            : O
          : O
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
  /**
   * Upstream key → the partition mapping declared for it (in `ins` or `deps`); upstream assets
   * without one use the default mapping (see `defaultMapping()`).
   */
  readonly partitionMappings: Readonly<Record<string, PartitionMapping>>;
  readonly group: string;
  readonly description: string | undefined;
  /** The version of the asset's logic, set by its author (see {@link AssetSpec.codeVersion}); null without one. */
  readonly codeVersion: string | null;
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
  /** How many partitions one run may materialize (`singleRun()`, `multiRun(n)`), or undefined: one. */
  readonly backfillPolicy: BackfillPolicy | undefined;
  /** How old the asset's data may be (validated), or undefined: no freshness policy. */
  readonly freshness: FreshnessPolicy | undefined;
  /** Checks declared inline (`checks: [...]`); `defineDefinitions` adds them to its `checks`. */
  readonly checks: readonly AssetCheckDefinition[];
  /** When the automation loop materializes it (see `AutomationCondition`), or undefined: never on its own. */
  readonly automation: AutomationCondition | undefined;
  readonly run: (inputs: Record<string, unknown>, context: AssetContext<any, any>) => unknown;
  /** Set when the asset is an output of a multi-asset, which computes it (see `multiAsset()`). */
  readonly multiAsset?: MultiAssetMembership;
  /**
   * What Sluice does with the asset: materializes it (undefined or "materializable"), only knows of
   * it ("external", from `assetSpec()`), or observes it ("observable", from `observableSourceAsset()`).
   */
  readonly assetKind?: AssetKind;
}

/** How Sluice treats an asset: see `AssetDefinition.assetKind`. */
export const AssetKind = {
  Materializable: "materializable",
  External: "external",
  Observable: "observable",
} as const;
/** One of the values of {@link AssetKind}. */
export type AssetKind = (typeof AssetKind)[keyof typeof AssetKind];

/** The asset's kind; assets made by `asset()` are materializable. */
export function assetKindOf(definition: Pick<AssetDefinition, "assetKind">): AssetKind {
  return definition.assetKind ?? AssetKind.Materializable;
}

/**
 * What an asset produced by a multi-asset knows of it: the step that computes it, and its
 * siblings.
 */
export interface MultiAssetMembership {
  /** The multi-asset's name: the key of the step that computes all its outputs. */
  readonly name: string;
  /** This asset's output name in the multi-asset. */
  readonly outName: string;
  /** Output name → asset key, for every output of the multi-asset. */
  readonly outs: Readonly<Record<string, string>>;
  /** True when a run may compute only some of the outputs. */
  readonly canSubset: boolean;
}

/**
 * Whether a partitions option makes an asset partitioned, as a type: `true`, else `boolean` (not
 * `false`, so that unpartitioned definitions keep the plain `AssetDefinition<T>` type).
 */
export type IsPartitioned<TParts> = TParts extends PartitionsDefinition ? true : boolean;
/** The type of `context.partitionKey` for a partitions option: a string when partitioned. */
export type PartitionKeyOf<TParts> = TParts extends PartitionsDefinition ? string : null;
/** Whether a partitions option is multi-dimensional, as a type. */
export type IsMulti<TParts> = TParts extends MultiPartitionsDefinition ? true : false;
/** Whether a backfill policy option is set, as a type. */
export type HasBackfillPolicy<TPolicy> = TPolicy extends BackfillPolicy ? true : false;

/** What `asset()` takes. */
export interface AssetSpec<
  TIns extends AssetInputs,
  TSchema extends ConfigSchema | undefined,
  TRes extends ResourceRequirements,
  TReturn,
  TParts extends PartitionsDefinition | undefined = undefined,
  TPolicy extends BackfillPolicy | undefined = undefined,
> {
  /** Path-like key: components of letters, digits, `_`, `-`, `.`, separated by `/`. */
  key: string;
  /**
   * Upstream assets whose values the function receives, by input name: an asset, its key, or
   * `{ asset, mapping }` to say which upstream partitions each partition reads.
   */
  ins?: TIns;
  /** Upstream assets that must run first, without passing their values (each may carry a mapping too). */
  deps?: readonly AssetDep[];
  /** Group shown in the UI and selectable with `group:NAME` (default "default"). */
  group?: string;
  description?: string;
  /**
   * The version of the code that computes it: change it when a change of the function changes its
   * result. A materialization records it, and the asset shows as stale once it differs; with one,
   * the data version of a materialization is derived from it and the data versions of its inputs.
   * At most 256 characters.
   */
  codeVersion?: string;
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
   * `multiPartitions({...})`). Partitioned upstream assets are read through a partition mapping
   * (declared in `ins`/`deps`, or the default one); an unpartitioned asset downstream receives every
   * materialized partition as `{ [key]: value }`.
   */
  partitions?: TParts;
  /**
   * Lets one run materialize a range of partitions: `singleRun()` (any range) or `multiRun(n)`.
   * The value the function returns is stored once for each partition of the range.
   */
  backfillPolicy?: TPolicy;
  /**
   * How old the asset's data may be: `{ maximumLag: "1h" }` (always at most an hour old), or
   * `{ cron: "0 9 * * *", cronTimezone: "Europe/Paris", maximumLag: "2h" }` (at each 09:00, data at
   * most 2 hours old). The daemon tracks it (FRESH, OVERDUE, UNKNOWN); see `freshnessSensor()`.
   */
  freshness?: FreshnessPolicyInput;
  /**
   * When the daemon's automation loop should materialize it: `AutomationCondition.eager()`,
   * `.onCron("0 * * * *")`, `.onMissing()`, or a condition built from their parts.
   */
  automation?: AutomationCondition;
  /** Computes the asset. Return the value, or `output(value, { metadata })`. */
  run: (
    inputs: InputValues<TIns, IsPartitioned<TParts>, IsMulti<TParts>, HasBackfillPolicy<TPolicy>>,
    context: AssetContext<ConfigValue<TSchema>, ResourceValues<TRes>, PartitionKeyOf<TParts>>,
  ) => TReturn;
  /**
   * Checks of the asset's value, run after it in every run that materializes it (declare them after
   * `run`, so that the value is typed as its return). For checks with resources or config, use
   * `assetCheck()`.
   */
  checks?: readonly InlineAssetCheckSpec<UnwrapOutput<Awaited<TReturn>>>[];
}

/** Name of the IO manager resource assets use unless they name another. */
/** The longest code version an asset may declare, in characters. */
export const CODE_VERSION_MAX_LENGTH = 256;

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
  TPolicy extends BackfillPolicy | undefined = undefined,
>(spec: AssetSpec<TIns, TSchema, TRes, TReturn, TParts, TPolicy>): AssetDefinition<UnwrapOutput<Awaited<TReturn>>, IsPartitioned<TParts>> {
  const ins: Record<string, string> = {};
  const partitionMappings: Record<string, PartitionMapping> = {};
  const upstreamOf = (ref: AssetDep, where: string): string => {
    if (!isMappedUpstream(ref)) return refKey(ref);
    if (typeof ref.asset !== "string" && !isAssetDefinition(ref.asset)) {
      throw new DefinitionError(`Asset "${spec.key}": ${where} is { asset, mapping } without an asset: give the upstream asset or its key as asset.`, spec.key);
    }
    const key = refKey(ref.asset);
    if (!isPartitionMapping(ref.mapping)) {
      throw new DefinitionError(
        `Asset "${spec.key}": ${where} reads "${key}" with a mapping that is not a partition mapping. Use identityMapping(), ` +
          `timeWindowMapping(), allPartitions(), lastPartition(), staticMapping({...}) or dimensionMapping(...).`,
        spec.key,
      );
    }
    const earlier = partitionMappings[key];
    if (earlier && earlier !== ref.mapping) {
      throw new DefinitionError(`Asset "${spec.key}" declares two partition mappings for upstream asset "${key}" (${earlier.describe()} and ${ref.mapping.describe()}); declare one.`, spec.key);
    }
    partitionMappings[key] = ref.mapping;
    return key;
  };
  for (const [name, ref] of Object.entries(spec.ins ?? {})) ins[name] = upstreamOf(ref, `input "${name}"`);
  const deps = (spec.deps ?? []).map((ref, i) => upstreamOf(ref, `deps[${i}]`));
  const resources = resourceDefinitionsOf(spec.resources);
  return {
    [ASSET_BRAND]: true,
    kind: "asset",
    key: spec.key,
    ins,
    deps,
    partitionMappings,
    group: spec.group ?? DEFAULT_GROUP,
    description: spec.description,
    codeVersion: checkCodeVersion(spec.key, spec.codeVersion),
    tags: { ...(spec.tags ?? {}) },
    owners: [...(spec.owners ?? [])],
    kinds: [...(spec.kinds ?? [])],
    metadata: spec.metadata ?? {},
    configSchema: spec.config,
    resources,
    retry: spec.retry,
    ioManager: spec.ioManager ?? DEFAULT_IO_MANAGER,
    partitions: spec.partitions,
    backfillPolicy: spec.backfillPolicy,
    freshness: spec.freshness === undefined ? undefined : freshnessPolicy(spec.freshness, spec.key),
    automation: spec.automation === undefined ? undefined : validateAutomation(spec.automation, spec.key),
    checks: inlineChecks(spec.key, spec.checks),
    run: spec.run as AssetDefinition["run"],
  };
}

/** A code version as given (null when none), refused when it is not a short non-empty string. */
function checkCodeVersion(key: string, codeVersion: unknown): string | null {
  if (codeVersion === undefined) return null;
  if (typeof codeVersion !== "string" || codeVersion.length === 0 || codeVersion.length > CODE_VERSION_MAX_LENGTH) {
    const given = typeof codeVersion === "string" ? `a string of ${codeVersion.length} characters` : typeof codeVersion;
    throw new DefinitionError(
      `Asset "${key}": codeVersion must be a string of 1 to ${CODE_VERSION_MAX_LENGTH} characters, got ${given}. Use a short label such as "v2" or a commit hash.`,
      key,
    );
  }
  return codeVersion;
}

function refKey(ref: AssetRef | AssetDefinition<any>): string {
  return typeof ref === "string" ? ref : ref.key;
}

function isMappedUpstream(ref: unknown): ref is MappedUpstream {
  return typeof ref === "object" && ref !== null && "mapping" in ref && "asset" in ref && !isAssetDefinition(ref);
}

/** True for a value made by `asset()` (from any copy of this package). */
export function isAssetDefinition(value: unknown): value is AssetDefinition {
  return typeof value === "object" && value !== null && ASSET_BRAND in value;
}

/** Every upstream key of an asset: inputs first, then ordering-only deps, without repeats. */
export function upstreamKeys(definition: AssetDefinition<unknown>): string[] {
  return [...new Set([...Object.values(definition.ins), ...definition.deps])];
}
