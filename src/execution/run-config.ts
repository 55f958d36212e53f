import { z } from "zod";
import type { ConfigSchema } from "../definitions/config-schema.js";
import { findUnknownKeys } from "../definitions/config-unknown-keys.js";
import type { Definitions, ResourceBinding } from "../definitions/definitions.js";
import type { StepNode } from "./plan.js";
import { envVarName, envVarRef } from "../definitions/env-var.js";
import { ConfigError, MissingEnvVarError } from "../definitions/errors.js";
import { processSecrets } from "../definitions/secret-mask.js";
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
    const fromEnv = process.env[ref.name];
    const resolved = fromEnv ?? ref.default;
    if (resolved === undefined) throw new MissingEnvVarError(ref.name, path);
    if (ref.secret && fromEnv !== undefined) redactor.add(resolved);
    else if (ref.secret) redactor.addDefault(resolved);
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

/**
 * Throws ConfigError when run config given for a new run holds, as a plain value, the value of a
 * secret this process knows (a secret EnvVar its definitions refer to): run config is stored and
 * shown as given, so the value would be masked there and the run would get the mask instead. The
 * message names the path and says to refer to the variable. EnvVar references are fine, defaults
 * included.
 */
export function checkNoSecretValues(value: unknown, path = ""): void {
  if (processSecrets.empty || envVarRef(value) !== undefined) return;
  if (typeof value === "string") {
    if (processSecrets.mask(value) !== value) {
      throw new ConfigError(
        `Run config at ${path || "(root)"} holds the value of a secret environment variable. Refer to the variable ` +
          `instead, as {"env": "NAME"} (or EnvVar("NAME") in code): run config is stored and shown, a secret's value never is.`,
        path,
      );
    }
    return;
  }
  if (Array.isArray(value)) return value.forEach((item, i) => checkNoSecretValues(item, `${path}[${i}]`));
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkNoSecretValues(item, path ? `${path}.${key}` : key);
  }
}

/** A step's (asset's or op's) config for this run: from run config, env resolved, parsed by its schema. */
export function resolveStepConfig(def: StepNode, config: RunConfig, redactor: SecretRedactor): unknown {
  const ops = config.ops ?? {};
  const name = def.key in ops ? def.key : opNameOf(def.key);
  const path = `ops.${name}.config`;
  const raw = resolveEnvVars(ops[name]?.config ?? {}, path, redactor);
  if (!def.configSchema) {
    if (ops[name]?.config !== undefined && Object.keys(raw as object).length > 0) {
      throw new ConfigError(`${{ asset: "Asset", op: "Op", check: "Check" }[def.kind]} "${def.key}" takes no config, but run config gives it some at ${path}.`, path);
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

/**
 * Parses config with its schema. Keys the schema does not declare are refused too, at any depth
 * (zod's objects would drop them and use the defaults: a typo would go unnoticed), unless the
 * schema opted in to extra keys (see findUnknownKeys).
 */
function parseWith(schema: ConfigSchema, raw: unknown, title: string, path: string): unknown {
  const base = path.split(".");
  const unknown = findUnknownKeys(schema, raw).map((u) => ({
    path: [...base, ...u.path.map(String), u.key].join("."),
    message: `unknown key ${JSON.stringify(u.key)}${suggestion(u.key, u.known)}; known keys here: ${u.known.join(", ") || "(none)"}`,
  }));
  const result = schema.safeParse(raw);
  if (result.success && unknown.length === 0) return result.data;
  throw configError(title, [...unknown, ...(result.success ? [] : problemsOf(result.error.issues, base))]);
}

function configErrorFromIssues(title: string, issues: readonly z.core.$ZodIssue[], base: string[]): ConfigError {
  return configError(title, problemsOf(issues, base));
}

function problemsOf(issues: readonly z.core.$ZodIssue[], base: string[]): { path: string; message: string }[] {
  // Messages name the path and the expectation only; zod's messages do not echo values, so no secret leaks.
  return issues.map((issue) => ({ path: [...base, ...issue.path.map(String)].join("."), message: issue.message }));
}

function configError(title: string, problems: readonly { path: string; message: string }[]): ConfigError {
  const lines = problems.map((p) => `  ${p.path || "(root)"}: ${p.message}`);
  return new ConfigError(`${title}:\n${lines.join("\n")}`, problems[0]?.path ?? "");
}

/** ` (did you mean "path"?)` for a key one or two edits away from a known one, else nothing. */
function suggestion(key: string, known: readonly string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= Math.min(2, Math.floor(name.length / 2)) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best ? ` (did you mean ${JSON.stringify(best.name)}?)` : "";
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
