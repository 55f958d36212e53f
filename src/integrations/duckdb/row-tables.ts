import type { DuckDBAppender, DuckDBResultReader } from "@duckdb/node-api";

/** How one column of JavaScript rows is stored in DuckDB. */
export interface ColumnPlan {
  name: string;
  /** The SQL type of the column. */
  sqlType: "BIGINT" | "DOUBLE" | "HUGEINT" | "BOOLEAN" | "VARCHAR" | "TIMESTAMP" | "JSON" | "BLOB";
}

type ValueKind = "int" | "float" | "bigint" | "boolean" | "string" | "date" | "json" | "bytes";

const SQL_TYPE_OF: Record<ValueKind, ColumnPlan["sqlType"]> = {
  int: "BIGINT",
  float: "DOUBLE",
  bigint: "HUGEINT",
  boolean: "BOOLEAN",
  string: "VARCHAR",
  date: "TIMESTAMP",
  json: "JSON",
  bytes: "BLOB",
};

/** Why rows cannot become a table: `where` names the value (`$[3].amount`). */
export class RowShapeError extends Error {
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(message);
  }
}

function kindOf(value: unknown): ValueKind | null {
  switch (typeof value) {
    case "undefined":
      return null;
    case "number":
      return Number.isSafeInteger(value) ? "int" : "float";
    case "bigint":
      return "bigint";
    case "boolean":
      return "boolean";
    case "string":
      return "string";
    case "object":
      if (value === null) return null;
      if (value instanceof Date) return "date";
      if (value instanceof Uint8Array) return "bytes";
      return "json";
    default:
      return "json";
  }
}

/** The SQL types a column can be declared with (`duckdb/column_types`). */
export const COLUMN_TYPES: readonly ColumnPlan["sqlType"][] = ["BIGINT", "DOUBLE", "HUGEINT", "BOOLEAN", "VARCHAR", "TIMESTAMP", "JSON", "BLOB"];

/** Which kinds of values each declared type takes. */
const ACCEPTS: Record<ColumnPlan["sqlType"], readonly ValueKind[]> = {
  BIGINT: ["int"],
  DOUBLE: ["int", "float"],
  HUGEINT: ["int", "bigint"],
  BOOLEAN: ["boolean"],
  VARCHAR: ["string"],
  TIMESTAMP: ["date"],
  JSON: ["int", "float", "boolean", "string", "json"],
  BLOB: ["bytes"],
};

/**
 * The columns of a table that holds `rows`: every key found in any row, in first-seen order, then
 * declared columns that no row has. A declared column has its declared type; another has the one
 * type its values share (integers and fractions make DOUBLE; only nulls make VARCHAR). Since a
 * column of whole numbers would become BIGINT, declare the ones meant as DOUBLE. Throws
 * RowShapeError when `rows` is not an array of plain objects, a column mixes types, or a value does
 * not fit its declared type, naming the value.
 */
export function planColumns(rows: unknown, declared: Readonly<Record<string, string>> = {}): ColumnPlan[] {
  for (const [name, type] of Object.entries(declared)) {
    if (!(COLUMN_TYPES as readonly string[]).includes(type)) {
      throw new RowShapeError(`column "${name}" is declared as ${JSON.stringify(type)}; use one of ${COLUMN_TYPES.join(", ")}`, `columns.${name}`);
    }
  }
  if (!Array.isArray(rows)) throw new RowShapeError(`the value is ${describe(rows)}, not an array of row objects`, "$");
  const kinds = new Map<string, { kind: ValueKind | null; firstAt: string }>();
  // Columns in the order rows first show them; declared ones that no row has come last.
  const order = new Set<string>();
  rows.forEach((row, index) => {
    if (typeof row !== "object" || row === null || Array.isArray(row) || row instanceof Date) {
      throw new RowShapeError(`row ${index} is ${describe(row)}, not an object`, `$[${index}]`);
    }
    for (const [name, value] of Object.entries(row as Record<string, unknown>)) {
      const kind = kindOf(value);
      if (typeof value === "function" || typeof value === "symbol") {
        throw new RowShapeError(`$[${index}].${name} is a ${typeof value}, which a table cannot hold`, `$[${index}].${name}`);
      }
      const at = `$[${index}].${name}`;
      order.add(name);
      const declaredType = declared[name] as ColumnPlan["sqlType"] | undefined;
      if (declaredType) {
        if (kind !== null && !ACCEPTS[declaredType].includes(kind)) {
          throw new RowShapeError(`${at} is ${article(kind)}, which does not fit column "${name}" declared as ${declaredType}`, at);
        }
        continue;
      }
      const seen = kinds.get(name);
      if (!seen) {
        kinds.set(name, { kind, firstAt: at });
      } else if (seen.kind === null) {
        if (kind !== null) kinds.set(name, { kind, firstAt: at });
      } else if (kind !== null && kind !== seen.kind) {
        const merged = mergeNumbers(seen.kind, kind);
        if (!merged) {
          throw new RowShapeError(
            `column "${name}" holds ${article(seen.kind)} at ${seen.firstAt} and ${article(kind)} at ${at}; ` +
              `a table column has one type, so convert them to one`,
            at,
          );
        }
        seen.kind = merged;
      }
    }
  });
  for (const name of Object.keys(declared)) order.add(name);
  return [...order].map((name) => {
    const kind = kinds.get(name)?.kind ?? null;
    return { name, sqlType: (declared[name] as ColumnPlan["sqlType"] | undefined) ?? (kind === null ? "VARCHAR" : SQL_TYPE_OF[kind]) };
  });
}

function mergeNumbers(a: ValueKind, b: ValueKind): ValueKind | null {
  const numeric = new Set<ValueKind>(["int", "float"]);
  return numeric.has(a) && numeric.has(b) ? "float" : null;
}

function article(kind: ValueKind): string {
  const names: Record<ValueKind, string> = {
    int: "an integer",
    float: "a fractional number",
    bigint: "a bigint",
    boolean: "a boolean",
    string: "a string",
    date: "a Date",
    json: "an object or array",
    bytes: "bytes",
  };
  return names[kind];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date";
  return typeof value === "object" ? "an object" : `${typeof value === "undefined" ? "undefined" : `a ${typeof value}`}`;
}

/** Appends rows through a DuckDB appender, column by column as planned. */
export function appendRows(
  appender: DuckDBAppender,
  columns: readonly ColumnPlan[],
  rows: readonly Record<string, unknown>[],
  makeTimestamp: (date: Date) => Parameters<DuckDBAppender["appendTimestamp"]>[0],
): void {
  for (const row of rows) {
    for (const column of columns) {
      const value = row[column.name];
      if (value === undefined || value === null) {
        appender.appendNull();
        continue;
      }
      switch (column.sqlType) {
        case "BIGINT":
          appender.appendBigInt(BigInt(value as number));
          break;
        case "DOUBLE":
          appender.appendDouble(value as number);
          break;
        case "HUGEINT":
          appender.appendHugeInt(BigInt(value as number | bigint));
          break;
        case "BOOLEAN":
          appender.appendBoolean(value as boolean);
          break;
        case "VARCHAR":
          appender.appendVarchar(value as string);
          break;
        case "TIMESTAMP":
          appender.appendTimestamp(makeTimestamp(value as Date));
          break;
        case "JSON":
          appender.appendVarchar(JSON.stringify(value));
          break;
        case "BLOB":
          appender.appendBlob(value as Uint8Array);
          break;
      }
    }
    appender.endRow();
  }
}

/** DuckDB type ids (of `@duckdb/node-api`'s DuckDBTypeId) whose values need converting back. */
const INTEGER_TYPE_IDS = new Set([2, 3, 4, 5, 6, 7, 8, 9, 16, 32]);
const TIMESTAMP_TYPE_IDS = new Set([12, 31]);
const DECIMAL_TYPE_ID = 19;
const BLOB_TYPE_ID = 18;

/**
 * A query result as plain rows, the inverse of what {@link appendRows} stores: integers as numbers
 * (as bigints beyond 2^53), TIMESTAMP as Date, JSON columns parsed, BLOB as Uint8Array, DATE as
 * `YYYY-MM-DD`, DECIMAL as a number; anything else as DuckDB's JSON form of it.
 */
export function rowsOf(result: DuckDBResultReader): Record<string, unknown>[] {
  const names = result.columnNames();
  const types = result.columnTypes();
  const rows = result.getRowObjectsJson() as Record<string, unknown>[];
  const needRaw = types.some((t) => TIMESTAMP_TYPE_IDS.has(t.typeId) || t.typeId === BLOB_TYPE_ID);
  const raw = needRaw ? (result.getRowObjects() as Record<string, unknown>[]) : [];
  names.forEach((name, column) => {
    const type = types[column]!;
    let convert: ((value: unknown, index: number) => unknown) | undefined;
    if (type.alias === "JSON") convert = (v) => JSON.parse(v as string);
    else if (INTEGER_TYPE_IDS.has(type.typeId)) convert = (v) => toNumber(v);
    else if (type.typeId === DECIMAL_TYPE_ID) convert = (v) => Number(v);
    else if (TIMESTAMP_TYPE_IDS.has(type.typeId)) convert = (_v, i) => new Date(Number((raw[i]![name] as { micros: bigint }).micros / 1000n));
    else if (type.typeId === BLOB_TYPE_ID) convert = (_v, i) => (raw[i]![name] as { bytes: Uint8Array }).bytes;
    if (!convert) return;
    rows.forEach((row, index) => {
      if (row[name] !== null) row[name] = convert(row[name], index);
    });
  });
  return rows;
}

function toNumber(value: unknown): number | bigint {
  if (typeof value === "number") return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value as string);
}
