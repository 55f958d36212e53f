/**
 * What every partitions definition shares, and the union of the three kinds. The kinds themselves
 * live beside this file: time windows (daily, hourly, weekly, monthly or any cron), a static list
 * of keys, keys stored in the instance (dynamic), and the product of two of those
 * (multi-dimensional keys such as `2025-01-01|dev-1`).
 */
import type { DynamicPartitionsDefinition, DynamicPartitionsSnapshot } from "./dynamic-partitions.js";
import type { MultiPartitionsDefinition } from "./multi-partitions.js";
import type { StaticPartitionsDefinition } from "./static-partitions.js";
import type { TimeWindowPartitionsDefinition } from "./time-window-partitions.js";

/** Marks values made by the partition factories (from any copy of this package). */
export const PARTITIONS_BRAND = Symbol.for("sluice.partitions");

/** An interval of time: `start` included, `end` excluded. */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/** What every kind of partitions definition can answer. */
export interface PartitionsBase {
  readonly [PARTITIONS_BRAND]: true;
  /**
   * Canonical text of the definition: two definitions with the same id have the same keys at every
   * moment (assets with equal ids may pass partitions to each other one to one).
   */
  readonly id: string;
  /** Every partition key that exists at `now` (default: the current time), in order. */
  keys(now?: Date): string[];
  /** True when `key` is a partition at `now`. Costs no enumeration of the keys. */
  has(key: string, now?: Date): boolean;
  /** How many partitions exist at `now`. */
  count(now?: Date): number;
  /** The first and the last key at `now`, or undefined when there are none yet. */
  firstKey(now?: Date): string | undefined;
  lastKey(now?: Date): string | undefined;
  /**
   * Why `key` is not a partition at `now`, in words that show the valid keys (their range, or the
   * first few), or undefined when it is one.
   */
  explainInvalid(key: string, now?: Date): string | undefined;
  /** Keys of this definition sorted in its order (keys it does not have go last, as given). */
  sortKeys(keys: readonly string[]): string[];
  /** One line for people: `daily partitions from 2025-01-01 (UTC)`. */
  describe(): string;
  /** A small serializable picture (no key lists beyond a few): what the snapshot shows. */
  toSnapshot(now?: Date): PartitionsSnapshot;
}

/** Any partitions definition. */
export type PartitionsDefinition = TimeWindowPartitionsDefinition | StaticPartitionsDefinition | DynamicPartitionsDefinition | MultiPartitionsDefinition;

/** Time-window partitions as the snapshot shows them. */
export interface TimeWindowPartitionsSnapshot {
  type: "time_window";
  /** `hourly`, `daily`, `weekly`, `monthly`, or null for a custom cron. */
  cadence: string | null;
  cron: string;
  timezone: string;
  /** strftime format of the keys, e.g. `%Y-%m-%d`. */
  fmt: string;
  /** The given start (ISO); the first window starts at the first cron tick at or after it. */
  start: string;
  /** Exclusive end (ISO), or null. */
  end: string | null;
  endOffset: number;
  count: number;
  firstKey: string | null;
  lastKey: string | null;
}

/** Static partitions as the snapshot shows them. */
export interface StaticPartitionsSnapshot {
  type: "static";
  /** The keys, the first {@link SNAPSHOT_KEY_LIMIT} of them at most. */
  keys: string[];
  count: number;
}

/** Multi-dimensional partitions as the snapshot shows them. */
export interface MultiPartitionsSnapshot {
  type: "multi";
  /**
   * Dimensions sorted by name (the order of the parts of a key); `name` is the dimension's, and a
   * dynamic dimension names its stored keys in `partitionsName`.
   */
  dimensions: ({ name: string } & (TimeWindowPartitionsSnapshot | StaticPartitionsSnapshot | DynamicDimensionSnapshot))[];
  count: number;
}

/** Dynamic partitions as a dimension of multi partitions: `name` is the dimension's, `partitionsName` the stored keys'. */
export type DynamicDimensionSnapshot = Omit<DynamicPartitionsSnapshot, "name"> & { partitionsName: string };

/** A partitions definition as the snapshot shows it. */
export type PartitionsSnapshot = TimeWindowPartitionsSnapshot | StaticPartitionsSnapshot | DynamicPartitionsSnapshot | MultiPartitionsSnapshot;

/** At most this many static keys appear in a snapshot (the count is always there). */
export const SNAPSHOT_KEY_LIMIT = 100;

/** True for a value made by a partitions factory (`dailyPartitions()`, `staticPartitions()`...). */
export function isPartitionsDefinition(value: unknown): value is PartitionsDefinition {
  return typeof value === "object" && value !== null && PARTITIONS_BRAND in value;
}

/** True when two definitions have the same keys at every moment (the same object, or equal ids). */
export function samePartitions(a: PartitionsDefinition, b: PartitionsDefinition): boolean {
  return a === b || a.id === b.id;
}

/** `"a", "b", "c"` and `… (N more)` after `limit` keys. */
export function quoteKeys(keys: readonly string[], limit = 5): string {
  const shown = keys.slice(0, limit).map((k) => JSON.stringify(k)).join(", ");
  return keys.length > limit ? `${shown}, … (${keys.length - limit} more)` : shown;
}
