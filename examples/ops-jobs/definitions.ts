/**
 * Replacing Celery: billing and maintenance op jobs, their schedules, and a sensor provisioning
 * new tenants (one partition each of the asset tenant_workspace, on dynamic partitions). Reads OPS_DATABASE_URL (the app's Postgres database, a secret read with EnvVar:
 * never logged or stored) from the environment or this folder's .env. The instance (sluice.yaml
 * here) keeps its runs in Postgres too, at SLUICE_DATABASE_URL.
 *
 *   npx sluice job execute -f definitions.ts -j monthly_credit_allocation_job \
 *     -c '{"ops": {"bill_storage_credits": {"config": {"target_date": "2025-12-15"}}}}'
 *   npx sluice daemon -f definitions.ts
 */
import { configured, defineDefinitions, EnvVar } from "sluice";
import { postgresResource } from "sluice/postgres";
import { hourlyStorageSamplingJob, monthlyCreditAllocationJob } from "./billing.js";
import { weeklyUsageDigestJob } from "./digests.js";
import { nightlyMaintenanceJob } from "./maintenance.js";
import { provisionTenantJob, tenantsAwaitingProvisioning, tenantWorkspace } from "./provisioning.js";
import { schedules } from "./schedules.js";

export default defineDefinitions({
  assets: [tenantWorkspace],
  jobs: [monthlyCreditAllocationJob, hourlyStorageSamplingJob, nightlyMaintenanceJob, weeklyUsageDigestJob, provisionTenantJob],
  schedules,
  sensors: [tenantsAwaitingProvisioning],
  resources: {
    // The app's database, for the ops, the tenant asset and the provisioning sensor alike.
    postgres: configured(postgresResource, { url: EnvVar("OPS_DATABASE_URL"), applicationName: "ops-jobs" }),
  },
});
