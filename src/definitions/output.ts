import { UsageError } from "./errors.js";
import type { MetadataInput } from "./metadata.js";

/** The longest data version `output()` accepts, in characters. */
export const DATA_VERSION_MAX_LENGTH = 256;

const OUTPUT_BRAND = Symbol.for("sluice.output");

/** A value returned together with metadata about it. Made by {@link output}. */
export interface Output<T> {
  readonly [OUTPUT_BRAND]: true;
  readonly value: T;
  readonly metadata: MetadataInput;
  readonly rowCount: number | undefined;
  readonly dataVersion: string | undefined;
}

/** What `output()` accepts besides the value. */
export interface OutputOptions {
  /** Metadata recorded on the materialization (numbers, text, JSON, `meta.url(...)`...). */
  metadata?: MetadataInput;
  /** Row count, recorded as `sluice/row_count` and shown as such by the UI. */
  rowCount?: number;
  /**
   * The version of this data, when the asset knows it (a hash of a file, a source's revision): it
   * replaces the one Sluice derives, and downstream assets are stale only when it changes.
   * At most 256 characters.
   */
  dataVersion?: string;
}

/**
 * Returns a value from an asset together with metadata recorded on its materialization. The
 * downstream assets receive `value`, typed as `T`.
 * @example
 * run: async () => {
 *   const rows = await readCsv("orders.csv");
 *   return output(rows, { rowCount: rows.length, metadata: { source: "orders.csv" } });
 * }
 */
export function output<T>(value: T, options: OutputOptions = {}): Output<T> {
  const { dataVersion } = options;
  if (dataVersion !== undefined && (typeof dataVersion !== "string" || dataVersion.length === 0 || dataVersion.length > DATA_VERSION_MAX_LENGTH)) {
    const given = typeof dataVersion === "string" ? `a string of ${dataVersion.length} characters` : typeof dataVersion;
    throw new UsageError(`output(): dataVersion must be a string of 1 to ${DATA_VERSION_MAX_LENGTH} characters, got ${given}. Give a short hash or revision of the data.`);
  }
  return {
    [OUTPUT_BRAND]: true,
    value,
    metadata: options.metadata ?? {},
    rowCount: options.rowCount,
    dataVersion: options.dataVersion,
  };
}

/** True when `value` was made by {@link output}. */
export function isOutput(value: unknown): value is Output<unknown> {
  return typeof value === "object" && value !== null && OUTPUT_BRAND in value;
}

/** The value type an asset's function produces, once an `Output` wrapper is removed. */
export type UnwrapOutput<T> = T extends Output<infer V> ? V : T;
