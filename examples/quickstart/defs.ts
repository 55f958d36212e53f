/**
 * Quickstart: CSV files in → cleaned → aggregated → CSV reports out.
 *
 *   raw/orders ──► clean/orders ──┬──► report/daily_revenue ──► export/daily_revenue_csv
 *   raw/customers ────────────────┴──► report/revenue_by_country
 *
 * Run it:  npm run quickstart   (or: npx sluice materialize -f examples/quickstart/defs.ts)
 * See it:   npx sluice dev -f examples/quickstart/defs.ts   (the web UI, with the job and schedule below)
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { asset, assetJob, defineDefinitions, meta, output, schedule } from "sluice";

const here = path.dirname(fileURLToPath(import.meta.url));

async function readCsv(file: string): Promise<Record<string, string>[]> {
  return parse(await readFile(file, "utf8"), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
}

const rawOrders = asset({
  key: "raw/orders",
  group: "ingest",
  kinds: ["csv"],
  description: "Orders as exported by the shop, untouched.",
  config: z.object({ path: z.string().default(path.join(here, "data/orders.csv")) }),
  run: async (_inputs, { config, log }) => {
    const rows = await readCsv(config.path);
    log.info(`read ${rows.length} orders from ${path.basename(config.path)}`);
    return output(rows, { rowCount: rows.length, metadata: { source: meta.path(config.path) } });
  },
});

const rawCustomers = asset({
  key: "raw/customers",
  group: "ingest",
  kinds: ["csv"],
  description: "Customers with their country.",
  config: z.object({ path: z.string().default(path.join(here, "data/customers.csv")) }),
  run: async (_inputs, { config }) => {
    const rows = await readCsv(config.path);
    return output(rows, { rowCount: rows.length, metadata: { source: meta.path(config.path) } });
  },
});

/** An order that passed validation. */
interface Order {
  orderId: string;
  customerId: string;
  day: string;
  amount: number;
}

const cleanOrders = asset({
  key: "clean/orders",
  group: "transform",
  description: "Orders with a valid date and a positive amount; the others are dropped and logged.",
  ins: { raw: rawOrders },
  run: ({ raw }, { log }) => {
    const kept: Order[] = [];
    for (const row of raw) {
      const amount = Number(row.amount);
      const at = new Date(row.ordered_at ?? "");
      if (!row.amount || !Number.isFinite(amount) || amount <= 0 || Number.isNaN(at.getTime())) {
        log.warn(`dropping order ${row.order_id}: amount=${JSON.stringify(row.amount)} ordered_at=${JSON.stringify(row.ordered_at)}`);
        continue;
      }
      kept.push({ orderId: row.order_id!, customerId: row.customer_id!, day: at.toISOString().slice(0, 10), amount });
    }
    return output(kept, { rowCount: kept.length, metadata: { dropped: raw.length - kept.length } });
  },
});

const dailyRevenue = asset({
  key: "report/daily_revenue",
  group: "report",
  description: "Revenue and order count per day.",
  ins: { orders: cleanOrders },
  run: ({ orders }) => {
    const byDay = new Map<string, { day: string; orders: number; revenue: number }>();
    for (const o of orders) {
      const entry = byDay.get(o.day) ?? { day: o.day, orders: 0, revenue: 0 };
      entry.orders += 1;
      entry.revenue = Math.round((entry.revenue + o.amount) * 100) / 100;
      byDay.set(o.day, entry);
    }
    const rows = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
    const total = rows.reduce((sum, r) => sum + r.revenue, 0);
    return output(rows, { rowCount: rows.length, metadata: { total_revenue: Math.round(total * 100) / 100, preview: meta.table(rows) } });
  },
});

const revenueByCountry = asset({
  key: "report/revenue_by_country",
  group: "report",
  description: "Revenue per customer country.",
  ins: { orders: cleanOrders, customers: rawCustomers },
  run: ({ orders, customers }) => {
    const country = new Map(customers.map((c) => [c.customer_id, c.country ?? "unknown"]));
    const totals = new Map<string, number>();
    for (const o of orders) {
      const c = country.get(o.customerId) ?? "unknown";
      totals.set(c, Math.round(((totals.get(c) ?? 0) + o.amount) * 100) / 100);
    }
    const rows = [...totals].map(([countryCode, revenue]) => ({ country: countryCode, revenue })).sort((a, b) => b.revenue - a.revenue);
    return output(rows, { rowCount: rows.length });
  },
});

const dailyRevenueCsv = asset({
  key: "export/daily_revenue_csv",
  group: "report",
  kinds: ["csv"],
  description: "The daily revenue report as a CSV file.",
  ins: { report: dailyRevenue },
  config: z.object({ dir: z.string().default(path.join(here, "out")) }),
  run: async ({ report }, { config, log }) => {
    await mkdir(config.dir, { recursive: true });
    const file = path.join(config.dir, "daily_revenue.csv");
    await writeFile(file, stringify(report, { header: true, columns: ["day", "orders", "revenue"] }));
    log.info(`wrote ${report.length} rows to ${file}`);
    return output(file, { rowCount: report.length, metadata: { file: meta.path(file) } });
  },
});

/** Every report, from the raw files up; its run config is the assets' config (see `sluice job list`). */
const refreshReports = assetJob({
  name: "refresh_reports",
  description: "Re-reads the CSV files and rebuilds every report.",
  selection: "*",
});

/** Nightly at 02:00 UTC; stopped until turned on (`sluice schedule start nightly_reports -f defs.ts`, or the UI). */
const nightly = schedule({
  name: "nightly_reports",
  cron: "0 2 * * *",
  timezone: "UTC",
  job: refreshReports,
  description: "Rebuilds the reports every night.",
});

export default defineDefinitions({
  assets: [rawOrders, rawCustomers, cleanOrders, dailyRevenue, revenueByCountry, dailyRevenueCsv],
  jobs: [refreshReports],
  schedules: [nightly],
});
