import { z } from "zod";
import {
  InputNotMaterializedError,
  meta,
  resource,
  ROW_COUNT_KEY,
  SerializationError,
  type InputContext,
  type IOManager,
  type MetadataInput,
  type OutputContext,
} from "../../index.js";
import { duckdbConfigShape } from "./duckdb-config.js";
import { DuckDBDatabase, type DuckDBDatabaseOptions } from "./duckdb-database.js";
import { loadDuckDB } from "./duckdb-instances.js";
import { appendRows, planColumns, rowsOf, RowShapeError } from "./row-tables.js";

/** Where an asset's table lives: `raw/orders` → schema `raw`, table `orders`. */
export interface TableName {
  schema: string;
  table: string;
}

/**
 * The table of an asset key: its last component names the table, the components before it (joined
 * with `__`) the schema; a one-component key goes to `defaultSchema`.
 */
export function tableNameOf(assetKey: string, defaultSchema = "main"): TableName {
  const parts = assetKey.split("/");
  const table = parts.pop()!;
  return { schema: parts.length > 0 ? parts.join("__") : defaultSchema, table };
}

/** Metadata key under which an asset declares column types: `{ revenue: "DOUBLE" }`. */
export const COLUMN_TYPES_KEY = "duckdb/column_types";

function declaredColumnTypes(context: OutputContext, assetKey: string): Record<string, string> {
  const declared = context.definitionMetadata?.[COLUMN_TYPES_KEY];
  if (declared === undefined) return {};
  if (typeof declared !== "object" || declared === null || Array.isArray(declared) || !Object.values(declared).every((t) => typeof t === "string")) {
    throw new SerializationError(
      `Asset "${assetKey}": metadata "${COLUMN_TYPES_KEY}" must map column names to SQL types, like { revenue: "DOUBLE" }.`,
      assetKey,
      `metadata.${COLUMN_TYPES_KEY}`,
    );
  }
  return declared as Record<string, string>;
}

/** An SQL identifier in double quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Stores each asset's value, an array of row objects, as a DuckDB table named after its key, and
 * loads it back as rows for downstream assets. Columns get one type each from the values (numbers:
 * BIGINT when all are whole, else DOUBLE; strings: VARCHAR; booleans; Date: TIMESTAMP; bytes:
 * BLOB; objects and arrays: JSON), or the type the asset declares in its metadata under
 * `duckdb/column_types` (declare DOUBLE for amounts that may all happen to be whole, so the type
 * does not change from run to run). A table is replaced whole, in one transaction, so readers
 * never see half of it.
 */
export class DuckDBIOManager implements IOManager {
  constructor(
    readonly database: DuckDBDatabase,
    private readonly defaultSchema: string,
  ) {}

  async handleOutput(context: OutputContext, value: unknown): Promise<MetadataInput> {
    const assetKey = this.assetKeyOf(context.assetKey, context.stepKey);
    let columns;
    try {
      columns = planColumns(value, declaredColumnTypes(context, assetKey));
    } catch (err) {
      if (!(err instanceof RowShapeError)) throw err;
      throw new SerializationError(
        `Asset "${assetKey}": the DuckDB IO manager stores arrays of row objects, but ${err.message}. ` +
          `Return rows like [{ id: 1, name: "a" }], or give the asset another IO manager (ioManager).`,
        assetKey,
        err.where,
      );
    }
    const rows = value as Record<string, unknown>[];
    const { schema, table } = tableNameOf(assetKey, this.defaultSchema);
    const qualified = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    const { DuckDBTimestampValue } = await loadDuckDB();
    await this.database.withConnection(async (connection) => {
      await connection.run("BEGIN TRANSACTION");
      try {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
        if (columns.length === 0) {
          // No row says which columns there are: keep the table's columns when it exists.
          const exists = await connection.runAndReadAll(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
            [schema, table],
          );
          if (exists.currentRowCount > 0) await connection.run(`DELETE FROM ${qualified}`);
          else await connection.run(`CREATE TABLE ${qualified} ("sluice_empty" BOOLEAN)`);
        } else {
          const definition = columns.map((c) => `${quoteIdentifier(c.name)} ${c.sqlType}`).join(", ");
          await connection.run(`CREATE OR REPLACE TABLE ${qualified} (${definition})`);
          const appender = await connection.createAppender(table, schema);
          try {
            appendRows(
              appender,
              columns,
              rows,
              (date) => new DuckDBTimestampValue(BigInt(date.getTime()) * 1000n),
            );
            appender.flushSync();
          } finally {
            appender.closeSync();
          }
        }
        await connection.run("COMMIT");
      } catch (err) {
        await connection.run("ROLLBACK").catch(() => undefined);
        throw err;
      }
    });
    context.log.debug(`stored ${rows.length} rows in ${schema}.${table} of ${this.database.path}`);
    return {
      [ROW_COUNT_KEY]: rows.length,
      table: `${schema}.${table}`,
      database: this.database.path === ":memory:" ? ":memory:" : meta.path(this.database.path),
    };
  }

  async loadInput(context: InputContext): Promise<unknown> {
    const assetKey = this.assetKeyOf(context.assetKey, context.upstreamStepKey);
    const { schema, table } = tableNameOf(assetKey, this.defaultSchema);
    return this.database.withConnection(async (connection) => {
      let result;
      try {
        result = await connection.runAndReadAll(`SELECT * FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`);
      } catch (err) {
        if (/does not exist/i.test((err as Error).message)) {
          throw new InputNotMaterializedError(context.downstreamKey, context.inputName, context.upstreamStepKey);
        }
        throw err;
      }
      const rows = rowsOf(result);
      return result.columnNames().length === 1 && result.columnNames()[0] === "sluice_empty" ? [] : rows;
    });
  }

  private assetKeyOf(assetKey: string | null, stepKey: string): string {
    if (assetKey === null) {
      throw new SerializationError(
        `Op "${stepKey}": the DuckDB IO manager stores asset values as tables, not op outputs. ` +
          `Leave ops on the default IO manager.`,
        stepKey,
        "$",
      );
    }
    return assetKey;
  }
}

/**
 * An IO manager resource that keeps asset values as DuckDB tables (see {@link DuckDBIOManager}).
 * Takes the DuckDB resource's config plus `schema`, the schema of one-component keys.
 * @example
 * import { duckdbIOManager } from "sluice/duckdb";
 * defineDefinitions({ assets, resources: { io_manager: configured(duckdbIOManager, { path: "data/warehouse.duckdb" }) } });
 */
export const duckdbIOManager = resource({
  description: "Stores asset values (arrays of rows) as DuckDB tables",
  config: z.object({ ...duckdbConfigShape, schema: z.string().min(1).default("main") }),
  setup: async (config, { signal }) => {
    await loadDuckDB();
    const { schema, ...database } = config;
    return new DuckDBIOManager(new DuckDBDatabase(database as DuckDBDatabaseOptions, signal), schema);
  },
  teardown: (manager) => manager.database.close(),
});
