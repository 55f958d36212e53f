import type { ConfigSchema, ConfigValue, WithEnvVars } from "./config-schema.js";
import type { StepLogger } from "./step-logger.js";
import type { z } from "zod";

const RESOURCE_BRAND = Symbol.for("sluice.resource");

/** What a resource's setup and teardown receive besides its config. */
export interface ResourceContext {
  /** The resource's name as bound in Definitions or on the asset. */
  readonly name: string;
  /** The run that set the resource up; null when a schedule or sensor evaluation did. */
  readonly runId: string | null;
  readonly log: StepLogger;
  /** Aborted when the run is canceled (for a schedule or sensor: when setting up takes too long). */
  readonly signal: AbortSignal;
}

/**
 * A resource: something assets, ops, schedules and sensors use (a database client, an HTTP client,
 * an IO manager), set up once per run (or per schedule or sensor evaluation) from its config and
 * torn down at its end, even when it fails.
 */
export interface ResourceDefinition<TValue = unknown, TConfig = unknown> {
  readonly [RESOURCE_BRAND]: true;
  readonly kind: "resource";
  readonly description: string | undefined;
  readonly configSchema: ConfigSchema | undefined;
  /** Config given with `.configured()`; may contain EnvVar references. */
  readonly configValues: Record<string, unknown> | undefined;
  readonly setup: Bivariant<(config: TConfig, context: ResourceContext) => TValue | Promise<TValue>>;
  readonly teardown: Bivariant<(value: TValue, context: ResourceContext) => void | Promise<void>> | undefined;
}

/**
 * Method-style (bivariant) parameters, so that a resource of any value type fits where
 * `ResourceDefinition<any, any>` is expected, including one whose setup only throws (`never`).
 */
type Bivariant<F extends (...args: any[]) => unknown> = { check(...args: Parameters<F>): ReturnType<F> }["check"];

/** What `resource()` takes. */
export interface ResourceSpec<TValue, TSchema extends ConfigSchema | undefined> {
  /** Schema of the resource's config (zod). */
  config?: TSchema;
  description?: string;
  /** Builds the resource's value from its config; called once per run that needs it. */
  setup: (config: ConfigValue<TSchema>, context: ResourceContext) => TValue | Promise<TValue>;
  /** Releases what setup acquired; runs at the end of the run, even when it failed. */
  teardown?: (value: Awaited<TValue>, context: ResourceContext) => void | Promise<void>;
}

/** A resource with its config bound; made by `configured()`. */
export type ConfiguredResource<TValue, TConfig> = ResourceDefinition<TValue, TConfig>;

/**
 * Declares a resource.
 * @example
 * const warehouse = resource({
 *   config: z.object({ url: z.string() }),
 *   setup: async ({ url }) => connect(url),
 *   teardown: (client) => client.close(),
 * });
 */
export function resource<TValue, TSchema extends ConfigSchema | undefined = undefined>(
  spec: ResourceSpec<TValue, TSchema>,
): ResourceDefinition<Awaited<TValue>, ConfigValue<TSchema>> {
  return {
    [RESOURCE_BRAND]: true,
    kind: "resource",
    description: spec.description,
    configSchema: spec.config,
    configValues: undefined,
    setup: spec.setup as ResourceDefinition<Awaited<TValue>, ConfigValue<TSchema>>["setup"],
    teardown: spec.teardown as ResourceDefinition<Awaited<TValue>, ConfigValue<TSchema>>["teardown"],
  };
}

/**
 * Binds config to a resource (values may be `EnvVar("NAME")`), for use in Definitions.
 * @example
 * defineDefinitions({ assets, resources: { warehouse: configured(warehouse, { url: EnvVar("WAREHOUSE_URL") }) } })
 */
export function configured<TValue, TConfig>(
  definition: ResourceDefinition<TValue, TConfig>,
  values: WithEnvVars<TConfig extends object ? Partial<TConfig> : never> | Record<string, unknown>,
): ConfiguredResource<TValue, TConfig> {
  return { ...definition, configValues: { ...(definition.configValues ?? {}), ...(values as Record<string, unknown>) } };
}

/** True for a value made by `resource()` (from any copy of this package). */
export function isResourceDefinition(value: unknown): value is ResourceDefinition {
  return typeof value === "object" && value !== null && RESOURCE_BRAND in value;
}

/**
 * The definitions of a `resources` option (of an asset, op, schedule or sensor) by name; a name
 * given as a string is bound in Definitions only, so its definition is undefined.
 */
export function resourceDefinitionsOf(
  requirements: Record<string, ResourceDefinition<any, any> | string> | undefined,
): Record<string, ResourceDefinition<any, any> | undefined> {
  const out: Record<string, ResourceDefinition<any, any> | undefined> = {};
  for (const [name, res] of Object.entries(requirements ?? {})) out[name] = typeof res === "string" ? undefined : res;
  return out;
}

/** The value type a resource definition produces. */
export type ResourceValue<T> = T extends ResourceDefinition<infer V, infer _C> ? V : unknown;

/** Keeps zod's input type reachable for callers that type config objects. */
export type ResourceConfigInput<TSchema> = TSchema extends z.ZodType ? WithEnvVars<z.input<TSchema>> : never;
