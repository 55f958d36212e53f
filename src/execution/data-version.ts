/**
 * Data versions, as Dagster derives them. A data version names one state of an asset's data: two
 * materializations with the same data version hold the same data. It is the asset's own when it gives
 * one (`output(value, { dataVersion })`); else, when the asset declares a code version, a hash of that
 * code version and the data versions of its inputs (same code on the same inputs: same data); else a
 * fresh random version, because without a code version nothing says two runs computed the same thing.
 */
import { createHash, randomFillSync } from "node:crypto";

/** Hex characters of a derived data version: 96 bits, far from any collision in one instance. */
const DATA_VERSION_HEX_LENGTH = 24;

/** Upstream asset key → the data version of what was read of it. */
export type InputDataVersions = Readonly<Record<string, string>>;

/** What a materialization records about versions, in its event data and the asset index. */
export interface MaterializationVersions {
  dataVersion: string;
  codeVersion: string | null;
  inputDataVersions: InputDataVersions;
}

/**
 * The data version of a materialization: `given` when the asset gave one, else derived from its code
 * version and input data versions (deterministic), else random.
 */
export function dataVersionOf(given: string | undefined, codeVersion: string | null, inputs: InputDataVersions): string {
  if (given !== undefined) return given;
  if (codeVersion === null) return randomHex();
  // Sorted, so that the order ins and deps were declared in does not change the version.
  const entries = Object.keys(inputs)
    .sort()
    .map((key) => [key, inputs[key]!]);
  return hash(JSON.stringify([codeVersion, entries]));
}

/**
 * One data version for what was read of a partitioned upstream asset: a hash of its partitions' keys
 * and data versions (null when one of them has none, so it cannot be compared). The same partitions
 * at the same versions give the same result in whatever order they come.
 */
export function partitionsDataVersion(versions: ReadonlyArray<readonly [string, string | null]>): string | null {
  const sorted = [...versions].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (sorted.some(([, version]) => version === null)) return null;
  return hash(JSON.stringify(sorted));
}

/** Random bytes drawn a page at a time: one call to the system per 340 versions, not one each. */
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;

/** A fresh random data version (from the CSPRNG, as randomBytes would give it). */
function randomHex(): string {
  const bytes = DATA_VERSION_HEX_LENGTH / 2;
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const hex = randomPool.toString("hex", randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, DATA_VERSION_HEX_LENGTH);
}
