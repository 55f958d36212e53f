/**
 * Tenant provisioning. With Celery a periodic task polled `app.tenants` and sent one task per new
 * sign-up; here a sensor does the polling and launches one run of provision_tenant_job per row.
 *
 * Each run request carries the row's id as its run key: a run key launches at most once per
 * sensor, ever (the instance's database enforces it), so a row seen on many ticks (its run still
 * queued, or set back to `provisioning` by hand) is provisioned once. No cursor is needed: the
 * query asks for what is still to do, and run keys drop what was already launched.
 *
 * The sensor reads app.tenants through the same `postgres` resource as the op (bound once, in
 * definitions.ts, to OPS_DATABASE_URL): the daemon sets it up for each evaluation and closes it after.
 */
import { job, op, sensor, skip } from "sluice";
import { postgresResource } from "sluice/postgres";
import { z } from "zod";

/** Settings every new tenant starts with. */
const DEFAULT_SETTINGS = { plan: "free", retention_days: "30" } as const;

/** Creates a tenant's default settings and marks it active. */
export const provisionTenant = op({
  name: "provision_tenant",
  description: "Creates a tenant's default settings and sets its status to active.",
  config: z.object({
    tenant_id: z.number().int().positive(),
    region: z.string().min(1).default("eu-west-1"),
  }),
  resources: { postgres: postgresResource },
  run: async (_inputs, { config, resources, runId, log }) => {
    return resources.postgres.transaction(async (client) => {
      const { rows } = await client.query<{ name: string; status: string }>("SELECT name, status FROM app.tenants WHERE id = $1 FOR UPDATE", [config.tenant_id]);
      const tenant = rows[0];
      if (!tenant) throw new Error(`tenant ${config.tenant_id} is not in app.tenants`);
      if (tenant.status === "active") {
        log.warn(`tenant ${config.tenant_id} (${tenant.name}) is active already: nothing to do`);
        return { tenantId: config.tenant_id, name: tenant.name, provisioned: false };
      }
      for (const [key, value] of Object.entries({ ...DEFAULT_SETTINGS, region: config.region })) {
        await client.query("INSERT INTO app.tenant_settings (tenant_id, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [config.tenant_id, key, value]);
      }
      await client.query("UPDATE app.tenants SET status = 'active', provisioned_at = now(), provisioned_by_run = $2 WHERE id = $1", [config.tenant_id, runId]);
      log.info(`provisioned tenant ${config.tenant_id} (${tenant.name}) in ${config.region}`);
      return { tenantId: config.tenant_id, name: tenant.name, provisioned: true };
    });
  },
});

/** Provisions one tenant; launched by the sensor below. */
export const provisionTenantJob = job({
  name: "provision_tenant_job",
  description: "Provision one tenant (ops.provision_tenant.config.tenant_id).",
  tags: { team: "platform" },
  ops: [provisionTenant],
});

/** Sign-ups handled per evaluation at most; the rest wait for the next one. */
const BATCH = 100;

/** Polls app.tenants every 5 seconds for rows waiting for provisioning. */
export const tenantsAwaitingProvisioning = sensor({
  name: "tenants_awaiting_provisioning",
  job: provisionTenantJob,
  description: "One provision_tenant_job run per app.tenants row in status 'provisioning' (run key: the row's id).",
  minimumIntervalSeconds: 5,
  defaultStatus: "RUNNING",
  resources: { postgres: postgresResource },
  evaluate: async ({ resources }) => {
    const rows = await resources.postgres.query<{ id: number; name: string }>(
      "SELECT id, name FROM app.tenants WHERE status = 'provisioning' ORDER BY id LIMIT $1",
      [BATCH],
    );
    if (rows.length === 0) return skip("no tenant is waiting for provisioning");
    return rows.map((row) => ({
      runKey: String(row.id),
      runConfig: { ops: { provision_tenant: { config: { tenant_id: row.id } } } },
      tags: { tenant: row.name },
    }));
  },
});
