import type { DuckDBConnection, DuckDBTimestampValue } from "@duckdb/node-api";
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
import { appendRows, planColumns, rowsOf, RowShapeError, type ColumnPlan } from "./row-tables.js";

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
  return { ...(declared as Record<string, string>) };
}

/** Metadata key naming the column that holds a partitioned asset's partition key. */
export const PARTITION_COLUMN_KEY = "duckdb/partition_column";
/** The column comment that marks a table's partition column, so loading finds it. */
const PARTITION_COMMENT = "sluice:partition";
const TABLE_EXISTS_SQL = "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2";

function partitionColumnOf(context: OutputContext, assetKey: string): string {
  const declared = context.definitionMetadata?.[PARTITION_COLUMN_KEY];
  if (declared === undefined) return "partition_key";
  if (typeof declared !== "string" || declared === "") {
    throw new SerializationError(`Asset "${assetKey}": metadata "${PARTITION_COLUMN_KEY}" must be a column name.`, assetKey, `metadata.${PARTITION_COLUMN_KEY}`);
  }
  return declared;
}

/** The rows with their partition column set to the partition key; a row that says another partition is refused. */
function withPartitionColumn(value: unknown, column: string, key: string): Record<string, unknown>[] {
  if (!Array.isArray(value)) return value as Record<string, unknown>[]; // planColumns names the problem
  return value.map((row: unknown, index) => {
    if (typeof row !== "object" || row === null) return row as Record<string, unknown>;
    const own = (row as Record<string, unknown>)[column];
    if (own !== undefined && own !== null && String(own) !== key) {
      throw new RowShapeError(`$[${index}].${column} is ${JSON.stringify(own)}, but this is partition ${JSON.stringify(key)}`, `$[${index}].${column}`);
    }
    return { ...(row as Record<string, unknown>), [column]: key };
  });
}

async function append(
  connection: DuckDBConnection,
  table: string,
  schema: string,
  columns: ColumnPlan[],
  rows: readonly Record<string, unknown>[],
  toTimestamp: (date: Date) => DuckDBTimestampValue,
): Promise<void> {
  const appender = await connection.createAppender(table, schema);
  try {
    appendRows(appender, columns, rows, toTimestamp);
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
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
 * never see half of it. A partitioned asset's partitions share one table: a column (metadata
 * `duckdb/partition_column`, default `partition_key`) holds each row's partition key, and a
 * partition's rows are replaced alone.
 */
export class DuckDBIOManager implements IOManager {
  constructor(
    readonly database: DuckDBDatabase,
    private readonly defaultSchema: string,
  ) {}

  async handleOutput(context: OutputContext, value: unknown): Promise<MetadataInput> {
    const assetKey = this.assetKeyOf(context.assetKey, context.stepKey);
    const declared = declaredColumnTypes(context, assetKey);
    const partition = context.partitionKey === null ? null : { column: partitionColumnOf(context, assetKey), key: context.partitionKey };
    let rows = value as Record<string, unknown>[];
    let columns;
    try {
      if (partition) {
        rows = withPartitionColumn(value, partition.column, partition.key);
        declared[partition.column] ??= "VARCHAR";
      }
      columns = planColumns(rows, declared);
    } catch (err) {
      if (!(err instanceof RowShapeError)) throw err;
      throw new SerializationError(
        `Asset "${assetKey}": the DuckDB IO manager stores arrays of row objects, but ${err.message}. ` +
          `Return rows like [{ id: 1, name: "a" }], or give the asset another IO manager (ioManager).`,
        assetKey,
        err.where,
      );
    }
    const { schema, table } = tableNameOf(assetKey, this.defaultSchema);
    const qualified = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    const { DuckDBTimestampValue } = await loadDuckDB();
    const toTimestamp = (date: Date) => new DuckDBTimestampValue(BigInt(date.getTime()) * 1000n);
    await this.database.withConnection(async (connection) => {
      await connection.run("BEGIN TRANSACTION");
      try {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
        const exists = (await connection.runAndReadAll(TABLE_EXISTS_SQL, [schema, table])).currentRowCount > 0;
        const definition = columns.map((c) => `${quoteIdentifier(c.name)} ${c.sqlType}`).join(", ");
        if (partition && exists) {
          // Replace this partition's rows only; the new rows go in by column name, through a
          // staging table, so a table written with other columns still takes them.
          await connection.run(`DELETE FROM ${qualified} WHERE ${quoteIdentifier(partition.column)} = $1`, [partition.key]);
          if (rows.length > 0) {
            // Made and dropped inside the transaction: no other connection ever sees it.
            const staging = `sluice_staging_${table}`;
            const stagingQualified = `${quoteIdentifier(schema)}.${quoteIdentifier(staging)}`;
            await connection.run(`CREATE OR REPLACE TABLE ${stagingQualified} (${definition})`);
            await append(connection, staging, schema, columns, rows, toTimestamp);
            await connection.run(`INSERT INTO ${qualified} BY NAME SELECT * FROM ${stagingQualified}`);
            await connection.run(`DROP TABLE ${stagingQualified}`);
          }
        } else if (columns.length === 0) {
          // No row says which columns there are: keep the table's columns when it exists.
          if (exists) await connection.run(`DELETE FROM ${qualified}`);
          else await connection.run(`CREATE TABLE ${qualified} ("sluice_empty" BOOLEAN)`);
        } else {
          await connection.run(`CREATE OR REPLACE TABLE ${qualified} (${definition})`);
          if (partition) {
            await connection.run(`COMMENT ON COLUMN ${qualified}.${quoteIdentifier(partition.column)} IS '${PARTITION_COMMENT}'`);
          }
          await append(connection, table, schema, columns, rows, toTimestamp);
        }
        await connection.run("COMMIT");
      } catch (err) {
        await connection.run("ROLLBACK").catch(() => undefined);
        throw err;
      }
    });
    const where = partition ? ` (partition ${partition.column} = ${JSON.stringify(partition.key)})` : "";
    context.log.debug(`stored ${rows.length} rows in ${schema}.${table}${where} of ${this.database.path}`);
    return {
      [ROW_COUNT_KEY]: rows.length,
      table: `${schema}.${table}`,
      database: this.database.path === ":memory:" ? ":memory:" : meta.path(this.database.path),
    };
  }

  async loadInput(context: InputContext): Promise<unknown> {
    const assetKey = this.assetKeyOf(context.assetKey, context.upstreamStepKey);
    const { schema, table } = tableNameOf(assetKey, this.defaultSchema);
    const qualified = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    const missing = () => new InputNotMaterializedError(context.downstreamKey, context.inputName, context.upstreamStepKey, context.partitionKey);
    return this.database.withConnection(async (connection) => {
      if ((await connection.runAndReadAll(TABLE_EXISTS_SQL, [schema, table])).currentRowCount === 0) throw missing();
      let result;
      if (context.partitionKey === null) {
        result = await connection.runAndReadAll(`SELECT * FROM ${qualified}`);
      } else {
        const found = await connection.runAndReadAll(
          "SELECT column_name FROM duckdb_columns() WHERE schema_name = $1 AND table_name = $2 AND comment = $3",
          [schema, table, PARTITION_COMMENT],
        );
        const column = found.getRows()[0]?.[0];
        if (typeof column !== "string") {
          throw new SerializationError(
            `Asset "${assetKey}": partition "${context.partitionKey}" was asked for, but table ${schema}.${table} has no partition column ` +
              `(it was written unpartitioned). Materialize the asset's partitions again.`,
            assetKey,
            "$",
          );
        }
        result = await connection.runAndReadAll(`SELECT * FROM ${qualified} WHERE ${quoteIdentifier(column)} = $1`, [context.partitionKey]);
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
