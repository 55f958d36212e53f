import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError, UsageError } from "../definitions/errors.js";
import { Instance } from "../instance/instance.js";
import { loadDefinitions, type LoadedDefinitions } from "../instance/load-definitions.js";

/** Options every command that reads definitions takes. */
export interface LocationOptions {
  file?: string;
  module?: string;
  home?: string;
}

/** Loads definitions from `-f`/`-m` (relative to the working directory). */
export function loadFromOptions(options: LocationOptions): Promise<LoadedDefinitions> {
  return loadDefinitions({ file: options.file, module: options.module });
}

/**
 * Opens the instance of `--home` / SLUICE_HOME / ./.sluice; with `open.waitForServer`, a Postgres
 * server that is down or starting is waited for (its reconnect window) instead of reported at once.
 */
export function openInstance(options: { home?: string }, open: { waitForServer?: boolean } = {}): Promise<Instance> {
  return Instance.open({ home: options.home, ...open });
}

/** Runs `fn` with an open instance and closes it afterwards. */
export async function withInstance<T>(options: { home?: string }, fn: (instance: Instance) => Promise<T>): Promise<T> {
  const instance = await openInstance(options);
  try {
    return await fn(instance);
  } finally {
    await instance.close();
  }
}

/**
 * Reads one `-c` value: a JSON string, or the path of a .json, .yaml or .yml file. Throws
 * ConfigError naming the argument.
 */
export function readConfigArg(arg: string): Record<string, unknown> {
  const trimmed = arg.trim();
  let value: unknown;
  if (trimmed.startsWith("{")) {
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw new ConfigError(`-c ${abbreviate(arg)} is not valid JSON: ${(err as Error).message}`, "-c");
    }
  } else {
    const file = path.resolve(arg);
    if (!existsSync(file)) {
      throw new ConfigError(`-c ${arg}: no such file, and not a JSON object either.`, "-c");
    }
    const text = readFileSync(file, "utf8");
    try {
      value = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`Config file ${arg} does not parse: ${(err as Error).message}`, arg);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`-c ${abbreviate(arg)} must be an object like {"ops": {...}}.`, "-c");
  }
  return value as Record<string, unknown>;
}

/** Parses `--tags '{"k":"v"}'`; values must be strings. */
export function readTagsArg(arg: string | undefined): Record<string, string> {
  if (arg === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(arg);
  } catch (err) {
    throw new UsageError(`--tags must be a JSON object of strings: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--tags must be a JSON object of strings, like '{"team": "data"}'.`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new UsageError(`--tags: the value of "${k}" must be a string.`);
  }
  return value as Record<string, string>;
}

/** Collects repeated flags (`-c a -c b`) into an array, for commander. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Prints exactly one JSON document on stdout (the `--json` contract). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function abbreviate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
