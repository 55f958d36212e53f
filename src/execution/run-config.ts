import { z } from "zod";
import type { ConfigSchema } from "../definitions/config-schema.js";
import type { Definitions, ResourceBinding } from "../definitions/definitions.js";
import type { StepNode } from "./plan.js";
import { envVarName, envVarRef } from "../definitions/env-var.js";
import { ConfigError, MissingEnvVarError } from "../definitions/errors.js";
import type { SecretRedactor } from "./secret-redactor.js";

/** Run config, shaped as Dagster's: per-asset (op) config and per-resource config. */
export interface RunConfig {
  ops?: Record<string, { config?: unknown }>;
  resources?: Record<string, { config?: unknown }>;
}

const entrySchema = z.object({ config: z.unknown().optional() }).strict();
const runConfigSchema = z
  .object({
    ops: z.record(z.string(), entrySchema).optional(),
    resources: z.record(z.string(), entrySchema).optional(),
  })
  .strict();

/** Checks the outer shape of run config; throws ConfigError naming the offending path. */
export function parseRunConfig(value: unknown): RunConfig {
  const result = runConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw configErrorFromIssues("Run config is invalid", result.error.issues, []);
}

/** Run config as callers give it (one object, several to merge, or nothing) as one object. */
export function normalizeRunConfig(config: unknown): Record<string, unknown> {
  return Array.isArray(config) ? mergeConfigs(config) : ((config ?? {}) as Record<string, unknown>);
}

/** Merges several run configs (later ones win, objects merge deeply), as several `-c` flags do. */
export function mergeConfigs(configs: readonly unknown[]): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const cfg of configs) merged = deepMerge(merged, cfg) as Record<string, unknown>;
  return merged;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over) || envVarName(over) !== undefined) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The python-identifier form Dagster gives multi-part keys in run config (`raw/orders` → `raw__orders`). */
export function opNameOf(assetKey: string): string {
  return assetKey.replaceAll("/", "__");
}

/**
 * Checks that run config names only assets and resources that exist; throws ConfigError listing
 * what is valid.
 */
export function checkRunConfigNames(config: RunConfig, defs: Definitions, names: readonly string[]): void {
  const known = new Set(names);
  for (const name of Object.keys(config.ops ?? {})) {
    if (!known.has(name) && !names.some((k) => opNameOf(k) === name)) {
      throw new ConfigError(
        `Run config is invalid at ops.${name}: this run has no asset or op named "${name}". ` +
          `Known: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", ..." : ""}.`,
        `ops.${name}`,
      );
    }
  }
  for (const name of Object.keys(config.resources ?? {})) {
    if (!defs.resources.has(name)) {
      throw new ConfigError(
        `Run config is invalid at resources.${name}: no asset or op uses a resource named "${name}". ` +
          `Known resources: ${[...defs.resources.keys()].join(", ") || "(none)"}.`,
        `resources.${name}`,
      );
    }
  }
}

/**
 * Replaces EnvVar references (and `{"env": "NAME"}` objects) with the variables' values (or their
 * defaults when unset), adding each secret's value to the redactor. Throws MissingEnvVarError
 * naming the variable and where it was used when it is unset and has no default.
 */
export function resolveEnvVars(value: unknown, path: string, redactor: SecretRedactor): unknown {
  const ref = envVarRef(value);
  if (ref !== undefined) {
    const resolved = process.env[ref.name] ?? ref.default;
    if (resolved === undefined) throw new MissingEnvVarError(ref.name, path);
    if (ref.secret) redactor.add(resolved);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvVars(v, `${path}[${i}]`, redactor));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnvVars(v, `${path}.${k}`, redactor);
    return out;
  }
  return value;
}

/** A step's (asset's or op's) config for this run: from run config, env resolved, parsed by its schema. */
export function resolveStepConfig(def: StepNode, config: RunConfig, redactor: SecretRedactor): unknown {
  const ops = config.ops ?? {};
  const name = def.key in ops ? def.key : opNameOf(def.key);
  const path = `ops.${name}.config`;
  const raw = resolveEnvVars(ops[name]?.config ?? {}, path, redactor);
  if (!def.configSchema) {
    if (ops[name]?.config !== undefined && Object.keys(raw as object).length > 0) {
      throw new ConfigError(`${def.kind === "asset" ? "Asset" : "Op"} "${def.key}" takes no config, but run config gives it some at ${path}.`, path);
    }
    return {};
  }
  return parseWith(def.configSchema, raw, `Config of ${def.kind} "${def.key}" is invalid`, path);
}

/** A resource's config for this run: Definitions config merged with run config, env resolved, parsed. */
export function resolveResourceConfig(binding: ResourceBinding, config: RunConfig, redactor: SecretRedactor): unknown {
  const path = `resources.${binding.name}.config`;
  const merged = deepMerge(binding.config, config.resources?.[binding.name]?.config ?? {});
  const raw = resolveEnvVars(merged, path, redactor);
  const schema = binding.definition?.configSchema;
  if (!schema) return raw;
  return parseWith(schema, raw, `Config of resource "${binding.name}" is invalid`, path);
}

function parseWith(schema: ConfigSchema, raw: unknown, title: string, path: string): unknown {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw configErrorFromIssues(title, result.error.issues, path.split("."));
}

function configErrorFromIssues(title: string, issues: readonly z.core.$ZodIssue[], base: string[]): ConfigError {
  // Messages name the path and the expectation only; zod's messages do not echo values, so no secret leaks.
  const lines = issues.map((issue) => {
    const p = [...base, ...issue.path.map(String)].join(".") || "(root)";
    return `  ${p}: ${issue.message}`;
  });
  const first = [...base, ...(issues[0]?.path.map(String) ?? [])].join(".");
  return new ConfigError(`${title}:\n${lines.join("\n")}`, first);
}
