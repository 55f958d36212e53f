/**
 * Dynamic partitions (as Dagster's DynamicPartitionsDefinition): a named set of keys that lives in
 * the instance's storage, added and removed while Sluice runs (by `sluice partitions add`, the API
 * or a sensor), not listed in code. The definition holds the keys last read from storage; the runs
 * layer refreshes them before any run is created or executed, so that the synchronous checks of a
 * run (`has`, `explainInvalid`) see the instance's keys.
 */
import { DefinitionError, InputLimitError, PartitionError, UsageError } from "../errors.js";
import { InputLimits } from "../input-limits.js";
import { PARTITIONS_BRAND, quoteKeys, SNAPSHOT_KEY_LIMIT, type PartitionsBase } from "./partitions-definition.js";

/** What a name of dynamic partitions may hold: letters, digits, `_`, `-` and `.`. */
const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** A name of dynamic partitions, at most this many characters. */
export const DYNAMIC_PARTITIONS_NAME_LENGTH = 128;
/**
 * Substrings no dynamic key may hold: `...` separates the ends of a range; `|` joins the keys of a
 * multi-dimensional key, and `,`, `[`, `]` delimit key subsets (Dagster's rule for the keys of a
 * dimension), so that dynamic partitions can be a dimension of `multiPartitions()`.
 */
const FORBIDDEN_IN_KEYS = ["...", "|", ",", "[", "]"];
/** Control characters (line breaks, tabs, NUL...): never part of a key. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The `dynamic partitions "NAME"` of messages. */
function label(name: string): string {
  return `dynamic partitions ${JSON.stringify(name)}`;
}

/** A key as typed on a command line: bare when it is plain, else single-quoted. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_.:@%+=/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Why `name` cannot name dynamic partitions, or undefined when it can: letters, digits, `_`, `-`
 * and `.`, 1 to {@link DYNAMIC_PARTITIONS_NAME_LENGTH} characters.
 */
export function explainInvalidDynamicPartitionsName(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return `The name of dynamic partitions must be a non-empty string such as "tenants"; got ${name === "" ? "an empty string" : typeof name}.`;
  if (name.length > DYNAMIC_PARTITIONS_NAME_LENGTH) {
    return `The name of dynamic partitions ${JSON.stringify(`${name.slice(0, 37)}...`)} is ${name.length} characters long; at most ${DYNAMIC_PARTITIONS_NAME_LENGTH} are allowed.`;
  }
  if (!NAME_PATTERN.test(name)) return `The name of dynamic partitions ${JSON.stringify(name)} is not valid: use letters, digits, "_", "-" and ".".`;
  return undefined;
}

/**
 * Checks keys to add to dynamic partitions `name`: at most {@link InputLimits.partitionKeysPerRequest}
 * per request, each a non-empty string of at most {@link InputLimits.nameLength} characters with no
 * control character, `...`, `|`, `,`, `[` or `]`. `path` names where the keys came from in
 * messages (`body.add`, a sensor's request). Returns the keys without repeats, in the order given.
 * @throws UsageError for a bad name, InputLimitError for too many or too long keys, PartitionError
 * naming the first bad key.
 */
export function checkDynamicPartitionKeys(name: string, keys: readonly unknown[], path = "keys"): string[] {
  const badName = explainInvalidDynamicPartitionsName(name);
  if (badName) throw new UsageError(badName);
  if (!Array.isArray(keys)) throw new UsageError(`${path} must be an array of partition keys (strings).`);
  if (keys.length > InputLimits.partitionKeysPerRequest) {
    throw new InputLimitError(
      `${path} lists ${keys.length.toLocaleString("en-US")} keys of ${label(name)}; at most ${InputLimits.partitionKeysPerRequest.toLocaleString("en-US")} are allowed per request. Send them in several requests.`,
      path,
      InputLimits.partitionKeysPerRequest,
    );
  }
  keys.forEach((key, i) => {
    const problem = explainInvalidKey(key);
    if (!problem) return;
    if (typeof key === "string" && key.length > InputLimits.nameLength) {
      throw new InputLimitError(`${path}[${i}]: a key of ${label(name)} ${problem}`, `${path}.${i}`, InputLimits.nameLength);
    }
    throw new PartitionError(`${path}[${i}]: ${typeof key === "string" ? `key ${JSON.stringify(key)}` : "the key"} of ${label(name)} ${problem}`, typeof key === "string" ? key : null, [name]);
  });
  return [...new Set(keys as string[])];
}

function explainInvalidKey(key: unknown): string | undefined {
  if (typeof key !== "string") return `is ${key === null ? "null" : typeof key}; a partition key is a string.`;
  if (key === "") return "is empty; a partition key is a non-empty string.";
  if (key.length > InputLimits.nameLength) return `is ${key.length.toLocaleString("en-US")} characters long; at most ${InputLimits.nameLength.toLocaleString("en-US")} are allowed.`;
  if (CONTROL_CHARACTERS.test(key)) return "holds a control character (a line break, a tab...), which a partition key may not.";
  const bad = FORBIDDEN_IN_KEYS.find((s) => key.includes(s));
  if (bad !== undefined) return `contains ${JSON.stringify(bad)}; dynamic partition keys may not contain ${FORBIDDEN_IN_KEYS.map((s) => JSON.stringify(s)).join(", ")} (they delimit ranges and multi-dimensional keys).`;
  return undefined;
}

/** Dynamic partitions as the snapshot shows them. */
export interface DynamicPartitionsSnapshot {
  type: "dynamic";
  /** The name the keys are stored under in the instance. */
  name: string;
  /** The keys as last read from the instance, the first {@link SNAPSHOT_KEY_LIMIT} of them at most, in the order they were added. */
  keys: string[];
  count: number;
}

/**
 * Partitions whose keys live in the instance's storage under a name. Create with
 * `dynamicPartitions()`. Its key methods answer from the keys last read from storage (none until
 * the runs layer reads them: `loadDynamicPartitions(defs, storage)`), in the order they were added.
 */
export class DynamicPartitionsDefinition implements PartitionsBase {
  readonly [PARTITIONS_BRAND] = true as const;
  readonly type = "dynamic" as const;
  readonly id: string;
  /** The name the keys are stored under. */
  readonly name: string;
  #keys: readonly string[] = [];
  #index: ReadonlyMap<string, number> = new Map();
  #loaded = false;

  /** Use `dynamicPartitions()`, which validates the name. */
  constructor(name: string) {
    this.name = name;
    this.id = `dynamic:${name}`;
  }

  /** True once keys were read from storage (see {@link useKeys}). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /**
   * Replaces the keys this definition answers from: the keys stored in the instance, in the order
   * they were added. Called by the runs layer after it reads them; not for user code.
   */
  useKeys(keys: readonly string[]): void {
    this.#keys = Object.freeze([...keys]);
    this.#index = new Map(this.#keys.map((k, i) => [k, i]));
    this.#loaded = true;
  }

  keys(): string[] {
    return [...this.#keys];
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  count(): number {
    return this.#keys.length;
  }

  firstKey(): string | undefined {
    return this.#keys[0];
  }

  lastKey(): string | undefined {
    return this.#keys[this.#keys.length - 1];
  }

  /** The keys from `first` to `last`, both included, in the order they were added; throws PartitionError naming a key that does not exist. */
  keysBetween(first: string, last: string): string[] {
    for (const key of [first, last]) {
      const problem = this.explainInvalid(key);
      if (problem) throw new PartitionError(problem, key, [this.name]);
    }
    const from = this.#index.get(first)!;
    const to = this.#index.get(last)!;
    if (from > to) throw new PartitionError(`Partition range "${first}...${last}" is backwards: "${first}" was added after "${last}".`, `${first}...${last}`, [this.name]);
    return this.#keys.slice(from, to + 1);
  }

  explainInvalid(key: string): string | undefined {
    if (this.#index.has(key)) return undefined;
    if (!this.#loaded) {
      return (
        `Partition ${JSON.stringify(key)} of ${label(this.name)} cannot be checked: their keys were not read from the instance ` +
        `(call loadDynamicPartitions(defs, storage) before creating or executing runs).`
      );
    }
    const n = this.#keys.length;
    const existing = n === 0 ? "no keys exist yet" : `${n} key${n === 1 ? "" : "s"} exist${n === 1 ? "s" : ""}: ${quoteKeys(this.#keys, 10)}`;
    return `Partition ${JSON.stringify(key)} of ${label(this.name)} does not exist; add it with \`sluice partitions add ${this.name} ${shellWord(key)}\` (${existing}).`;
  }

  sortKeys(keys: readonly string[]): string[] {
    const pos = (k: string): number => this.#index.get(k) ?? Infinity;
    return [...keys].sort((a, b) => pos(a) - pos(b));
  }

  describe(): string {
    return label(this.name);
  }

  toSnapshot(): DynamicPartitionsSnapshot {
    return { type: "dynamic", name: this.name, keys: this.#keys.slice(0, SNAPSHOT_KEY_LIMIT), count: this.#keys.length };
  }
}

/**
 * Partitions whose keys are added and removed at run time (tenants, customers, uploaded files),
 * stored in the instance under `name` (as Dagster's DynamicPartitionsDefinition): by
 * `sluice partitions add NAME KEY...`, `POST /api/partitions/NAME`, or a sensor returning
 * `dynamicPartitionsRequests`. Names are letters, digits, `_`, `-` and `.`; two definitions with the
 * same name share their keys.
 * @example
 * const tenants = dynamicPartitions("tenants");
 * const tenantReport = asset({ key: "tenant_report", partitions: tenants, run: (_in, { partitionKey }) => buildReport(partitionKey!) });
 * // sluice partitions add tenants acme globex
 */
export function dynamicPartitions(name: string): DynamicPartitionsDefinition {
  const problem = explainInvalidDynamicPartitionsName(name);
  if (problem) throw new DefinitionError(`dynamicPartitions: ${problem}`, typeof name === "string" ? name : undefined);
  return new DynamicPartitionsDefinition(name);
}
