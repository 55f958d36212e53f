import type { ResourceRequirements, ResourceValues } from "./asset.js";
import { DEFAULT_IO_MANAGER } from "./asset.js";
import type { ConfigSchema, ConfigValue } from "./config-schema.js";
import type { MetadataInput } from "./metadata.js";
import type { UnwrapOutput } from "./output.js";
import { resourceDefinitionsOf, type ResourceDefinition } from "./resource.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { StepLogger } from "./step-logger.js";

const OP_BRAND = Symbol.for("sluice.op");
/** Phantom property carrying an op's output type; never set at run time. */
declare const OP_OUTPUT_TYPE: unique symbol;

/** What an op's function receives besides its inputs. */
export interface OpContext<TConfig = unknown, TResources = Record<string, unknown>> {
  readonly runId: string;
  /** The op's name, which is its step key in the run. */
  readonly opName: string;
  /** 1 for the first attempt, 2 for the first retry... */
  readonly attempt: number;
  readonly partitionKey: string | null;
  /** The op's config from run config `ops.<name>.config`, parsed by its schema. */
  readonly config: TConfig;
  readonly resources: TResources;
  readonly log: StepLogger;
  /** Aborted when the run is canceled. */
  readonly signal: AbortSignal;
  /** Adds metadata to the op's output event. */
  addMetadata(metadata: MetadataInput): void;
}

/** Inputs of an op: input name → upstream op (definition, typed; or name, untyped). */
export type OpInputs = Record<string, OpDefinition<any> | string>;

/** The values an op's function receives for its inputs. */
export type OpInputValues<TIns> = {
  [K in keyof TIns]: TIns[K] extends OpDefinition<infer O> ? O : unknown;
};

/** An op: a unit of work inside a job, whose output may feed other ops of the job. */
export interface OpDefinition<TOut = unknown> {
  readonly [OP_BRAND]: true;
  readonly [OP_OUTPUT_TYPE]?: TOut;
  readonly kind: "op";
  readonly name: string;
  /** Input name → upstream op name. */
  readonly ins: Readonly<Record<string, string>>;
  /** Ops that must succeed first, without passing a value. */
  readonly deps: readonly string[];
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly configSchema: ConfigSchema | undefined;
  readonly resources: Readonly<Record<string, ResourceDefinition<any, any> | undefined>>;
  readonly retry: RetryPolicy | undefined;
  readonly ioManager: string;
  readonly run: (inputs: Record<string, unknown>, context: OpContext<any, any>) => unknown;
}

/** What `op()` takes. */
export interface OpSpec<TIns extends OpInputs, TSchema extends ConfigSchema | undefined, TRes extends ResourceRequirements, TReturn> {
  /** Letters, digits and `_`; unique within a job. */
  name: string;
  ins?: TIns;
  deps?: readonly (OpDefinition<any> | string)[];
  description?: string;
  tags?: Record<string, string>;
  config?: TSchema;
  resources?: TRes;
  retry?: RetryPolicy;
  /** Resource that stores this op's output between runs (for re-execution); default "io_manager". */
  ioManager?: string;
  run: (inputs: OpInputValues<TIns>, context: OpContext<ConfigValue<TSchema>, ResourceValues<TRes>>) => TReturn;
}

/**
 * Declares an op, for op-based jobs (billing runs, cleanups: work that is not an asset).
 * @example
 * const billStorage = op({
 *   name: "bill_storage_credits",
 *   config: z.object({ target_date: z.string() }),
 *   run: async (_inputs, { config, log }) => { log.info(`billing ${config.target_date}`); return 42; },
 * });
 * const notify = op({ name: "notify", ins: { billed: billStorage }, run: ({ billed }) => send(billed) });
 */
export function op<
  const TIns extends OpInputs = {},
  TSchema extends ConfigSchema | undefined = undefined,
  const TRes extends ResourceRequirements = {},
  TReturn = unknown,
>(spec: OpSpec<TIns, TSchema, TRes, TReturn>): OpDefinition<UnwrapOutput<Awaited<TReturn>>> {
  const ins: Record<string, string> = {};
  for (const [name, ref] of Object.entries(spec.ins ?? {})) ins[name] = typeof ref === "string" ? ref : ref.name;
  const resources = resourceDefinitionsOf(spec.resources);
  return {
    [OP_BRAND]: true,
    kind: "op",
    name: spec.name,
    ins,
    deps: (spec.deps ?? []).map((d) => (typeof d === "string" ? d : d.name)),
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    configSchema: spec.config,
    resources,
    retry: spec.retry,
    ioManager: spec.ioManager ?? DEFAULT_IO_MANAGER,
    run: spec.run as OpDefinition["run"],
  };
}

/** True for a value made by `op()` (from any copy of this package). */
export function isOpDefinition(value: unknown): value is OpDefinition {
  return typeof value === "object" && value !== null && OP_BRAND in value;
}
