import type { z } from "zod";

/** A zod schema for the config of an asset, op or resource. */
export type ConfigSchema = z.ZodType;

/** The config value a schema produces (its output type), or an empty object without a schema. */
export type ConfigValue<TSchema> = TSchema extends z.ZodType ? z.output<TSchema> : Record<string, never>;

/** A value that may be an EnvVar where a string is expected, recursively. */
export type WithEnvVars<T> = T extends string
  ? T
  : T extends readonly (infer E)[]
    ? WithEnvVars<E>[]
    : T extends object
      ? { [K in keyof T]: WithEnvVars<T[K]> }
      : T;
