import type { MetadataInput } from "./metadata.js";

const OUTPUT_BRAND = Symbol.for("sluice.output");

/** A value returned together with metadata about it. Made by {@link output}. */
export interface Output<T> {
  readonly [OUTPUT_BRAND]: true;
  readonly value: T;
  readonly metadata: MetadataInput;
  readonly rowCount: number | undefined;
}

/** What `output()` accepts besides the value. */
export interface OutputOptions {
  /** Metadata recorded on the materialization (numbers, text, JSON, `meta.url(...)`...). */
  metadata?: MetadataInput;
  /** Row count, recorded as `sluice/row_count` and shown as such by the UI. */
  rowCount?: number;
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
  return {
    [OUTPUT_BRAND]: true,
    value,
    metadata: options.metadata ?? {},
    rowCount: options.rowCount,
  };
}

/** True when `value` was made by {@link output}. */
export function isOutput(value: unknown): value is Output<unknown> {
  return typeof value === "object" && value !== null && OUTPUT_BRAND in value;
}

/** The value type an asset's function produces, once an `Output` wrapper is removed. */
export type UnwrapOutput<T> = T extends Output<infer V> ? V : T;
