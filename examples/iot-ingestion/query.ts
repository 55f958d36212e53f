/**
 * Queries the staged Parquet with DuckDB, as an analyst would: `readings` is a view over
 * data/staging/date=…/device=…/*.parquet (date and device come from the directory names).
 *
 *   npx tsx query.ts                                      readings per date and device
 *   npx tsx query.ts "select * from readings where device = 'dev-103' limit 5"
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";

export const SUMMARY_SQL = `
  SELECT date, device, any_value(site) AS site, count(*)::INTEGER AS readings,
         round(avg(value) FILTER (WHERE metric = 'temperature_c'), 1) AS avg_temp_c
  FROM readings GROUP BY date, device ORDER BY date, device`;

/** Runs `sql` against the Parquet under `staging` and returns its rows. */
export async function queryStaged(staging: string, sql: string = SUMMARY_SQL): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    const glob = path.join(staging, "**", "*.parquet").replaceAll("'", "''");
    await conn.run(`CREATE VIEW readings AS SELECT * FROM read_parquet('${glob}', hive_partitioning = true, hive_types_autocast = false)`);
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export const stagingDir = (): string => path.resolve(process.env.IOT_DATA_DIR ?? path.join(import.meta.dirname, "data"), "staging");

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.table(await queryStaged(stagingDir(), process.argv[2]));
}
