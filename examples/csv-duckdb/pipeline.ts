/**
 * CSV → DuckDB → CSV, the assets both modes run (definitions.ts for `sluice`, classic.ts for a
 * plain script):
 *
 *   SOURCE ──► TRANSFORMED ──► SUMMARY ──► export_csv ─┬─► exports/summary_csv
 *                   └──────────────────────►            └─► exports/transformed_csv
 *
 * SOURCE, TRANSFORMED and SUMMARY are DuckDB tables in DATA_DIR/warehouse.duckdb (stored by the
 * DuckDB IO manager: the rows an asset returns become its table); the exports are CSV files in
 * DATA_DIR/final, both written by DuckDB's COPY in one step (the multi-asset `export_csv`).
 */
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { asset, assetJob, configured, defineDefinitions, meta, multiAsset, output, resource, schedule, type Definitions } from "sluice";
import { duckdbIOManager, duckdbResource } from "sluice/duckdb";

/** Where a project's files are: `source/*.csv` in, `final/*.csv` out, `warehouse.duckdb`. */
const dataDir = resource({
  description: "The project's data directory",
  config: z.object({ path: z.string() }),
  setup: ({ path: dir }) => ({ source: path.join(dir, "source"), final: path.join(dir, "final"), root: dir }),
});

/** One order line as it comes from the CSV files: every field text, as typed by people. */
interface SourceRow {
  order_id: string;
  order_date: string;
  region: string;
  product: string;
  quantity: string | null;
  unit_price: string | null;
  source_file: string;
}

const source = asset({
  key: "SOURCE",
  group: "ingest",
  kinds: ["csv", "duckdb"],
  description: "Every CSV file of data/source, as text, with the file each line came from.",
  ioManager: "warehouse_io",
  resources: { warehouse: duckdbResource, data: dataDir },
  retry: { maxRetries: 2, delayMs: 1000, backoff: "exponential" },
  run: async (_inputs, { resources, log }) => {
    const files = (await readdir(resources.data.source).catch(() => [])).filter((f) => f.endsWith(".csv")).sort();
    if (files.length === 0) throw new Error(`No CSV files in ${resources.data.source}: put the files to import there.`);
    const pattern = path.join(resources.data.source, "*.csv").replaceAll("'", "''");
    const rows = await resources.warehouse.query<SourceRow & { filename: string }>(
      `SELECT * FROM read_csv('${pattern}', header = true, all_varchar = true, filename = true) ORDER BY filename, order_id`,
    );
    log.info(`read ${rows.length} lines from ${files.length} files: ${files.join(", ")}`);
    const lines: SourceRow[] = rows.map(({ filename, ...row }) => ({ ...row, source_file: path.basename(filename) }));
    return output(lines, { metadata: { files: files.length } });
  },
});

/** An order line that passed validation, with its revenue. */
interface OrderLine {
  order_id: number;
  order_date: string;
  month: string;
  region: string;
  product: string;
  quantity: number;
  unit_price: number;
  revenue: number;
}

const transformed = asset({
  key: "TRANSFORMED",
  group: "transform",
  kinds: ["duckdb"],
  description: "Typed order lines with their revenue; lines without a positive quantity and price are dropped (and logged).",
  ioManager: "warehouse_io",
  // Money stays DOUBLE even on a day when every amount is whole.
  metadata: { "duckdb/column_types": { unit_price: "DOUBLE", revenue: "DOUBLE" } },
  ins: { lines: source },
  run: ({ lines }, { log }) => {
    const kept: OrderLine[] = [];
    for (const line of lines) {
      const quantity = Number(line.quantity);
      const price = Number(line.unit_price);
      if (!line.quantity || !Number.isInteger(quantity) || quantity <= 0 || !(price > 0) || !/^\d{4}-\d{2}-\d{2}$/.test(line.order_date)) {
        log.warn(`dropping order ${line.order_id} of ${line.source_file}: quantity=${JSON.stringify(line.quantity)} unit_price=${JSON.stringify(line.unit_price)}`);
        continue;
      }
      kept.push({
        order_id: Number(line.order_id),
        order_date: line.order_date,
        month: line.order_date.slice(0, 7),
        region: line.region,
        product: line.product,
        quantity,
        unit_price: price,
        revenue: Math.round(quantity * price * 100) / 100,
      });
    }
    return output(kept, { metadata: { dropped: lines.length - kept.length } });
  },
});

/** Sales of one region. */
interface RegionSummary {
  region: string;
  orders: number;
  units: number;
  revenue: number;
}

const summary = asset({
  key: "SUMMARY",
  group: "report",
  kinds: ["duckdb"],
  description: "Orders, units and revenue per region, aggregated by DuckDB.",
  ioManager: "warehouse_io",
  metadata: { "duckdb/column_types": { revenue: "DOUBLE" } },
  deps: [transformed],
  resources: { warehouse: duckdbResource },
  run: async (_inputs, { resources }) => {
    const rows = await resources.warehouse.query<RegionSummary>(
      `SELECT region, count(*)::INTEGER AS orders, sum(quantity)::INTEGER AS units, round(sum(revenue), 2) AS revenue
         FROM "TRANSFORMED" GROUP BY region ORDER BY region`,
    );
    const total = rows.reduce((sum, r) => sum + r.revenue, 0);
    return output(rows, { metadata: { total_revenue: Math.round(total * 100) / 100, preview: meta.table(rows) } });
  },
});

/** Both CSV exports, written by one step (a multi-asset): each file is an asset of its own. */
const exportCsv = multiAsset({
  name: "export_csv",
  outs: {
    summary: { key: "exports/summary_csv", group: "report", kinds: ["csv"], description: "The SUMMARY table as summary.csv." },
    transformed: { key: "exports/transformed_csv", group: "report", kinds: ["csv"], description: "The TRANSFORMED table as transformed.csv." },
  },
  deps: [summary, transformed],
  resources: { warehouse: duckdbResource, data: dataDir },
  run: async (_inputs, { resources, log }) => {
    await mkdir(resources.data.final, { recursive: true });
    const write = async (table: string, file: string, orderBy: string) => {
      const target = path.join(resources.data.final, file);
      // COPY answers with one row: how many rows it wrote.
      const copied = await resources.warehouse.query<{ Count: number }>(
        `COPY (SELECT * FROM "${table}" ORDER BY ${orderBy}) TO '${target.replaceAll("'", "''")}' (HEADER, DELIMITER ',')`,
      );
      const n = copied[0]?.Count ?? 0;
      log.info(`wrote ${n} rows to ${target}`);
      return output(target, { rowCount: n, metadata: { file: meta.path(target) } });
    };
    return { summary: await write("SUMMARY", "summary.csv", "region"), transformed: await write("TRANSFORMED", "transformed.csv", "order_id") };
  },
});

/** Every asset of the pipeline, in the order they run. */
export const assets = [source, transformed, summary, exportCsv];

/** Re-imports the CSV files and rebuilds every table and export. */
export const refresh = assetJob({ name: "refresh", description: "CSV files → DuckDB → CSV exports", selection: "*" });

/** Every 5 minutes, running as soon as the daemon starts (`sluice start` or `sluice dev`). */
export const every5Minutes = schedule({
  name: "every_5_minutes",
  cron: "*/5 * * * *",
  job: refresh,
  defaultStatus: "RUNNING",
  description: "Refreshes the tables and exports every five minutes.",
});

/** The Definitions of a project whose files live in `dir` (source/, final/, warehouse.duckdb). */
export function definitionsFor(dir: string): Definitions {
  const warehouse = { path: path.join(dir, "warehouse.duckdb") };
  return defineDefinitions({
    assets,
    jobs: [refresh],
    schedules: [every5Minutes],
    resources: {
      data: configured(dataDir, { path: dir }),
      warehouse: configured(duckdbResource, warehouse),
      warehouse_io: configured(duckdbIOManager, warehouse),
    },
  });
}
