import type { AssetDefinition, ResourceRequirements, ResourceValues } from "./asset.js";
import type { ConfigSchema, ConfigValue } from "./config-schema.js";
import { DefinitionError } from "./errors.js";
import type { MetadataInput } from "./metadata.js";
import { resourceDefinitionsOf, type ResourceDefinition } from "./resource.js";
import type { StepLogger } from "./step-logger.js";

const CHECK_BRAND = Symbol.for("sluice.asset_check");

/** Check names: one key component (letters, digits, `_`, `-`, `.`), so `ASSET:NAME` never collides. */
const CHECK_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Separates an asset key from a check name in a check key (`orders:row_count`); asset keys never hold it. */
export const CHECK_KEY_SEPARATOR = ":";

/** How bad a failed check is: WARN never fails anything; ERROR fails a blocking check's step. */
export type AssetCheckSeverity = "WARN" | "ERROR";

/** What a check function returns (or a promise of it). */
export interface AssetCheckResult {
  passed: boolean;
  /** How bad a failure is (default ERROR); ignored when it passed. */
  severity?: AssetCheckSeverity;
  description?: string;
  metadata?: MetadataInput;
}

/** What a check function receives besides the asset's value. */
export interface AssetCheckContext<TConfig = unknown, TResources = Record<string, unknown>> {
  readonly runId: string;
  readonly assetKey: string;
  readonly checkName: string;
  /** The partition of the asset being checked, or null for an unpartitioned asset. */
  readonly partitionKey: string | null;
  readonly log: StepLogger;
  readonly resources: TResources;
  /** The check's config, parsed by its schema (from run config `ops.<ASSET:NAME>.config`). */
  readonly config: TConfig;
  /** Aborted when the run is canceled. */
  readonly signal: AbortSignal;
}

/** A check of an asset's value, run after the asset (or alone), recorded as an evaluation. */
export interface AssetCheckDefinition<TValue = unknown> {
  readonly [CHECK_BRAND]: true;
  readonly kind: "asset_check";
  /** `ASSET_KEY:CHECK_NAME`: the check's step key and its name in selections and run config. */
  readonly key: string;
  readonly assetKey: string;
  readonly name: string;
  readonly description: string | undefined;
  /** When true, steps downstream of the asset wait for this check, and are skipped when it fails with ERROR. */
  readonly blocking: boolean;
  readonly configSchema: ConfigSchema | undefined;
  readonly resources: Readonly<Record<string, ResourceDefinition<any, any> | undefined>>;
  /** Where it was declared, for messages: `inline on asset "x"` or `assetChecks[2]`. */
  readonly declaredAt: string;
  readonly run: (value: TValue, context: AssetCheckContext<any, any>) => AssetCheckResult | Promise<AssetCheckResult>;
}

/** What a check declared inside `asset({ checks: [...] })` takes: an `assetCheck()` spec without `asset`. */
export interface InlineAssetCheckSpec<TValue = unknown> {
  /** Letters, digits, `_`, `-` and `.`; unique among the asset's checks. */
  name: string;
  description?: string;
  /** Steps downstream of the asset wait for it, and are skipped when it fails with ERROR (default false). */
  blocking?: boolean;
  run: (value: TValue, context: AssetCheckContext) => AssetCheckResult | Promise<AssetCheckResult>;
}

type ValueOf<A> = A extends AssetDefinition<infer O, any> ? O : unknown;

/** What `assetCheck()` takes. */
export interface AssetCheckSpec<TAsset extends AssetDefinition<any> | string, TSchema extends ConfigSchema | undefined, TRes extends ResourceRequirements> {
  /** The asset checked: its definition (types the value) or its key. */
  asset: TAsset;
  name: string;
  description?: string;
  blocking?: boolean;
  /** Resources the function uses, by name. */
  resources?: TRes;
  /** Schema of the check's config; values come from run config `ops.<ASSET:NAME>.config`. */
  config?: TSchema;
  /**
   * Checks the asset's value (of this run, else loaded by the asset's IO manager, for the run's
   * partition). Return `{ passed, severity?, description?, metadata? }`.
   */
  run: (value: ValueOf<TAsset>, context: AssetCheckContext<ConfigValue<TSchema>, ResourceValues<TRes>>) => AssetCheckResult | Promise<AssetCheckResult>;
}

/**
 * Declares a check of an asset. Add it to `defineDefinitions({ assetChecks: [...] })`.
 * @example
 * const hasRows = assetCheck({
 *   asset: orders,                       // `rows` is typed as orders' value
 *   name: "has_rows",
 *   blocking: true,                      // downstream assets wait, and skip when it fails
 *   run: (rows) => ({ passed: rows.length > 0, metadata: { rows: rows.length } }),
 * });
 */
export function assetCheck<
  TAsset extends AssetDefinition<any> | string,
  TSchema extends ConfigSchema | undefined = undefined,
  const TRes extends ResourceRequirements = {},
>(spec: AssetCheckSpec<TAsset, TSchema, TRes>): AssetCheckDefinition<ValueOf<TAsset>> {
  const assetKey = typeof spec.asset === "string" ? spec.asset : (spec.asset as AssetDefinition | undefined)?.key;
  if (typeof assetKey !== "string") {
    throw new DefinitionError(`Asset check "${String(spec.name)}" names no asset: give asset: myAsset (or its key).`, String(spec.name));
  }
  return makeCheck(assetKey, spec, "assetChecks", resourceDefinitionsOf(spec.resources), spec.config);
}

/** The checks declared inline on an asset, as definitions (validated at defineDefinitions). */
export function inlineChecks(assetKey: string, specs: readonly InlineAssetCheckSpec<any>[] | undefined): AssetCheckDefinition[] {
  if (specs === undefined) return [];
  if (!Array.isArray(specs)) throw new DefinitionError(`Asset "${assetKey}": checks must be an array of { name, run }.`, assetKey);
  return specs.map((spec, i) => makeCheck(assetKey, spec, `inline on asset "${assetKey}" (checks[${i}])`, {}, undefined));
}

function makeCheck(
  assetKey: string,
  spec: { name: string; description?: string; blocking?: boolean; run: AssetCheckDefinition<any>["run"] },
  declaredAt: string,
  resources: AssetCheckDefinition["resources"],
  configSchema: ConfigSchema | undefined,
): AssetCheckDefinition<any> {
  return {
    [CHECK_BRAND]: true,
    kind: "asset_check",
    key: checkKey(assetKey, spec.name),
    assetKey,
    name: spec.name,
    description: spec.description,
    blocking: spec.blocking ?? false,
    configSchema,
    resources,
    declaredAt,
    run: spec.run,
  };
}

/** The key of an asset's check: `ASSET_KEY:CHECK_NAME`. */
export function checkKey(assetKey: string, checkName: string): string {
  return `${assetKey}${CHECK_KEY_SEPARATOR}${checkName}`;
}

/** True for a value made by `assetCheck()` (from any copy of this package). */
export function isAssetCheckDefinition(value: unknown): value is AssetCheckDefinition {
  return typeof value === "object" && value !== null && CHECK_BRAND in value;
}

/** True for a key that names a check (`orders:row_count`) rather than an asset. */
export function isCheckKey(key: string): boolean {
  return key.includes(CHECK_KEY_SEPARATOR);
}

/** Why a check name is not valid, or undefined when it is. */
export function checkNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "it is empty";
  if (!CHECK_NAME_PATTERN.test(name)) return `it may hold only letters, digits, "_", "-" and "."`;
  if (name === "." || name === "..") return `it may not be "." or ".."`;
  return undefined;
}
