/**
 * `sluice/duckdb`: DuckDB as a resource and as an IO manager, and Parquet output. Needs the
 * package `@duckdb/node-api` (1.5) in the project: `npm install @duckdb/node-api@1.5.6-r.1` (its
 * releases are all tagged `-r.N`, which a plain `@1.5` range does not match).
 */
export { duckdbResource } from "./duckdb/duckdb-resource.js";
export { DuckDBDatabase } from "./duckdb/duckdb-database.js";
export type { DuckDBDatabaseOptions } from "./duckdb/duckdb-database.js";
export { COLUMN_TYPES_KEY, DuckDBIOManager, PARTITION_COLUMN_KEY, duckdbIOManager, quoteIdentifier, tableNameOf } from "./duckdb/duckdb-io-manager.js";
export type { TableName } from "./duckdb/duckdb-io-manager.js";
export { DuckDBLockedError } from "./duckdb/duckdb-lock-error.js";
export { writeParquet } from "./duckdb/write-parquet.js";
export type { WriteParquetOptions, WriteParquetResult } from "./duckdb/write-parquet.js";
export { MissingPackageError } from "./missing-package-error.js";
