/**
 * The ops-jobs example end to end, as its README runs it: a fresh database on the local Postgres
 * holds both the app's tables (schema app) and the instance (the example's sluice.yaml: schema
 * sluice, at SLUICE_DATABASE_URL). The CLI executes op jobs with -c config, lists and previews the
 * schedules, and runs the daemon whose sensor provisions new tenants.
 */
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../../src/storage/testing/postgres-test-schemas.js";
import {
  assertBuilt,
  cliJson,
  describeResult,
  lastLine,
  removeTempDirs,
  REPO_ROOT,
  runCli,
  startCli,
  tempDir,
  type CliOptions,
  type EventJson,
  type RunJson,
  type RunningCli,
} from "../../test/cli/helpers.js";
import { createAppSchema, seedDemoData } from "./app-db.js";
import { hourlyStorageSampling, monthlyCreditAllocation, nightlyMaintenance, weeklyUsageDigest } from "./schedules.js";

const EXAMPLE = path.join(REPO_ROOT, "examples", "ops-jobs");
const APP_DATABASE = testDatabase("ops");
const DATABASE_URL = APP_DATABASE.url;
const BILLING = "monthly_credit_allocation_job";
const PROVISIONING = "provision_tenant_job";

let db: pg.Client;
/** The instance home: the example's own sluice.yaml, so runs and logs stay out of the repository. */
const home = tempDir("sluice-ops-home-");
/** The CLI as the README runs it: in the example folder, both URLs set. */
const opts: CliOptions = { home, cwd: EXAMPLE, env: { OPS_DATABASE_URL: DATABASE_URL, SLUICE_DATABASE_URL: DATABASE_URL } };

beforeAll(async () => {
  assertBuilt();
  await APP_DATABASE.create();
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  await createAppSchema(db);
  await seedDemoData(db);
  copyFileSync(path.join(EXAMPLE, "sluice.yaml"), path.join(home, "sluice.yaml"));
});

afterAll(async () => {
  await db?.end();
  await APP_DATABASE.drop();
  removeTempDirs();
});

function billingConfig(config: Record<string, unknown>): string {
  return JSON.stringify({ ops: { bill_storage_credits: { config } } });
}

function runShow(runId: string): Promise<RunJson> {
  return cliJson<RunJson>(["run", "show", runId, "--json"], opts);
}

function runLogs(runId: string): Promise<EventJson[]> {
  return cliJson<EventJson[]>(["run", "logs", runId, "--json"], opts);
}

function runList(extra: string[] = []): Promise<RunJson[]> {
  return cliJson<RunJson[]>(["run", "list", "--json", ...extra], opts);
}

async function invoices(periodStart: string): Promise<{ account: string; gb_months: string; billable_gb: string; amount_cents: number; run_id: string }[]> {
  const { rows } = await db.query(
    `SELECT a.name AS account, i.gb_months::text, i.billable_gb::text, i.amount_cents, i.run_id
     FROM app.invoices i JOIN app.accounts a ON a.id = i.account_id WHERE i.period_start = $1 ORDER BY a.id`,
    [periodStart],
  );
  return rows;
}

describe("ops-jobs: sluice job execute with op config given by -c", () => {
  it("bills the month before target_date from the app database, writes invoices, then refreshes the report", async () => {
    const result = await runCli(["job", "execute", "-f", "definitions.ts", "-j", BILLING, "-c", billingConfig({ target_date: "2025-12-15" })], opts);
    expect(result.code, describeResult(result)).toBe(0);
    const runId = lastLine(result.stdout);

    const run = await runShow(runId);
    expect(run).toMatchObject({ status: "SUCCESS", jobName: BILLING, tags: { team: "billing" } });
    expect(run.steps!.map((s) => `${s.key} ${s.status}`)).toEqual([
      "load_accounts SUCCESS",
      "bill_storage_credits SUCCESS",
      "write_invoices SUCCESS",
      "refresh_revenue_report SUCCESS",
    ]);
    // November 2025 (30 days), at the default 25 cents per GB-month beyond the plan's credits:
    // acme (pro, 100 included) 120 GB all month; globex (team, 50) 40 GB for 15 days, 70 for 15.
    expect(await invoices("2025-11-01")).toEqual([
      { account: "acme", gb_months: "120.000", billable_gb: "20.000", amount_cents: 500, run_id: runId },
      { account: "globex", gb_months: "55.000", billable_gb: "5.000", amount_cents: 125, run_id: runId },
      { account: "initech", gb_months: "3.000", billable_gb: "0.000", amount_cents: 0, run_id: runId },
      { account: "umbrella", gb_months: "20.000", billable_gb: "0.000", amount_cents: 0, run_id: runId },
    ]);
    const report = await db.query("SELECT to_char(period_start, 'YYYY-MM-DD') AS period, invoices, amount_cents FROM app.monthly_revenue");
    expect(report.rows).toEqual([{ period: "2025-11-01", invoices: 4, amount_cents: 625 }]);

    const logs = (await runLogs(runId)).filter((e) => e.type === "LOG").map((e) => `${e.stepKey}: ${e.message}`);
    expect(logs).toContain("bill_storage_credits: billing 2025-11-01..2025-11-30 (target date 2025-12-15) at 25 cents per GB-month: 4 accounts, 625 cents");
    expect(logs).toContain("refresh_revenue_report: revenue report refreshed; latest month 2025-11-01: 625 cents");
  });

  it("merges several -c in order: another month, at a price that overrides the default", async () => {
    const result = await runCli(
      ["job", "execute", "-f", "definitions.ts", "-j", BILLING, "-c", billingConfig({ target_date: "2026-01-01" }), "-c", billingConfig({ price_per_gb_month_cents: 30 })],
      opts,
    );
    expect(result.code, describeResult(result)).toBe(0);
    const runId = lastLine(result.stdout);
    // December 2025 (31 days) at 30 cents: acme 130 GB; globex (15 × 40 + 16 × 70) / 31 = 55.484.
    expect(await invoices("2025-12-01")).toEqual([
      { account: "acme", gb_months: "130.000", billable_gb: "30.000", amount_cents: 900, run_id: runId },
      { account: "globex", gb_months: "55.484", billable_gb: "5.484", amount_cents: 165, run_id: runId },
      { account: "initech", gb_months: "3.000", billable_gb: "0.000", amount_cents: 0, run_id: runId },
      { account: "umbrella", gb_months: "20.000", billable_gb: "0.000", amount_cents: 0, run_id: runId },
    ]);
    // November's invoices are left as the first run wrote them.
    expect((await invoices("2025-11-01")).map((i) => i.amount_cents)).toEqual([500, 125, 0, 0]);
  });

  it("exits 2 naming the config path for an unknown op, a value of the wrong type or a missing one, and records no run", async () => {
    const before = (await runList()).length;
    const execute = (...config: string[]) => runCli(["job", "execute", "-f", "definitions.ts", "-j", BILLING, ...config.flatMap((c) => ["-c", c])], opts);
    const [unknownOp, wrongType, badDate, missing] = await Promise.all([
      execute(JSON.stringify({ ops: { bill_storage_credit: { config: { target_date: "2025-12-15" } } } })),
      execute(billingConfig({ target_date: "2025-12-15", price_per_gb_month_cents: "25" })),
      execute(billingConfig({ target_date: "2025-12-32" })),
      execute(),
    ]);
    for (const result of [unknownOp, wrongType, badDate, missing]) {
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stdout).toBe("");
    }
    expect(unknownOp.stderr).toContain('Run config is invalid at ops.bill_storage_credit: this run has no asset or op named "bill_storage_credit".');
    expect(unknownOp.stderr).toContain("Known: load_accounts, bill_storage_credits, write_invoices, refresh_revenue_report.");
    expect(wrongType.stderr).toContain('Config of op "bill_storage_credits" is invalid');
    expect(wrongType.stderr).toMatch(/ops\.bill_storage_credits\.config\.price_per_gb_month_cents: .*expected number, received string/);
    expect(badDate.stderr).toMatch(/ops\.bill_storage_credits\.config\.target_date: .*date/i);
    expect(missing.stderr).toMatch(/ops\.bill_storage_credits\.config\.target_date: .*expected string, received undefined/);
    expect(await runList()).toHaveLength(before);
  });

  it("runs the nightly maintenance with its config defaults: deletes, then vacuum after both deletes", async () => {
    const result = await runCli(["job", "execute", "-f", "definitions.ts", "-j", "nightly_maintenance_job"], opts);
    expect(result.code, describeResult(result)).toBe(0);
    const run = await runShow(lastLine(result.stdout));
    expect(run.status).toBe("SUCCESS");
    const step = (key: string) => run.steps!.find((s) => s.key === key)!;
    const vacuumStart = Date.parse(step("vacuum_analyze").startedAt!);
    expect(vacuumStart).toBeGreaterThanOrEqual(Date.parse(step("delete_expired_sessions").endedAt!));
    expect(vacuumStart).toBeGreaterThanOrEqual(Date.parse(step("prune_audit_log").endedAt!));
    // grace_minutes defaults to 60: the session expired 10 minutes ago stays.
    expect((await db.query("SELECT id FROM app.sessions ORDER BY id")).rows.map((r) => r.id)).toEqual(["s-expired-10-minutes-ago", "s-valid-until-tomorrow"]);
    // keep_days defaults to 90: the lines of 200 and 120 days ago go.
    expect((await db.query("SELECT id FROM app.audit_log ORDER BY id")).rows.map((r) => r.id)).toEqual([3, 4]);
  });
});

interface ScheduleJson {
  name: string;
  cron: string;
  timezone: string;
  job: string | null;
  status: string;
}

describe("ops-jobs: the schedules (the beat schedule)", () => {
  it("schedule list --json shows the four schedules with their cron, time zone and job, running by default", async () => {
    const schedules = await cliJson<ScheduleJson[]>(["schedule", "list", "-f", "definitions.ts", "--json"], opts);
    expect(schedules.map(({ name, cron, timezone, job, status }) => ({ name, cron, timezone, job, status }))).toEqual([
      { name: "monthly_credit_allocation", cron: "0 0 1 * *", timezone: "America/New_York", job: BILLING, status: "RUNNING" },
      { name: "nightly_maintenance", cron: "0 2 * * *", timezone: "Europe/London", job: "nightly_maintenance_job", status: "RUNNING" },
      { name: "hourly_storage_sampling", cron: "5 * * * *", timezone: "UTC", job: "hourly_storage_sampling_job", status: "RUNNING" },
      { name: "weekly_usage_digest", cron: "0 3 * * 1", timezone: "Asia/Tokyo", job: "weekly_usage_digest_job", status: "RUNNING" },
    ]);
  });

  it("schedule preview gives each schedule's ticks in its own time zone, across DST changes", async () => {
    const preview = (name: string, after: string, count: number) => runCli(["schedule", "preview", name, "-f", "definitions.ts", "--after", after, "--count", String(count)], opts);
    const [monthlyFall, monthlySpring, nightlyFall, nightlySpring, hourly, weekly] = await Promise.all([
      // New York: EDT (UTC-4) until Nov 2 2025, EST (UTC-5) until Mar 8 2026.
      preview("monthly_credit_allocation", "2025-10-15", 3),
      preview("monthly_credit_allocation", "2026-02-15", 2),
      // London: BST (UTC+1) until 02:00 on Oct 26 2025, which becomes 01:00 GMT; 02:00 GMT that night.
      preview("nightly_maintenance", "2025-10-25", 3),
      // On Mar 29 2026 01:00 GMT jumps to 02:00 BST: 02:00 exists, at 01:00Z.
      preview("nightly_maintenance", "2026-03-28", 3),
      preview("hourly_storage_sampling", "2025-12-31T23:30:00Z", 2),
      // Tokyo (UTC+9, no DST): Monday 03:00 is Sunday 18:00 UTC.
      preview("weekly_usage_digest", "2025-12-10", 2),
    ]);
    const ticks = (r: Awaited<ReturnType<typeof preview>>): string[] => {
      expect(r.code, describeResult(r)).toBe(0);
      return r.stdout.trimEnd().split("\n");
    };
    expect(ticks(monthlyFall)).toEqual(["2025-11-01T04:00:00Z", "2025-12-01T05:00:00Z", "2026-01-01T05:00:00Z"]);
    expect(ticks(monthlySpring)).toEqual(["2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z"]);
    expect(ticks(nightlyFall)).toEqual(["2025-10-25T01:00:00Z", "2025-10-26T02:00:00Z", "2025-10-27T02:00:00Z"]);
    expect(ticks(nightlySpring)).toEqual(["2026-03-28T02:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z"]);
    expect(ticks(hourly)).toEqual(["2026-01-01T00:05:00Z", "2026-01-01T01:05:00Z"]);
    expect(ticks(weekly)).toEqual(["2025-12-14T18:00:00Z", "2025-12-21T18:00:00Z"]);
  });

  it("computes each tick's op config from the tick's date in the schedule's time zone", async () => {
    const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const tick = (s: typeof monthlyCreditAllocation, iso: string) => s.execute!({ scheduledTime: new Date(iso), partitionKey: null, log, resources: {} });
    // Midnight on Jan 1 in New York is 05:00Z: January's run bills December.
    expect(await tick(monthlyCreditAllocation, "2026-01-01T05:00:00Z")).toEqual({ ops: { bill_storage_credits: { config: { target_date: "2026-01-01" } } } });
    // Monday Dec 15 03:00 in Tokyo is Sunday 18:00Z: the week ends on Sunday Dec 14, Tokyo's calendar.
    expect(await tick(weeklyUsageDigest, "2025-12-14T18:00:00Z")).toEqual({ ops: { collect_weekly_usage: { config: { week_ending: "2025-12-14" } } } });
    expect(await tick(hourlyStorageSampling, "2026-01-01T00:05:00Z")).toEqual({ ops: { sample_storage_usage: { config: { day: "2026-01-01" } } } });
    // Without a function, a tick runs the job with its own config defaults.
    expect(nightlyMaintenance.execute).toBeUndefined();
  });
});

describe("ops-jobs: the daemon, its provisioning sensor, and runs kept in Postgres", () => {
  let daemon: RunningCli | undefined;

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) {
      daemon.child.kill("SIGTERM");
      await daemon.done;
    }
  });

  /** Polls until `check` is true, failing with the daemon's output after `timeoutMs`. */
  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  const provisioningRuns = () => runList(["--job", PROVISIONING]);
  const succeeded = async (n: number) => (await provisioningRuns()).filter((r) => r.status === "SUCCESS").length === n;

  it("launches one run per row in status provisioning (run key: the row id), and never a second one for a row", async () => {
    const first: number[] = (await db.query("INSERT INTO app.tenants (name) VALUES ('northwind'), ('contoso'), ('fabrikam') RETURNING id")).rows.map((r) => r.id);
    daemon = startCli(["daemon", "-f", "definitions.ts"], { ...opts, timeoutMs: 55_000 });
    await until("3 provisioning runs succeed", () => succeeded(3));

    let runs = await provisioningRuns();
    expect(runs).toHaveLength(3);
    expect(runs.map((r) => r.tags["sluice/run_key"]).sort()).toEqual(first.map(String).sort());
    const tenants = await db.query("SELECT id, name, status, provisioned_by_run FROM app.tenants ORDER BY id");
    for (const tenant of tenants.rows) {
      const run = runs.find((r) => r.tags["sluice/run_key"] === String(tenant.id))!;
      expect(tenant.status).toBe("active");
      expect(tenant.provisioned_by_run).toBe(run.runId);
      expect(run.tags).toMatchObject({ tenant: tenant.name, "sluice/sensor_name": "tenants_awaiting_provisioning", team: "platform" });
    }
    const settings = await db.query("SELECT tenant_id, key, value FROM app.tenant_settings WHERE tenant_id = $1 ORDER BY key", [first[0]]);
    expect(settings.rows.map((r) => `${r.key}=${r.value}`)).toEqual(["plan=free", "region=eu-west-1", "retention_days=30"]);
    // Each tenant is a partition of tenant_workspace, added by the tick that launched its run.
    expect(runs.map((r) => [r.partition, r.tags["sluice/partition"]]).sort()).toEqual(first.map((id) => [String(id), String(id)]).sort());
    expect(await cliJson(["partitions", "list", "tenants", "-f", "definitions.ts", "--json"], opts)).toEqual({
      name: "tenants",
      keys: first.map(String),
      assets: ["tenant_workspace"],
    });
    const workspace = await cliJson<{ materialized: number; keys: { key: string; materialized: boolean; runId: string }[] }>(
      ["asset", "partitions", "tenant_workspace", "-f", "definitions.ts", "--json"],
      opts,
    );
    expect(workspace.materialized).toBe(3);
    expect(workspace.keys.map((k) => [k.key, k.runId])).toEqual(first.map((id) => [String(id), tenants.rows.find((t) => t.id === id)!.provisioned_by_run]));

    // One more sign-up, and a row already provisioned set back to provisioning: the sensor sees
    // both on its next ticks, but the old row's run key has been used.
    const [fourth] = (await db.query("INSERT INTO app.tenants (name) VALUES ('initrode') RETURNING id")).rows.map((r) => r.id as number);
    await db.query("UPDATE app.tenants SET status = 'provisioning' WHERE id = $1", [first[0]]);
    await daemon.waitForStderr(`run keys already used, skipped: ${first[0]}`);
    await until("the fourth run succeeds", () => succeeded(4));

    runs = await provisioningRuns();
    expect(runs).toHaveLength(4);
    expect(runs.filter((r) => r.tags["sluice/run_key"] === String(fourth))).toHaveLength(1);
    expect(((await cliJson(["partitions", "list", "tenants", "-f", "definitions.ts", "--json"], opts)) as { keys: string[] }).keys).toEqual([...first, fourth].map(String));
    const status = await db.query("SELECT id, status FROM app.tenants ORDER BY id");
    expect(status.rows).toEqual([
      { id: first[0], status: "provisioning" },
      { id: first[1], status: "active" },
      { id: first[2], status: "active" },
      { id: fourth, status: "active" },
    ]);

    daemon.child.kill("SIGTERM");
    const stopped = await daemon.done;
    expect(stopped.code, describeResult(stopped)).toBe(0);
    expect(stopped.stderr).toContain("daemon stopped");
  });

  it("refuses a run of a tenant that is not a partition (exit 2, naming it and how to add it), recording nothing", async () => {
    const before = (await runList()).length;
    const result = await runCli(["materialize", "-f", "definitions.ts", "--select", "tenant_workspace", "--partition", "999999"], opts);
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain('Partition "999999" of dynamic partitions "tenants" does not exist; add it with `sluice partitions add tenants 999999` (4 keys exist:');
    expect((await runList()).length).toBe(before);
  });

  it("keeps every run in the instance's Postgres schema, and nothing in a SQLite file", async () => {
    const listed = await runList();
    // 2 billing, 1 maintenance and 4 provisioning runs (and any schedule tick that fell during the test).
    expect(listed.length).toBeGreaterThanOrEqual(7);
    // Leaving out the reserved run that holds materializations reported from outside Sluice.
    const stored = await db.query("SELECT run_id, status, job_name FROM sluice.runs WHERE run_id <> '__runless__'");
    expect(new Set(stored.rows.map((r) => r.run_id))).toEqual(new Set(listed.map((r) => r.runId)));
    expect(stored.rows.filter((r) => r.job_name === PROVISIONING && r.status === "SUCCESS")).toHaveLength(4);
    const keys = await db.query("SELECT run_key FROM sluice.run_keys WHERE instigator_name = 'tenants_awaiting_provisioning'");
    expect(keys.rows).toHaveLength(4);
    expect(existsSync(path.join(home, "sluice.db"))).toBe(false);
  });
});
