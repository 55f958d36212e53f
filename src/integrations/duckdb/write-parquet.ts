import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { joinWithin } from "../../index.js";
import { quoteIdentifier } from "./duckdb-io-manager.js";

/** What {@link writeParquet} writes. */
export interface WriteParquetOptions {
  /** A SELECT whose rows are written, e.g. `SELECT * FROM staging.readings`. */
  query: string;
  /** The output directory (with `partitionBy`) or file (without it). */
  to: string;
  /** Columns whose values name sub-directories (`date=2024-01-01/device=a/…parquet`), Hive-style. */
  partitionBy?: readonly string[];
  /** Replace what a previous run wrote there (default true); false fails when files exist. */
  overwrite?: boolean;
  /** Parquet compression (default `zstd`). */
  compression?: "snappy" | "zstd" | "gzip" | "uncompressed";
  /**
   * A directory `to` must stay inside. Give it whenever `to` is built from a partition key or
   * other data (`to: path.join(lake, \`date=${key}\`)`, `within: lake`): a `to` that leaves it
   * is refused with UnsafePathError before anything is written or overwritten.
   */
  within?: string;
}

/** What {@link writeParquet} wrote. */
export interface WriteParquetResult {
  rowCount: number;
  /** Every Parquet file written, as absolute paths, sorted. */
  files: string[];
}

/**
 * Writes a query's rows as Parquet with DuckDB's `COPY ... TO '...' (FORMAT PARQUET, PARTITION_BY
 * (...))`: one directory level per partition column, so readers (DuckDB, Spark, pandas) can skip
 * partitions (DuckDB escapes `/` in the columns' values, so a value never names a path outside
 * `to`). Returns the row count and the files.
 * @example
 * await resources.duckdb.withConnection((conn) =>
 *   writeParquet(conn, { query: "SELECT * FROM staging.readings", to: "data/staging", partitionBy: ["date", "device"] }));
 */
export async function writeParquet(connection: DuckDBConnection, options: WriteParquetOptions): Promise<WriteParquetResult> {
  const target = options.within === undefined ? path.resolve(options.to) : joinWithin(options.within, [path.resolve(options.to)], `Parquet output "${options.to}"`);
  const settings = ["FORMAT PARQUET", `COMPRESSION ${options.compression ?? "zstd"}`];
  if (options.partitionBy && options.partitionBy.length > 0) {
    settings.push(`PARTITION_BY (${options.partitionBy.map(quoteIdentifier).join(", ")})`);
    // OVERWRITE replaces the directory's contents; without it DuckDB refuses a non-empty directory.
    if (options.overwrite ?? true) settings.push("OVERWRITE");
  }
  // DuckDB makes the partition directories, not the target's parents.
  await mkdir(path.dirname(target), { recursive: true });
  const sql = `COPY (${options.query}) TO ${quoteString(target)} (${settings.join(", ")})`;
  let result;
  try {
    result = await connection.runAndReadAll(sql);
  } catch (err) {
    throw new Error(`Writing Parquet to ${target} failed: ${(err as Error).message}`, { cause: err });
  }
  const count = result.getRows()[0]?.[0];
  const files = options.partitionBy && options.partitionBy.length > 0 ? await parquetFilesUnder(target) : [target];
  return { rowCount: Number(count ?? 0), files };
}

function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function parquetFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".parquet"))
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}
