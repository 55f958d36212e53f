import type { MetadataMap, MetadataValue } from "./metadata-value.js";

const METADATA_BRAND = Symbol.for("sluice.metadata-value");

/** A metadata value made by one of the {@link meta} helpers. */
export type TaggedMetadata = MetadataValue & { readonly [METADATA_BRAND]: true };

/**
 * What users may write as a metadata value: a plain number, string, boolean or null, a plain
 * object or array (kept as JSON), or a tagged value from {@link meta}.
 */
export type MetadataInputValue = number | string | boolean | null | TaggedMetadata | object;

/** Metadata as users write it: name → value. */
export type MetadataInput = Record<string, MetadataInputValue>;

/** Key under which a row count is recorded (Dagster's `dagster/row_count`). */
export const ROW_COUNT_KEY = "sluice/row_count";

function tag<T extends MetadataValue>(value: T): T & { readonly [METADATA_BRAND]: true } {
  return Object.assign(value, { [METADATA_BRAND]: true as const });
}

/**
 * Helpers that give a metadata value an explicit kind, so the UI renders it as such.
 * @example
 * return output(rows, { metadata: { source: meta.url("https://example.com/orders.csv"), preview: meta.table(rows.slice(0, 5)) } });
 */
export const meta = {
  int: (value: number) => tag({ type: "int", value: Math.trunc(value) }),
  float: (value: number) => tag({ type: "float", value }),
  text: (value: string) => tag({ type: "text", value }),
  bool: (value: boolean) => tag({ type: "bool", value }),
  json: (value: unknown) => tag({ type: "json", value }),
  url: (value: string) => tag({ type: "url", value }),
  path: (value: string) => tag({ type: "path", value }),
  md: (value: string) => tag({ type: "markdown", value }),
  timestamp: (value: Date | number) =>
    tag({ type: "timestamp", value: typeof value === "number" ? value : value.getTime() }),
  // Any objects, so rows typed with an interface (no index signature) fit.
  table: (rows: readonly object[], columns?: { name: string; type?: string }[]) =>
    tag({
      type: "table",
      value: { columns: columns ?? inferColumns(rows), rows: rows as Record<string, unknown>[] },
    }),
} as const;

function inferColumns(rows: readonly object[]): { name: string; type?: string }[] {
  const names = new Map<string, string>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      if (!names.has(name)) names.set(name, value === null ? "null" : typeof value);
    }
  }
  return [...names].map(([name, type]) => ({ name, type }));
}

function isTagged(value: unknown): value is TaggedMetadata {
  return typeof value === "object" && value !== null && METADATA_BRAND in value;
}

/** Turns user metadata into tagged values that storage keeps as JSON. */
export function normalizeMetadata(input: MetadataInput | undefined): MetadataMap {
  const out: MetadataMap = {};
  if (!input) return out;
  for (const [name, value] of Object.entries(input)) {
    out[name] = normalizeValue(value);
  }
  return out;
}

function normalizeValue(value: MetadataInputValue): MetadataValue {
  if (isTagged(value)) {
    // Drop the brand: storage keeps plain JSON.
    return { type: value.type, value: value.value } as MetadataValue;
  }
  if (value === null) return { type: "null", value: null };
  if (typeof value === "number") {
    return Number.isInteger(value) ? { type: "int", value } : { type: "float", value };
  }
  if (typeof value === "string") return { type: "text", value };
  if (typeof value === "boolean") return { type: "bool", value };
  if (value instanceof Date) return { type: "timestamp", value: value.getTime() };
  return { type: "json", value: JSON.parse(JSON.stringify(value)) as unknown };
}
