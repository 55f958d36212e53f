/**
 * Every limit on what clients and users hand to Sluice from outside (HTTP bodies, `--tags`, `-c`,
 * `--select`), in one place, with the checks that enforce them. A limit is far above what real use
 * needs and low enough that one request cannot make the server hold gigabytes: values are stored in
 * every run record and sent back by every list of runs, so their size multiplies.
 *
 * Pure: no Node import (the selection parser, which the UI bundles, reads these limits too).
 */
import { InputLimitError } from "./errors.js";

/** The limits, with why each is what it is. */
export const InputLimits = {
  /** An HTTP request body: a launch is a few KB; 1 MB leaves room for run config at its limit. */
  requestBodyBytes: 1024 * 1024,
  /** Tags of one run: labels for filtering, Dagster-style; a hundred is more than any UI shows. */
  tagCount: 100,
  /** A tag key, in characters. */
  tagKeyLength: 256,
  /** A tag value, in characters: a label, an id, a short note, not a document. */
  tagValueLength: 4 * 1024,
  /** Keys and values of one run's tags together, in characters: every list of runs carries them. */
  tagsTotalLength: 64 * 1024,
  /** Run config serialized as JSON (UTF-8 bytes): settings, not data; data belongs in assets. */
  runConfigBytes: 256 * 1024,
  /** Nesting of run config (objects and arrays); `ops.NAME.config` already takes three levels. */
  runConfigDepth: 32,
  /** A `-c` file (YAML may carry comments); its parsed config must still fit `runConfigBytes`. */
  configFileBytes: 1024 * 1024,
  /**
   * A selection expression, in characters: a few hundred clauses. A longer one is almost surely
   * generated, and a list of asset keys says the same thing better.
   */
  selectionLength: 10_000,
  /**
   * Nesting of a selection expression: parentheses (those of `roots(...)`/`sinks(...)` included)
   * and `not`s, counted together. Readable expressions use a handful.
   */
  selectionDepth: 100,
  /** Asset keys in a selection given as a list. */
  selectionKeys: 10_000,
  /** An asset key, job name or partition key, in characters. */
  nameLength: 1024,
  /**
   * Keys of dynamic partitions added or removed by one request (a CLI call, an API request, one
   * request of a sensor tick): a batch of tenants or files, not an export of a table.
   */
  partitionKeysPerRequest: 10_000,
  /** Runs in one page of `GET /api/runs` (larger `limit`s are reduced to it; follow `nextCursor`). */
  runsPageSize: 100,
  /** Events in one page of `GET /api/runs/:id/events` (larger `limit`s are reduced to it; follow `afterId`). */
  eventsPageSize: 1000,
} as const;

/** `12345` → `"12,345"`, for messages. */
function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** A short quoted excerpt of a long string, for messages. */
function excerpt(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}

/**
 * Checks a run's tags: at most {@link InputLimits.tagCount}, keys and values within their lengths,
 * and all together within {@link InputLimits.tagsTotalLength}. `path` names where they came from
 * (`body.tags`, `--tags`); a tag's own path is `path.KEY`.
 * @throws InputLimitError naming the tag and the limit.
 */
export function checkTags(tags: Readonly<Record<string, string>>, path: string): void {
  const entries = Object.entries(tags);
  if (entries.length > InputLimits.tagCount) {
    throw new InputLimitError(`${path} has ${count(entries.length)} tags; at most ${InputLimits.tagCount} are allowed.`, path, InputLimits.tagCount);
  }
  let total = 0;
  for (const [key, value] of entries) {
    if (key.length > InputLimits.tagKeyLength) {
      throw new InputLimitError(
        `${path}: the tag key ${excerpt(key)} is ${count(key.length)} characters long; at most ${count(InputLimits.tagKeyLength)} are allowed.`,
        `${path}.${key.slice(0, 40)}`,
        InputLimits.tagKeyLength,
      );
    }
    if (value.length > InputLimits.tagValueLength) {
      throw new InputLimitError(
        `${path}.${key}: the value is ${count(value.length)} characters long; at most ${count(InputLimits.tagValueLength)} are allowed. ` +
          `Tags are labels: pass larger values as run config.`,
        `${path}.${key}`,
        InputLimits.tagValueLength,
      );
    }
    total += key.length + value.length;
  }
  if (total > InputLimits.tagsTotalLength) {
    throw new InputLimitError(
      `${path}: the tags hold ${count(total)} characters in all; at most ${count(InputLimits.tagsTotalLength)} are allowed.`,
      path,
      InputLimits.tagsTotalLength,
    );
  }
}

/**
 * Checks run config: nested at most {@link InputLimits.runConfigDepth} deep, and at most
 * {@link InputLimits.runConfigBytes} as JSON. Depth is checked first and without recursion, so
 * that a value nested a million deep is refused instead of overflowing the stack.
 * @throws InputLimitError naming `path` (`body.config`, `-c`) and the limit.
 */
export function checkRunConfig(config: unknown, path: string): void {
  const limit = InputLimits.runConfigDepth;
  const stack: [unknown, number][] = [[config, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth > limit) {
      throw new InputLimitError(`${path} is nested more than ${limit} levels deep (objects and arrays); flatten it.`, path, limit);
    }
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  const bytes = new TextEncoder().encode(JSON.stringify(config) ?? "").length;
  if (bytes > InputLimits.runConfigBytes) {
    throw new InputLimitError(
      `${path} is ${count(bytes)} bytes as JSON; at most ${count(InputLimits.runConfigBytes)} are allowed. ` +
        `Config holds settings: keep data in files or assets and pass their paths.`,
      path,
      InputLimits.runConfigBytes,
    );
  }
}

/**
 * Checks a selection given as a list of asset keys: at most {@link InputLimits.selectionKeys}
 * keys, each at most {@link InputLimits.nameLength} characters.
 * @throws InputLimitError naming `path` (`body.selection`) and the limit.
 */
export function checkSelectionKeys(keys: readonly string[], path: string): void {
  if (keys.length > InputLimits.selectionKeys) {
    throw new InputLimitError(`${path} lists ${count(keys.length)} asset keys; at most ${count(InputLimits.selectionKeys)} are allowed.`, path, InputLimits.selectionKeys);
  }
  keys.forEach((key, i) => {
    if (key.length > InputLimits.nameLength) {
      throw new InputLimitError(
        `${path}.${i}: the asset key ${excerpt(key)} is ${count(key.length)} characters long; at most ${count(InputLimits.nameLength)} are allowed.`,
        `${path}.${i}`,
        InputLimits.nameLength,
      );
    }
  });
}

/**
 * Checks a name (job name, partition key) is at most {@link InputLimits.nameLength} characters.
 * @throws InputLimitError naming `path` and the limit.
 */
export function checkName(value: string, path: string): void {
  if (value.length > InputLimits.nameLength) {
    throw new InputLimitError(
      `${path} ${excerpt(value)} is ${count(value.length)} characters long; at most ${count(InputLimits.nameLength)} are allowed.`,
      path,
      InputLimits.nameLength,
    );
  }
}
