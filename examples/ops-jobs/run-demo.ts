/**
 * Runs the example once, start to finish, against a Postgres server:
 *   1. creates the app's tables (schema `app`) and demo rows;
 *   2. `sluice job execute` of monthly_credit_allocation_job with op config given by -c;
 *   3. signs up three tenants and runs `sluice daemon` until its sensor has provisioned them.
 * OPS_DATABASE_URL (the app's database) and SLUICE_DATABASE_URL (the instance's runs, schema
 * `sluice`) default to the local Postgres; the instance home is this folder (its sluice.yaml).
 *
 *   npx tsx run-demo.ts
 */
import { spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { Instance, RunStatus } from "sluice";
import { createAppSchema, seedDemoData } from "./app-db.js";

const here = import.meta.dirname;
const LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres";
const CLI = path.resolve(here, "../../bin/sluice.js");
const CONFIG = '{"ops": {"bill_storage_credits": {"config": {"target_date": "2025-12-15"}}}}';
/** How long the daemon may take to provision the sign-ups. */
const PROVISION_TIMEOUT_MS = 60_000;

for (const name of ["OPS_DATABASE_URL", "SLUICE_DATABASE_URL"]) {
  if (!process.env[name]) {
    console.error(`${name} is not set: using ${LOCAL_POSTGRES}`);
    process.env[name] = LOCAL_POSTGRES;
  }
}
const env = { ...process.env, SLUICE_HOME: here };

function sluice(args: string[]): Promise<number | null> {
  console.log(`\n$ sluice ${args.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}`);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: here, env, stdio: "inherit" });
  return new Promise((resolve) => child.on("exit", resolve));
}

const db = new pg.Client({ connectionString: process.env.OPS_DATABASE_URL });
await db.connect();
try {
  await createAppSchema(db);
  await seedDemoData(db);
  console.log("App database ready: schema app, 4 accounts with their storage usage for Nov-Dec 2025.");

  const code = await sluice(["job", "execute", "-f", "definitions.ts", "-j", "monthly_credit_allocation_job", "-c", CONFIG]);
  if (code !== 0) throw new Error(`sluice job execute exited with ${code}`);
  const invoices = await db.query<{ account: string; period: string; gb_months: string; billable_gb: string; amount_cents: number }>(
    `SELECT a.name AS account, to_char(i.period_start, 'YYYY-MM') AS period, i.gb_months, i.billable_gb, i.amount_cents
     FROM app.invoices i JOIN app.accounts a ON a.id = i.account_id WHERE i.period_start = '2025-11-01' ORDER BY a.id`,
  );
  console.log("\nInvoices for November 2025 (app.invoices):");
  for (const r of invoices.rows) console.log(`  ${r.account.padEnd(9)} ${r.period}  ${r.gb_months} GB-months, ${r.billable_gb} billable: ${r.amount_cents} cents`);

  const signups = await db.query<{ id: number; name: string }>(
    "INSERT INTO app.tenants (name) VALUES ('northwind'), ('contoso'), ('fabrikam') RETURNING id, name",
  );
  const ids = signups.rows.map((r) => r.id);
  console.log(`\nThree tenants signed up (app.tenants, status 'provisioning'): ids ${ids.join(", ")}. The daemon's sensor provisions them:`);
  console.log("\n$ sluice daemon -f definitions.ts     (stopped once their runs have finished)");
  const daemon = spawn(process.execPath, [CLI, "daemon", "-f", "definitions.ts"], { cwd: here, env, stdio: "inherit" });
  const daemonExit = new Promise<number | null>((resolve) => daemon.on("exit", resolve));
  // Done when each tenant is active and the run that provisioned it has finished (read from the
  // instance's storage, as `sluice run show` does).
  const instance = await Instance.open({ home: here });
  const deadline = Date.now() + PROVISION_TIMEOUT_MS;
  let finished = 0;
  try {
    while (finished < ids.length && Date.now() < deadline && daemon.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const runIds = (await db.query<{ run: string }>("SELECT provisioned_by_run AS run FROM app.tenants WHERE id = ANY($1) AND status = 'active'", [ids])).rows;
      const runs = await Promise.all(runIds.map((r) => instance.storage.getRun(r.run)));
      finished = runs.filter((run) => run?.status === RunStatus.Success).length;
    }
  } finally {
    await instance.close();
    daemon.kill("SIGTERM");
    await daemonExit;
  }
  const tenants = await db.query<{ id: number; name: string; status: string; provisioned_by_run: string | null }>(
    "SELECT id, name, status, provisioned_by_run FROM app.tenants WHERE id = ANY($1) ORDER BY id",
    [ids],
  );
  console.log("\nTenants (app.tenants):");
  for (const t of tenants.rows) console.log(`  ${String(t.id).padStart(3)} ${t.name.padEnd(9)} ${t.status.padEnd(12)} run ${t.provisioned_by_run ?? "-"}`);
  if (finished < ids.length) throw new Error(`only ${finished} of ${ids.length} tenants were provisioned within ${PROVISION_TIMEOUT_MS / 1000} s`);
  console.log("\nThe runs are recorded in Postgres (SLUICE_DATABASE_URL, schema sluice): README.md shows how to list them,");
  console.log("preview the schedules and keep the daemon running.");
} catch (err) {
  console.error(`\n${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.end();
}
