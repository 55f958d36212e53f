import { DefinitionError, PartitionError } from "../errors.js";
import { PARTITIONS_BRAND, quoteKeys, SNAPSHOT_KEY_LIMIT, type PartitionsBase, type StaticPartitionsSnapshot } from "./partitions-definition.js";

/** A fixed list of partition keys (as Dagster's StaticPartitionsDefinition). Create with `staticPartitions()`. */
export class StaticPartitionsDefinition implements PartitionsBase {
  readonly [PARTITIONS_BRAND] = true as const;
  readonly type = "static" as const;
  readonly id: string;
  /** The keys, in the order given. */
  readonly partitionKeys: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  /** Use `staticPartitions()`, which validates the keys. */
  constructor(keys: readonly string[]) {
    this.partitionKeys = Object.freeze([...keys]);
    this.index = new Map(keys.map((k, i) => [k, i]));
    this.id = JSON.stringify(["static", keys]);
  }

  keys(): string[] {
    return [...this.partitionKeys];
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  count(): number {
    return this.partitionKeys.length;
  }

  firstKey(): string | undefined {
    return this.partitionKeys[0];
  }

  lastKey(): string | undefined {
    return this.partitionKeys[this.partitionKeys.length - 1];
  }

  /** The keys from `first` to `last`, both included, in the order given; throws PartitionError naming a key that does not exist. */
  keysBetween(first: string, last: string): string[] {
    for (const key of [first, last]) {
      const problem = this.explainInvalid(key);
      if (problem) throw new PartitionError(problem, key);
    }
    const from = this.index.get(first)!;
    const to = this.index.get(last)!;
    if (from > to) throw new PartitionError(`Partition range "${first}...${last}" is backwards: "${first}" comes after "${last}".`, `${first}...${last}`);
    return this.partitionKeys.slice(from, to + 1);
  }

  explainInvalid(key: string): string | undefined {
    if (this.index.has(key)) return undefined;
    return `Partition ${JSON.stringify(key)} is not one of the ${this.partitionKeys.length} keys of ${this.describe()}. Valid keys: ${quoteKeys(this.partitionKeys, 10)}.`;
  }

  sortKeys(keys: readonly string[]): string[] {
    const pos = (k: string): number => this.index.get(k) ?? Infinity;
    return [...keys].sort((a, b) => pos(a) - pos(b));
  }

  describe(): string {
    return `static partitions [${quoteKeys(this.partitionKeys, 3)}]`;
  }

  toSnapshot(): StaticPartitionsSnapshot {
    return { type: "static", keys: this.partitionKeys.slice(0, SNAPSHOT_KEY_LIMIT), count: this.partitionKeys.length };
  }
}

/**
 * Partitions named by a fixed list of keys: regions, customers, devices. Keys must be non-empty
 * strings without line breaks, each once.
 * @example
 * const regions = staticPartitions(["eu", "us", "apac"]);
 * const sales = asset({ key: "sales", partitions: regions, run: (_in, { partitionKey }) => fetchSales(partitionKey!) });
 */
export function staticPartitions(keys: readonly string[]): StaticPartitionsDefinition {
  if (!Array.isArray(keys)) throw new DefinitionError(`staticPartitions takes an array of keys such as ["eu", "us"], got ${typeof keys}.`);
  if (keys.length === 0) throw new DefinitionError(`staticPartitions needs at least one key; got an empty array.`);
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    if (typeof key !== "string" || key === "" || /[\r\n]/.test(key)) {
      throw new DefinitionError(`staticPartitions: key [${i}] ${JSON.stringify(key)} is not valid: keys are non-empty strings without line breaks.`);
    }
    if (key.includes("...")) {
      throw new DefinitionError(`staticPartitions: key [${i}] ${JSON.stringify(key)} contains "...", which separates the ends of a partition range.`);
    }
    if (seen.has(key)) throw new DefinitionError(`staticPartitions: key ${JSON.stringify(key)} is listed twice. Each key must be unique.`);
    seen.add(key);
  });
  return new StaticPartitionsDefinition(keys);
}
