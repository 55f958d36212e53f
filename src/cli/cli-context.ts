import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError, errorMessage, UsageError } from "../definitions/errors.js";
import { checkRunConfig, checkTags, InputLimits } from "../definitions/input-limits.js";
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
 * Reads one `-c` value: a JSON string, or the path of a .json, .yaml or .yml file (a regular file of
 * at most `InputLimits.configFileBytes`). Throws ConfigError naming the argument and what is wrong
 * with it, and InputLimitError for config over its size or nesting limits.
 */
export function readConfigArg(arg: string): Record<string, unknown> {
  const trimmed = arg.trim();
  if (trimmed === "") {
    throw new ConfigError(`-c ${JSON.stringify(arg)} is empty: give run config as JSON ('{"ops": {...}}') or the path of a .json, .yaml or .yml file.`, "-c");
  }
  let value: unknown;
  if (trimmed.startsWith("{")) {
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw new ConfigError(`-c ${abbreviate(arg)} is not valid JSON: ${errorMessage(err)}`, "-c");
    }
  } else {
    const text = readConfigFile(arg);
    try {
      value = /\.ya?ml$/i.test(arg) ? parseYaml(text) : JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`Config file ${arg} does not parse: ${errorMessage(err)}`, arg);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`-c ${abbreviate(arg)} must be an object like {"ops": {...}}.`, "-c");
  }
  checkRunConfig(value, `-c ${abbreviate(arg)}`);
  return value as Record<string, unknown>;
}

/**
 * The text of a `-c` file. Only a regular file is read, and never more than the limit: a directory,
 * a device such as /dev/zero or a FIFO would fail with a stack trace, never end, or block.
 */
function readConfigFile(arg: string): string {
  const file = path.resolve(arg);
  const limit = InputLimits.configFileBytes;
  let fd: number;
  try {
    // Non-blocking, so that opening a FIFO without a writer returns at once (fstat then refuses it).
    fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new ConfigError(`-c ${arg}: no such file, and not a JSON object either.`, "-c");
    throw new ConfigError(`-c ${arg}: the file cannot be read (${errorMessage(err)}).`, "-c");
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ConfigError(`-c ${arg} is a directory; give a .json, .yaml or .yml file, or a JSON object.`, "-c");
    if (!stat.isFile()) throw new ConfigError(`-c ${arg} is not a regular file (a device, FIFO or socket); give a .json, .yaml or .yml file, or a JSON object.`, "-c");
    const tooLarge = (): ConfigError =>
      new ConfigError(`-c ${arg} is larger than ${limit.toLocaleString("en-US")} bytes, the limit for a config file; run config holds settings, not data.`, "-c");
    if (stat.size > limit) throw tooLarge();
    // The file may grow after fstat: read one byte past the limit to notice.
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > limit) throw tooLarge();
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Parses `--tags '{"k":"v"}'`; values must be strings, within the limits of `input-limits.ts`. */
export function readTagsArg(arg: string | undefined): Record<string, string> {
  if (arg === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(arg);
  } catch (err) {
    throw new UsageError(`--tags must be a JSON object of strings: ${errorMessage(err)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--tags must be a JSON object of strings, like '{"team": "data"}'.`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new UsageError(`--tags: the value of "${k}" must be a string.`);
  }
  checkTags(value as Record<string, string>, "--tags");
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
