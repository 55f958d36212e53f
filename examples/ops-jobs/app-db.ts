/**
 * The application's database, as the jobs find it: the `app` schema a SaaS product keeps in
 * Postgres (accounts and their plans, daily storage usage, invoices, sessions, an audit log, an
 * email outbox, tenant sign-ups). In the real product the app's migrations create it; here
 * `createAppSchema` does, and `seedDemoData` fills it with a few accounts and two months of usage.
 */
import pg from "pg";

/** Creates the `app` schema and its tables when missing. */
export async function createAppSchema(db: pg.ClientBase): Promise<void> {
  await db.query("CREATE SCHEMA IF NOT EXISTS app");
  await db.query(`CREATE TABLE IF NOT EXISTS app.plans (
    name text PRIMARY KEY,
    included_gb numeric NOT NULL,   -- storage credits: GB-months included in the plan each month
    quota_gb numeric NOT NULL)`);
  await db.query(`CREATE TABLE IF NOT EXISTS app.accounts (
    id int PRIMARY KEY, name text NOT NULL UNIQUE, email text NOT NULL,
    plan text NOT NULL REFERENCES app.plans (name),
    storage_bytes bigint NOT NULL DEFAULT 0)   -- kept current by the app`);
  await db.query(`CREATE TABLE IF NOT EXISTS app.storage_usage (
    account_id int NOT NULL REFERENCES app.accounts (id), day date NOT NULL, gb numeric(12, 3) NOT NULL,
    PRIMARY KEY (account_id, day))`);
  await db.query(`CREATE TABLE IF NOT EXISTS app.invoices (
    account_id int NOT NULL REFERENCES app.accounts (id), period_start date NOT NULL, period_end date NOT NULL,
    gb_months numeric(12, 3) NOT NULL, included_gb numeric NOT NULL, billable_gb numeric(12, 3) NOT NULL,
    price_per_gb_month_cents int NOT NULL, amount_cents int NOT NULL, run_id text NOT NULL,
    PRIMARY KEY (account_id, period_start))`);
  await db.query(`CREATE MATERIALIZED VIEW IF NOT EXISTS app.monthly_revenue AS
    SELECT period_start, count(*)::int AS invoices, sum(amount_cents)::int AS amount_cents
    FROM app.invoices GROUP BY period_start`);
  await db.query(`CREATE TABLE IF NOT EXISTS app.sessions (
    id text PRIMARY KEY, account_id int NOT NULL REFERENCES app.accounts (id), expires_at timestamptz NOT NULL)`);
  await db.query(`CREATE TABLE IF NOT EXISTS app.audit_log (
    id int PRIMARY KEY, account_id int NOT NULL, at timestamptz NOT NULL, action text NOT NULL)`);
  await db.query(`CREATE TABLE IF NOT EXISTS app.outbox (
    account_id int NOT NULL, kind text NOT NULL, dedupe_key text NOT NULL, payload jsonb NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (account_id, kind, dedupe_key))`);
  await db.query(`CREATE TABLE IF NOT EXISTS app.tenants (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
    status text NOT NULL DEFAULT 'provisioning' CHECK (status IN ('provisioning', 'active')),
    requested_at timestamptz NOT NULL DEFAULT now(), provisioned_at timestamptz, provisioned_by_run text)`);
  await db.query(`CREATE TABLE IF NOT EXISTS app.tenant_settings (
    tenant_id int NOT NULL REFERENCES app.tenants (id), key text NOT NULL, value text NOT NULL,
    PRIMARY KEY (tenant_id, key))`);
}

/**
 * Demo rows: three plans, four accounts, their daily storage usage for November and December
 * 2025, sessions and audit log lines (some past their time). Safe to run again: existing rows are
 * kept; sessions and audit lines the maintenance job deleted come back.
 *
 * Usage, in GB each day: acme 120 in November and 130 in December; globex 40 on days 1-15 and 70
 * after; initech 3; umbrella 20.
 */
export async function seedDemoData(db: pg.ClientBase): Promise<void> {
  await db.query(`INSERT INTO app.plans (name, included_gb, quota_gb) VALUES
    ('free', 5, 10), ('team', 50, 100), ('pro', 100, 500) ON CONFLICT (name) DO NOTHING`);
  await db.query(`INSERT INTO app.accounts (id, name, email, plan, storage_bytes) VALUES
    (1, 'acme', 'billing@acme.example', 'pro', 131000000000),
    (2, 'globex', 'ops@globex.example', 'team', 96000000000),
    (3, 'initech', 'it@initech.example', 'free', 3000000000),
    (4, 'umbrella', 'admin@umbrella.example', 'team', 20000000000)
    ON CONFLICT (id) DO NOTHING`);
  await db.query(`INSERT INTO app.storage_usage (account_id, day, gb)
    SELECT a.id, d::date, CASE a.name
      WHEN 'acme' THEN CASE WHEN d < '2025-12-01' THEN 120 ELSE 130 END
      WHEN 'globex' THEN CASE WHEN extract(day FROM d) <= 15 THEN 40 ELSE 70 END
      WHEN 'initech' THEN 3
      ELSE 20 END
    FROM app.accounts a, generate_series('2025-11-01'::date, '2025-12-31'::date, interval '1 day') AS d
    ON CONFLICT (account_id, day) DO NOTHING`);
  // Relative to now, so that the maintenance job always finds something to clean up.
  await db.query(`INSERT INTO app.sessions (id, account_id, expires_at) VALUES
    ('s-expired-3-days-ago', 1, now() - interval '3 days'),
    ('s-expired-2-hours-ago', 2, now() - interval '2 hours'),
    ('s-expired-10-minutes-ago', 3, now() - interval '10 minutes'),
    ('s-valid-until-tomorrow', 1, now() + interval '1 day')
    ON CONFLICT (id) DO NOTHING`);
  await db.query(`INSERT INTO app.audit_log (id, account_id, at, action) VALUES
    (1, 1, now() - interval '200 days', 'plan changed to pro'),
    (2, 2, now() - interval '120 days', 'api key rotated'),
    (3, 3, now() - interval '40 days', 'user invited'),
    (4, 1, now() - interval '1 day', 'invoice downloaded')
    ON CONFLICT (id) DO NOTHING`);
}
