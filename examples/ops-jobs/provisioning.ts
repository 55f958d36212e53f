/**
 * Tenant provisioning. With Celery a periodic task polled `app.tenants` and sent one task per new
 * sign-up; here a sensor does the polling, and each tenant is a partition of the asset
 * `tenant_workspace`: the tenants are dynamic partitions ("tenants", keyed by the row's id), whose
 * keys the sensor adds to the instance in the same tick as the run of the new tenant's partition.
 * `sluice partitions list tenants` lists them; the UI and `sluice asset partitions tenant_workspace`
 * show which tenant was provisioned by which run.
 *
 * Each run request carries the row's id as its run key: a run key launches at most once per
 * sensor, ever (the instance's database enforces it), so a row seen on many ticks (its run still
 * queued, or set back to `provisioning` by hand) is provisioned once. No cursor is needed: the
 * query asks for what is still to do, and run keys drop what was already launched.
 *
 * The sensor reads app.tenants through the same `postgres` resource as the asset (bound once, in
 * definitions.ts, to OPS_DATABASE_URL): the daemon sets it up for each evaluation and closes it after.
 */
import { asset, assetJob, dynamicPartitions, sensor, skip } from "sluice";
import { postgresResource } from "sluice/postgres";
import { z } from "zod";

/** One partition per tenant, keyed by its `app.tenants` id; the keys live in the instance. */
export const tenants = dynamicPartitions("tenants");

/** Settings every new tenant starts with. */
const DEFAULT_SETTINGS = { plan: "free", retention_days: "30" } as const;

/** A tenant's workspace: its default settings, created once, and its row marked active. */
export const tenantWorkspace = asset({
  key: "tenant_workspace",
  group: "tenants",
  description: "One partition per tenant (its app.tenants id): creates its default settings and sets its status to active.",
  partitions: tenants,
  config: z.object({ region: z.string().min(1).default("eu-west-1") }),
  resources: { postgres: postgresResource },
  run: async (_inputs, { partitionKey, config, resources, runId, log }) => {
    const tenantId = Number(partitionKey);
    return resources.postgres.transaction(async (client) => {
      const { rows } = await client.query<{ name: string; status: string }>("SELECT name, status FROM app.tenants WHERE id = $1 FOR UPDATE", [tenantId]);
      const tenant = rows[0];
      if (!tenant) throw new Error(`tenant ${tenantId} is not in app.tenants`);
      if (tenant.status === "active") {
        log.warn(`tenant ${tenantId} (${tenant.name}) is active already: nothing to do`);
        return { tenantId, name: tenant.name, provisioned: false };
      }
      for (const [key, value] of Object.entries({ ...DEFAULT_SETTINGS, region: config.region })) {
        await client.query("INSERT INTO app.tenant_settings (tenant_id, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [tenantId, key, value]);
      }
      await client.query("UPDATE app.tenants SET status = 'active', provisioned_at = now(), provisioned_by_run = $2 WHERE id = $1", [tenantId, runId]);
      log.info(`provisioned tenant ${tenantId} (${tenant.name}) in ${config.region}`);
      return { tenantId, name: tenant.name, provisioned: true };
    });
  },
});

/** Provisions one tenant (one partition of tenant_workspace); launched by the sensor below. */
export const provisionTenantJob = assetJob({
  name: "provision_tenant_job",
  description: "Provision one tenant: the partition of tenant_workspace named by its app.tenants id.",
  tags: { team: "platform" },
  selection: [tenantWorkspace],
});

/** Sign-ups handled per evaluation at most; the rest wait for the next one. */
const BATCH = 100;

/** Polls app.tenants every 5 seconds for rows waiting for provisioning. */
export const tenantsAwaitingProvisioning = sensor({
  name: "tenants_awaiting_provisioning",
  job: provisionTenantJob,
  description: "Adds each app.tenants row in status 'provisioning' to the tenants partitions and runs its partition of provision_tenant_job (run key: the row's id).",
  minimumIntervalSeconds: 5,
  defaultStatus: "RUNNING",
  resources: { postgres: postgresResource },
  evaluate: async ({ resources }) => {
    const rows = await resources.postgres.query<{ id: number; name: string }>(
      "SELECT id, name FROM app.tenants WHERE status = 'provisioning' ORDER BY id LIMIT $1",
      [BATCH],
    );
    if (rows.length === 0) return skip("no tenant is waiting for provisioning");
    // The tenants' keys and the runs of their partitions are stored in one transaction: the runs
    // are checked against the keys this tick adds, and a tick that fails stores neither.
    return {
      dynamicPartitionsRequests: [{ partitionsName: tenants.name, add: rows.map((row) => String(row.id)) }],
      runRequests: rows.map((row) => ({ runKey: String(row.id), partitionKey: String(row.id), tags: { tenant: row.name } })),
    };
  },
});
