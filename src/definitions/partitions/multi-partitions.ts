import { DefinitionError, PartitionError } from "../errors.js";
import { isPartitionsDefinition, PARTITIONS_BRAND, type MultiPartitionsSnapshot, type PartitionsBase, type PartitionsDefinition } from "./partitions-definition.js";
import type { DynamicPartitionsDefinition } from "./dynamic-partitions.js";
import type { StaticPartitionsDefinition } from "./static-partitions.js";
import type { TimeWindowPartitionsDefinition } from "./time-window-partitions.js";

/** Separates the dimensions' keys in a multi-dimensional key (`2025-01-01|dev-1`), as in Dagster. */
export const MULTI_PARTITION_DELIMITER = "|";
/** Characters a static key of a dimension may not hold (Dagster's rule: they delimit keys and subsets). */
const FORBIDDEN_IN_DIMENSION_KEYS = ["|", ",", "[", "]"];
const DIMENSION_NAME = /^[A-Za-z0-9_]+$/;

/** A dimension of a multi-partitions definition. */
export interface PartitionDimension {
  readonly name: string;
  readonly partitions: TimeWindowPartitionsDefinition | StaticPartitionsDefinition | DynamicPartitionsDefinition;
}

/**
 * The product of two partitions definitions (as Dagster's MultiPartitionsDefinition). Dimensions
 * are ordered by name; a key joins one key of each with `|`, in that order (`2025-01-01|dev-1` for
 * `{ date, device }`), and keys are listed with the first dimension varying slowest. Create with
 * `multiPartitions()`.
 */
export class MultiPartitionsDefinition implements PartitionsBase {
  readonly [PARTITIONS_BRAND] = true as const;
  readonly type = "multi" as const;
  readonly id: string;
  /** The dimensions, sorted by name. */
  readonly dimensions: readonly PartitionDimension[];

  /** Use `multiPartitions()`, which validates the dimensions. */
  constructor(dimensions: readonly PartitionDimension[]) {
    this.dimensions = [...dimensions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.id = JSON.stringify(["multi", this.dimensions.map((d) => [d.name, d.partitions.id])]);
  }

  /** The time dimension, when exactly one dimension is made of time windows. */
  get timeDimension(): (PartitionDimension & { partitions: TimeWindowPartitionsDefinition }) | undefined {
    const time = this.dimensions.filter((d) => d.partitions.type === "time_window");
    return time.length === 1 ? (time[0] as PartitionDimension & { partitions: TimeWindowPartitionsDefinition }) : undefined;
  }

  keys(now: Date = new Date()): string[] {
    const [a, b] = this.dimensions.map((d) => d.partitions.keys(now)) as [string[], string[]];
    return a.flatMap((x) => b.map((y) => `${x}${MULTI_PARTITION_DELIMITER}${y}`));
  }

  has(key: string, now: Date = new Date()): boolean {
    const parts = this.split(key);
    return parts !== undefined && this.dimensions.every((d, i) => d.partitions.has(parts[i]!, now));
  }

  count(now: Date = new Date()): number {
    return this.dimensions.reduce((n, d) => n * d.partitions.count(now), 1);
  }

  firstKey(now: Date = new Date()): string | undefined {
    return this.join(this.dimensions.map((d) => d.partitions.firstKey(now)));
  }

  lastKey(now: Date = new Date()): string | undefined {
    return this.join(this.dimensions.map((d) => d.partitions.lastKey(now)));
  }

  /** The key of each dimension, by dimension name: `{ date: "2025-01-01", device: "dev-1" }`. Throws PartitionError for a malformed key. */
  keysByDimension(key: string): Record<string, string> {
    const parts = this.split(key);
    if (!parts) throw new PartitionError(this.shapeProblem(key), key);
    return Object.fromEntries(this.dimensions.map((d, i) => [d.name, parts[i]!]));
  }

  /** The key made of one key per dimension: `keyOf({ date: "2025-01-01", device: "dev-1" })` is `2025-01-01|dev-1`. */
  keyOf(keys: Readonly<Record<string, string>>): string {
    const names = Object.keys(keys).sort();
    if (names.join(",") !== this.dimensions.map((d) => d.name).join(",")) {
      throw new PartitionError(`A key of ${this.describe()} needs exactly the dimensions ${this.dimensionList()}; got ${names.join(", ") || "none"}.`, null);
    }
    return this.dimensions.map((d) => keys[d.name]).join(MULTI_PARTITION_DELIMITER);
  }

  /** The keys from `first` to `last` in the order of {@link keys}, both included; throws PartitionError naming a key that does not exist. */
  keysBetween(first: string, last: string, now: Date = new Date()): string[] {
    for (const key of [first, last]) {
      const problem = this.explainInvalid(key, now);
      if (problem) throw new PartitionError(problem, key);
    }
    const all = this.keys(now);
    const from = all.indexOf(first);
    const to = all.indexOf(last);
    if (from > to) throw new PartitionError(`Partition range "${first}...${last}" is backwards: "${first}" comes after "${last}".`, `${first}...${last}`);
    return all.slice(from, to + 1);
  }

  explainInvalid(key: string, now: Date = new Date()): string | undefined {
    const parts = this.split(key);
    if (!parts) return this.shapeProblem(key);
    for (const [i, d] of this.dimensions.entries()) {
      const problem = d.partitions.explainInvalid(parts[i]!, now);
      if (problem) return `Partition ${JSON.stringify(key)} of ${this.describe()}, dimension "${d.name}": ${problem}`;
    }
    return undefined;
  }

  sortKeys(keys: readonly string[]): string[] {
    const parts = new Map(keys.map((k) => [k, this.split(k)]));
    // Each dimension ranks the values that occur, in its own order.
    const ranks = this.dimensions.map((d, i) => {
      const values = [...new Set(keys.flatMap((k) => parts.get(k)?.[i] ?? []))];
      return new Map(d.partitions.sortKeys(values).map((v, r) => [v, r]));
    });
    const rank = (key: string): number[] => parts.get(key)?.map((v, i) => ranks[i]!.get(v)!) ?? [Infinity, Infinity];
    return [...keys].sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      return ra[0]! - rb[0]! || ra[1]! - rb[1]!;
    });
  }

  describe(): string {
    return `multi partitions (${this.dimensions.map((d) => `${d.name}: ${d.partitions.describe()}`).join("; ")})`;
  }

  toSnapshot(now: Date = new Date()): MultiPartitionsSnapshot {
    return {
      type: "multi",
      dimensions: this.dimensions.map((d) => {
        const snapshot = d.partitions.toSnapshot(now);
        return snapshot.type === "dynamic" ? { ...snapshot, name: d.name, partitionsName: snapshot.name } : { name: d.name, ...snapshot };
      }),
      count: this.count(now),
    };
  }

  private split(key: string): string[] | undefined {
    if (typeof key !== "string") return undefined;
    const parts = key.split(MULTI_PARTITION_DELIMITER);
    return parts.length === this.dimensions.length ? parts : undefined;
  }

  private join(parts: (string | undefined)[]): string | undefined {
    return parts.every((p) => p !== undefined) ? parts.join(MULTI_PARTITION_DELIMITER) : undefined;
  }

  private dimensionList(): string {
    return this.dimensions.map((d) => d.name).join(", ");
  }

  private shapeProblem(key: string): string {
    const example = this.firstKey() ?? this.dimensions.map((d) => `<${d.name}>`).join(MULTI_PARTITION_DELIMITER);
    return (
      `Partition ${JSON.stringify(key)} is not a key of ${this.describe()}: a key joins one key of each dimension ` +
      `(${this.dimensionList()}, in that order) with "${MULTI_PARTITION_DELIMITER}", e.g. ${JSON.stringify(example)}.`
    );
  }
}

/**
 * Partitions along two dimensions, each time windows, static keys or dynamic partitions (as
 * Dagster's MultiPartitionsDefinition). Dimension names are letters, digits and `_`; static keys of
 * a dimension may not contain `|`, `,`, `[` or `]` (nor may dynamic keys, which are checked when added).
 * @example
 * const byDayAndDevice = multiPartitions({
 *   date: dailyPartitions({ start: "2025-01-01" }),
 *   device: staticPartitions(["dev-1", "dev-2"]),
 * });
 * byDayAndDevice.keysByDimension("2025-01-01|dev-1"); // { date: "2025-01-01", device: "dev-1" }
 */
export function multiPartitions(
  dimensions: Readonly<Record<string, TimeWindowPartitionsDefinition | StaticPartitionsDefinition | DynamicPartitionsDefinition>>,
): MultiPartitionsDefinition {
  if (typeof dimensions !== "object" || dimensions === null || Array.isArray(dimensions)) {
    throw new DefinitionError(`multiPartitions takes an object of dimensions, such as { date: dailyPartitions(...), device: staticPartitions([...]) }.`);
  }
  const entries = Object.entries(dimensions);
  if (entries.length !== 2) {
    throw new DefinitionError(`multiPartitions needs exactly 2 dimensions (as Dagster's); got ${entries.length}${entries.length ? ` (${entries.map(([n]) => n).join(", ")})` : ""}.`);
  }
  for (const [name, partitions] of entries) {
    if (!DIMENSION_NAME.test(name)) throw new DefinitionError(`multiPartitions: dimension name ${JSON.stringify(name)} is not valid: use letters, digits and "_".`);
    if (!isPartitionsDefinition(partitions)) {
      throw new DefinitionError(`multiPartitions: dimension "${name}" is not a partitions definition. Use dailyPartitions(), staticPartitions(), dynamicPartitions()...`);
    }
    if ((partitions as PartitionsDefinition).type === "multi") throw new DefinitionError(`multiPartitions: dimension "${name}" is itself multi-dimensional; nest no multiPartitions.`);
    if (partitions.type === "static") {
      const bad = partitions.partitionKeys.find((k) => FORBIDDEN_IN_DIMENSION_KEYS.some((c) => k.includes(c)));
      if (bad !== undefined) {
        throw new DefinitionError(`multiPartitions: key ${JSON.stringify(bad)} of dimension "${name}" contains one of ${FORBIDDEN_IN_DIMENSION_KEYS.join(" ")}, which a multi-dimensional key cannot hold.`);
      }
    }
  }
  return new MultiPartitionsDefinition(entries.map(([name, partitions]) => ({ name, partitions })));
}
