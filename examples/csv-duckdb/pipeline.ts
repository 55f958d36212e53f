/**
 * CSV → DuckDB → CSV, the assets both modes run (definitions.ts for `sluice`, classic.ts for a
 * plain script):
 *
 *   csv_files ┄┄► SOURCE ──► TRANSFORMED ──► SUMMARY ──► export_csv ─┬─► exports/summary_csv
 *                                  └──────────────────────►            └─► exports/transformed_csv
 *
 * SOURCE, TRANSFORMED and SUMMARY are DuckDB tables in DATA_DIR/warehouse.duckdb (stored by the
 * DuckDB IO manager: the rows an asset returns become its table); the exports are CSV files in
 * DATA_DIR/final, both written by DuckDB's COPY in one step (the multi-asset `export_csv`).
 *
 * The data is validated by asset checks, beside the assets rather than inside them: SOURCE's
 * `valid_lines` (a warning naming the lines TRANSFORMED drops) and `unique_order_ids` (blocking: a
 * file imported twice must not be counted twice), and TRANSFORMED's `has_rows` (blocking: no
 * empty summary overwrites a good one).
 *
 * What runs when, with the daemon running (`sluice start`, `sluice dev`): `csv_files` is an
 * observable source asset, the folder as Sluice sees it (its data version: a fingerprint of the
 * CSV files). The sensor `new_csv_files` observes it when a file was added, changed or removed.
 * SOURCE and every asset after it are `AutomationCondition.eager()`: after each new observation the
 * daemon's automation loop imports the folder and rebuilds the tables and exports, in one run (so
 * the blocking checks stop that run as they stop any other), and requests nothing while nothing
 * changed.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import {
  asset,
  assetCheck,
  assetJob,
  AutomationCondition,
  configured,
  defineDefinitions,
  meta,
  multiAsset,
  observableSourceAsset,
  output,
  resource,
  sensor,
  skip,
  type Definitions,
} from "sluice";
import { duckdbIOManager, duckdbResource } from "sluice/duckdb";

/** Where a project's files are: `source/*.csv` in, `final/*.csv` out, `warehouse.duckdb`. */
const dataDir = resource({
  description: "The project's data directory",
  config: z.object({ path: z.string() }),
  setup: ({ path: dir }) => ({ source: path.join(dir, "source"), final: path.join(dir, "final"), root: dir }),
});

/**
 * What the source folder holds: each CSV file's name, size and modification time, hashed. Another
 * fingerprint means a file was added, changed or removed.
 */
export async function sourceFingerprint(sourceDir: string): Promise<{ files: string[]; fingerprint: string }> {
  const files = (await readdir(sourceDir).catch(() => [])).filter((f) => f.endsWith(".csv")).sort();
  const hash = createHash("sha256");
  for (const file of files) {
    // A file removed between readdir and stat is left out: the next look sees the folder as it is.
    const info = await stat(path.join(sourceDir, file)).catch(() => undefined);
    if (info) hash.update(`${file}\0${info.size}\0${info.mtimeMs}\n`);
  }
  return { files, fingerprint: hash.digest("hex").slice(0, 32) };
}

/**
 * The CSV files of data/source: made outside Sluice, observed by it. Each observation records the
 * folder's fingerprint as the data version; a new one is what SOURCE's `eager()` reacts to.
 */
const csvFiles = observableSourceAsset({
  key: "csv_files",
  group: "ingest",
  kinds: ["csv"],
  description: "The CSV files of data/source. Data version: a fingerprint of their names, sizes and modification times.",
  resources: { data: dataDir },
  observe: async ({ resources }) => {
    const { files, fingerprint } = await sourceFingerprint(resources.data.source);
    return { dataVersion: fingerprint, metadata: { files: files.length } };
  },
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
  deps: [csvFiles],
  // Imported after each new observation of the folder (and when never imported yet).
  automation: AutomationCondition.eager(),
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

/**
 * Why a line cannot become an order line (no positive whole quantity, no positive price, or a date
 * that is not YYYY-MM-DD), or null when it can. TRANSFORMED drops such lines; SOURCE's
 * `valid_lines` check reports them.
 */
function lineProblem(line: SourceRow): string | null {
  const quantity = Number(line.quantity);
  const price = Number(line.unit_price);
  if (!line.quantity || !Number.isInteger(quantity) || quantity <= 0 || !(price > 0) || !/^\d{4}-\d{2}-\d{2}$/.test(line.order_date)) {
    return `quantity=${JSON.stringify(line.quantity)} unit_price=${JSON.stringify(line.unit_price)} order_date=${JSON.stringify(line.order_date)}`;
  }
  return null;
}

const transformed = asset({
  key: "TRANSFORMED",
  group: "transform",
  kinds: ["duckdb"],
  description: "Typed order lines with their revenue; lines without a positive quantity and price are dropped (SOURCE's valid_lines check names them).",
  ioManager: "warehouse_io",
  automation: AutomationCondition.eager(),
  // Money stays DOUBLE even on a day when every amount is whole.
  metadata: { "duckdb/column_types": { unit_price: "DOUBLE", revenue: "DOUBLE" } },
  ins: { lines: source },
  run: ({ lines }) => {
    const kept: OrderLine[] = [];
    for (const line of lines) {
      if (lineProblem(line) !== null) continue;
      const quantity = Number(line.quantity);
      const price = Number(line.unit_price);
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

/** Lines TRANSFORMED will drop: a warning (they are left out, the rest goes on), each one logged. */
const validLines = assetCheck({
  asset: source,
  name: "valid_lines",
  description: "Every line has a positive whole quantity, a positive unit price and a YYYY-MM-DD date; the others are dropped by TRANSFORMED.",
  run: (lines, { log }) => {
    const invalid = lines.flatMap((line) => {
      const problem = lineProblem(line);
      return problem === null ? [] : [{ order_id: line.order_id, file: line.source_file, problem }];
    });
    // A file of garbage should not flood the log or the UI: the first SHOWN lines are named.
    const SHOWN = 20;
    for (const i of invalid.slice(0, SHOWN)) log.warn(`order ${i.order_id} of ${i.file} will be dropped: ${i.problem}`);
    const more = invalid.length > SHOWN ? ` and ${invalid.length - SHOWN} more` : "";
    return {
      passed: invalid.length === 0,
      severity: "WARN",
      description:
        invalid.length === 0
          ? `all ${lines.length} lines are valid`
          : `${invalid.length} of ${lines.length} lines are invalid: orders ${invalid.slice(0, SHOWN).map((i) => i.order_id).join(", ")}${more}`,
      metadata: { invalid: invalid.length, lines: lines.length, invalid_lines: meta.table(invalid.slice(0, SHOWN)) },
    };
  },
});

/** An order id twice (a file exported twice, or two files overlapping) would be counted twice. */
const uniqueOrderIds = assetCheck({
  asset: source,
  name: "unique_order_ids",
  description: "No order id appears twice; a duplicate stops TRANSFORMED and everything after it.",
  blocking: true,
  run: (lines) => {
    const files = new Map<string, string[]>();
    for (const line of lines) files.set(line.order_id, [...(files.get(line.order_id) ?? []), line.source_file]);
    const duplicates = [...files].filter(([, where]) => where.length > 1);
    return {
      passed: duplicates.length === 0,
      description:
        duplicates.length === 0
          ? `${files.size} distinct order ids`
          : `${duplicates.length} duplicate order ids: ${duplicates
              .slice(0, 20)
              .map(([id, where]) => `${id} (in ${where.join(", ")})`)
              .join("; ")}${duplicates.length > 20 ? "; …" : ""}`,
      metadata: { duplicates: duplicates.length },
    };
  },
});

/** Without one valid line the summary and the exports would be empty: stop before overwriting them. */
const hasRows = assetCheck({
  asset: transformed,
  name: "has_rows",
  description: "At least one valid order line; otherwise SUMMARY and the exports keep their previous contents.",
  blocking: true,
  run: (orders) => ({ passed: orders.length > 0, description: `${orders.length} order lines`, metadata: { rows: orders.length } }),
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
  automation: AutomationCondition.eager(),
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
    summary: { key: "exports/summary_csv", group: "report", kinds: ["csv"], description: "The SUMMARY table as summary.csv.", automation: AutomationCondition.eager() },
    transformed: {
      key: "exports/transformed_csv",
      group: "report",
      kinds: ["csv"],
      description: "The TRANSFORMED table as transformed.csv.",
      automation: AutomationCondition.eager(),
    },
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
export const assets = [csvFiles, source, transformed, summary, exportCsv];

/** The checks of the data, run with their assets. */
export const checks = [validLines, uniqueOrderIds, hasRows];

/** Re-imports the CSV files and rebuilds every table and export, at once, on demand. */
export const refresh = assetJob({ name: "refresh", description: "CSV files → DuckDB → CSV exports", selection: "*" });

/** Observes the source folder: csv_files alone (what follows is automation's). */
export const observeCsvFiles = assetJob({ name: "observe_csv_files", description: "Looks at the CSV files of data/source (observes csv_files)", selection: ["csv_files"] });

/**
 * How often the sensor looks at the folder, in seconds: CSV_DUCKDB_SENSOR_INTERVAL_SECONDS, else
 * 10 (read when the definitions load; the tests look every second).
 */
const SENSOR_INTERVAL_SECONDS = Number(process.env.CSV_DUCKDB_SENSOR_INTERVAL_SECONDS ?? 10);

/**
 * Observes `csv_files` (a run of `observe_csv_files`) whenever the folder's fingerprint differs
 * from the one it last saw, and once when the daemon first runs it; the automation loop does the
 * rest. Looking is cheap (a directory listing), observing is a run: only a change is worth a run.
 * The cursor is the fingerprint, stored with the run it requests, so a daemon restarted after a
 * crash neither observes a change twice nor misses one.
 */
export const newCsvFiles = sensor({
  name: "new_csv_files",
  job: observeCsvFiles,
  description: "Observes csv_files when a CSV file of data/source is added, changed or removed.",
  minimumIntervalSeconds: SENSOR_INTERVAL_SECONDS,
  defaultStatus: "RUNNING",
  resources: { data: dataDir },
  evaluate: async ({ cursor, resources }) => {
    const { files, fingerprint } = await sourceFingerprint(resources.data.source);
    if (files.length === 0) return skip(`no CSV files in ${resources.data.source}`);
    if (fingerprint === cursor) return skip(`the ${files.length} CSV files are unchanged`);
    return { runRequests: [{ tags: { "csv-duckdb/files": String(files.length) } }], cursor: fingerprint };
  },
});

/** The Definitions of a project whose files live in `dir` (source/, final/, warehouse.duckdb). */
export function definitionsFor(dir: string): Definitions {
  const warehouse = { path: path.join(dir, "warehouse.duckdb") };
  return defineDefinitions({
    assets,
    assetChecks: checks,
    jobs: [refresh, observeCsvFiles],
    sensors: [newCsvFiles],
    // The daemon's automation loop is on from the start, like the sensor: a new CSV file is enough.
    automation: { defaultStatus: "RUNNING" },
    resources: {
      data: configured(dataDir, { path: dir }),
      warehouse: configured(duckdbResource, warehouse),
      warehouse_io: configured(duckdbIOManager, warehouse),
    },
  });
}
