import { asset, AssetKind, type AssetContext, type AssetDefinition, type IsPartitioned, type PartitionKeyOf, type ResourceRequirements, type ResourceValues } from "./asset.js";
import { DESCRIPTIVE_FIELDS, setFields } from "./asset-spec.js";
import type { ConfigSchema, ConfigValue } from "./config-schema.js";
import { InputLimits } from "./input-limits.js";
import type { MetadataInput } from "./metadata.js";
import type { PartitionsDefinition } from "./partitions/partitions-definition.js";
import type { RetryPolicy } from "./retry-policy.js";

const OBSERVATION_BRAND = Symbol.for("sluice.observation");

/** What an observe function returns: the data version it saw (and metadata), or the version alone. */
export type ObserveResult = string | { dataVersion: string; metadata?: MetadataInput };

/** An observation as the step that made it hands it to the executor. */
export interface Observation {
  readonly [OBSERVATION_BRAND]: true;
  readonly dataVersion: string;
  readonly metadata: MetadataInput;
}

/** What `observableSourceAsset()` takes. */
export interface ObservableSourceAssetSpec<TSchema extends ConfigSchema | undefined, TRes extends ResourceRequirements, TParts extends PartitionsDefinition | undefined> {
  /** Path-like key: components of letters, digits, `_`, `-`, `.`, separated by `/`. */
  key: string;
  /**
   * Looks at the source and says which version of its data is there now: a file's hash, a table's
   * max(updated_at). The same data must give the same version.
   */
  observe: (context: AssetContext<ConfigValue<TSchema>, ResourceValues<TRes>, PartitionKeyOf<TParts>>) => ObserveResult | Promise<ObserveResult>;
  group?: string;
  description?: string;
  tags?: Record<string, string>;
  owners?: string[];
  kinds?: string[];
  /** Static metadata about the asset (not per observation). */
  metadata?: MetadataInput;
  /** Schema of the observation's config (run config `ops.<key>.config`). */
  config?: TSchema;
  resources?: TRes;
  retry?: RetryPolicy;
  /** Observe one partition per run. */
  partitions?: TParts;
}

/**
 * Declares an observable source asset: data Sluice does not produce but can look at. Observing it
 * (`sluice asset observe`, an asset job of it on a schedule, the UI's Observe button) runs
 * `observe` and records an ASSET_OBSERVATION with the data version it returns. An observation is
 * not a materialization: assets downstream (through `deps`) are not given its value.
 * @example
 * const ordersFile = observableSourceAsset({
 *   key: "source/orders_csv",
 *   observe: async () => ({ dataVersion: await sha256OfFile("orders.csv") }),
 * });
 */
export function observableSourceAsset<
  TSchema extends ConfigSchema | undefined = undefined,
  const TRes extends ResourceRequirements = {},
  TParts extends PartitionsDefinition | undefined = undefined,
>(spec: ObservableSourceAssetSpec<TSchema, TRes, TParts>): AssetDefinition<unknown, IsPartitioned<TParts>> {
  const observe = spec.observe;
  const definition = asset({
    key: spec.key,
    ...setFields(spec, [...DESCRIPTIVE_FIELDS, "config", "resources", "retry"]),
    partitions: spec.partitions,
    run: async (_inputs: unknown, context: any) => {
      if (typeof observe !== "function") throw new TypeError(`Observable source asset "${spec.key}" has no observe function.`);
      return toObservation(spec.key, await observe(context));
    },
  });
  return { ...definition, assetKind: AssetKind.Observable } as AssetDefinition<unknown, IsPartitioned<TParts>>;
}

/** True for what an observable source asset's step returns. */
export function isObservation(value: unknown): value is Observation {
  return typeof value === "object" && value !== null && OBSERVATION_BRAND in value;
}

/**
 * Checks what observe() returned. Throws TypeError (which fails the step, recording nothing else)
 * when there is no data version: an observation without one says nothing.
 */
function toObservation(key: string, result: unknown): Observation {
  const version = typeof result === "string" ? result : typeof result === "object" && result !== null ? (result as { dataVersion?: unknown }).dataVersion : undefined;
  if (typeof version !== "string" || version.length === 0) {
    throw new TypeError(
      `Observable source asset "${key}": observe() returned no data version (got ${describeResult(result)}). ` +
        `Return a non-empty string, or { dataVersion: string, metadata? }.`,
    );
  }
  if (version.length > InputLimits.nameLength) {
    throw new TypeError(`Observable source asset "${key}": its data version is ${version.length} characters long; at most ${InputLimits.nameLength} are allowed. Return a hash of the data rather than the data.`);
  }
  const metadata = typeof result === "object" && result !== null ? ((result as { metadata?: MetadataInput }).metadata ?? {}) : {};
  return { [OBSERVATION_BRAND]: true, dataVersion: version, metadata };
}

function describeResult(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === "string") return "an empty string";
  if (typeof value === "object") return `an object with keys ${JSON.stringify(Object.keys(value))}`;
  return `${typeof value} ${String(value)}`;
}
