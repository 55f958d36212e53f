/**
 * Billing: two Celery tasks become two op jobs.
 *
 *   monthly_credit_allocation_job
 *     load_accounts ──► bill_storage_credits ──► write_invoices ┄┄► refresh_revenue_report
 *                        (config: target_date,                     (after write_invoices,
 *                         price_per_gb_month_cents)                  no value passed)
 *
 *   hourly_storage_sampling_job
 *     sample_storage_usage ──► warn_storage_over_quota
 *      (config: day)            (config: warn_at_percent)
 *
 * Every plan includes some GB-months of storage each month (its storage credits); what an account
 * stores beyond them is invoiced. The hourly job samples how much each account stores, which is
 * what the monthly job bills.
 */
import { job, op, output } from "sluice";
import { postgresResource } from "sluice/postgres";
import { z } from "zod";

/** An account and what its plan includes. */
export interface Account {
  id: number;
  name: string;
  plan: string;
  includedGb: number;
}

/** One account's bill for one month. */
export interface InvoiceLine {
  accountId: number;
  account: string;
  /** Average GB stored over the month's days. */
  gbMonths: number;
  includedGb: number;
  billableGb: number;
  amountCents: number;
}

/** What bill_storage_credits hands to write_invoices. */
export interface StorageBill {
  periodStart: string;
  periodEnd: string;
  pricePerGbMonthCents: number;
  lines: InvoiceLine[];
}

/** Every account, with the storage its plan includes. */
export const loadAccounts = op({
  name: "load_accounts",
  description: "Every account with the GB-months of storage its plan includes.",
  resources: { postgres: postgresResource },
  run: async (_inputs, { resources, log }): Promise<Account[]> => {
    const rows = await resources.postgres.query<{ id: number; name: string; plan: string; included_gb: number }>(
      `SELECT a.id, a.name, a.plan, p.included_gb::float8 AS included_gb
       FROM app.accounts a JOIN app.plans p ON p.name = a.plan ORDER BY a.id`,
    );
    log.info(`${rows.length} accounts to bill`);
    return rows.map((r) => ({ id: r.id, name: r.name, plan: r.plan, includedGb: r.included_gb }));
  },
});

/** The last full calendar month before `date` (YYYY-MM-DD): its first and last day. */
export function monthBefore(date: string): { start: string; end: string } {
  const [year, month] = date.split("-").map(Number) as [number, number];
  // Date.UTC takes months from 0: month - 2 is the previous month, day 0 of this month its last day.
  const start = new Date(Date.UTC(year, month - 2, 1));
  const end = new Date(Date.UTC(year, month - 1, 0));
  return { start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };
}

/** Storage used in the month beyond each plan's credits, priced. */
export const billStorageCredits = op({
  name: "bill_storage_credits",
  description: "Bills the storage each account used beyond its plan's credits in the last full month before target_date.",
  ins: { accounts: loadAccounts },
  config: z.object({
    /** The billing run's date: the month before it is billed (the schedule gives the tick's date). */
    target_date: z.iso.date(),
    price_per_gb_month_cents: z.number().int().nonnegative().default(25),
  }),
  resources: { postgres: postgresResource },
  run: async ({ accounts }, { config, resources, log }) => {
    const { start, end } = monthBefore(config.target_date);
    const days = Number(end.slice(8, 10));
    const usage = await resources.postgres.query<{ account_id: number; gb_days: number }>(
      "SELECT account_id, sum(gb)::float8 AS gb_days FROM app.storage_usage WHERE day BETWEEN $1 AND $2 GROUP BY account_id",
      [start, end],
    );
    const gbDays = new Map(usage.map((u) => [u.account_id, u.gb_days]));
    const lines: InvoiceLine[] = accounts.map((account) => {
      // Days without a sample count as nothing stored.
      const gbMonths = round3((gbDays.get(account.id) ?? 0) / days);
      const billableGb = round3(Math.max(0, gbMonths - account.includedGb));
      return { accountId: account.id, account: account.name, gbMonths, includedGb: account.includedGb, billableGb, amountCents: Math.round(billableGb * config.price_per_gb_month_cents) };
    });
    const total = lines.reduce((sum, l) => sum + l.amountCents, 0);
    log.info(`billing ${start}..${end} (target date ${config.target_date}) at ${config.price_per_gb_month_cents} cents per GB-month: ${lines.length} accounts, ${total} cents`);
    for (const l of lines.filter((l) => l.billableGb > 0)) log.info(`${l.account}: ${l.gbMonths} GB-months, ${l.includedGb} included, ${l.amountCents} cents`);
    const bill: StorageBill = { periodStart: start, periodEnd: end, pricePerGbMonthCents: config.price_per_gb_month_cents, lines };
    return output(bill, { rowCount: lines.length, metadata: { period_start: start, total_cents: total } });
  },
});

/** The bill written as invoice rows; billing a month again replaces its invoices. */
export const writeInvoices = op({
  name: "write_invoices",
  description: "Writes one invoice per account and month into app.invoices (a month billed again is replaced).",
  ins: { bill: billStorageCredits },
  resources: { postgres: postgresResource },
  run: async ({ bill }, { resources, runId, log }) => {
    await resources.postgres.transaction(async (client) => {
      for (const l of bill.lines) {
        await client.query(
          `INSERT INTO app.invoices (account_id, period_start, period_end, gb_months, included_gb, billable_gb, price_per_gb_month_cents, amount_cents, run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (account_id, period_start) DO UPDATE SET
             period_end = excluded.period_end, gb_months = excluded.gb_months, included_gb = excluded.included_gb,
             billable_gb = excluded.billable_gb, price_per_gb_month_cents = excluded.price_per_gb_month_cents,
             amount_cents = excluded.amount_cents, run_id = excluded.run_id`,
          [l.accountId, bill.periodStart, bill.periodEnd, l.gbMonths, l.includedGb, l.billableGb, bill.pricePerGbMonthCents, l.amountCents, runId],
        );
      }
    });
    log.info(`wrote ${bill.lines.length} invoices for ${bill.periodStart}`);
    return output({ periodStart: bill.periodStart, invoices: bill.lines.length }, { rowCount: bill.lines.length, metadata: { table: "app.invoices" } });
  },
});

/** Refreshes the revenue report once the invoices are in: it needs them written, not passed. */
export const refreshRevenueReport = op({
  name: "refresh_revenue_report",
  description: "Refreshes the materialized view app.monthly_revenue, after write_invoices.",
  deps: [writeInvoices],
  resources: { postgres: postgresResource },
  run: async (_inputs, { resources, log }) => {
    await resources.postgres.query("REFRESH MATERIALIZED VIEW app.monthly_revenue");
    const [latest] = await resources.postgres.query<{ period_start: string; amount_cents: number }>(
      "SELECT to_char(period_start, 'YYYY-MM-DD') AS period_start, amount_cents FROM app.monthly_revenue ORDER BY period_start DESC LIMIT 1",
    );
    if (latest) log.info(`revenue report refreshed; latest month ${latest.period_start}: ${latest.amount_cents} cents`);
  },
});

/** Monthly billing (Celery: `billing.tasks.allocate_monthly_credits`). */
export const monthlyCreditAllocationJob = job({
  name: "monthly_credit_allocation_job",
  description: "Invoice last month's storage beyond each plan's credits, then refresh the revenue report.",
  tags: { team: "billing" },
  ops: [loadAccounts, billStorageCredits, writeInvoices, refreshRevenueReport],
});

/** One account's storage at sampling time. */
export interface StorageSample {
  account: string;
  email: string;
  gb: number;
  quotaGb: number;
}

/** Each account's current storage, recorded as the day's usage (the largest sample of the day wins). */
export const sampleStorageUsage = op({
  name: "sample_storage_usage",
  description: "Records each account's current storage in app.storage_usage for the day (the day's largest sample is kept).",
  config: z.object({
    /** The day the samples count for; default: today (UTC). The hourly schedule gives the tick's day. */
    day: z.iso.date().optional(),
  }),
  resources: { postgres: postgresResource },
  run: async (_inputs, { config, resources, log }) => {
    const day = config.day ?? new Date().toISOString().slice(0, 10);
    const rows = await resources.postgres.query<{ account: string; email: string; gb: number; quota_gb: number }>(
      `WITH sampled AS (
         INSERT INTO app.storage_usage (account_id, day, gb)
         SELECT id, $1::date, round(storage_bytes / 1e9, 3) FROM app.accounts
         ON CONFLICT (account_id, day) DO UPDATE SET gb = greatest(app.storage_usage.gb, excluded.gb)
         RETURNING account_id, gb)
       SELECT a.name AS account, a.email, s.gb::float8 AS gb, p.quota_gb::float8 AS quota_gb
       FROM sampled s JOIN app.accounts a ON a.id = s.account_id JOIN app.plans p ON p.name = a.plan
       ORDER BY a.id`,
      [day],
    );
    log.info(`sampled the storage of ${rows.length} accounts for ${day}`);
    const samples: StorageSample[] = rows.map((r) => ({ account: r.account, email: r.email, gb: r.gb, quotaGb: r.quota_gb }));
    return output({ day, samples }, { rowCount: samples.length });
  },
});

/** Accounts close to their plan's quota get a warning email (once a day). */
export const warnStorageOverQuota = op({
  name: "warn_storage_over_quota",
  description: "Queues a warning email (app.outbox) for each account storing more than warn_at_percent of its quota.",
  ins: { sampled: sampleStorageUsage },
  config: z.object({ warn_at_percent: z.number().min(1).max(100).default(90) }),
  resources: { postgres: postgresResource },
  run: async ({ sampled }, { config, resources, log }) => {
    const over = sampled.samples.filter((s) => s.gb >= (s.quotaGb * config.warn_at_percent) / 100);
    for (const s of over) {
      log.warn(`${s.account} stores ${s.gb} GB of its ${s.quotaGb} GB quota`);
      await resources.postgres.query(
        `INSERT INTO app.outbox (account_id, kind, dedupe_key, payload)
         SELECT id, 'storage_quota_warning', $2, $3 FROM app.accounts WHERE name = $1
         ON CONFLICT DO NOTHING`,
        [s.account, sampled.day, JSON.stringify({ to: s.email, gb: s.gb, quotaGb: s.quotaGb })],
      );
    }
    return over.map((s) => s.account);
  },
});

/** Hourly sampling (Celery: `billing.tasks.sample_storage`). */
export const hourlyStorageSamplingJob = job({
  name: "hourly_storage_sampling_job",
  description: "Sample each account's storage for the day's usage; warn accounts near their quota.",
  tags: { team: "billing" },
  ops: [sampleStorageUsage, warnStorageOverQuota],
});

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
