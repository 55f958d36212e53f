/**
 * Nightly maintenance (Celery: `maintenance.tasks.cleanup`), one op per chore:
 *
 *   delete_expired_sessions ─┐
 *                            ├┄┄► vacuum_analyze   (after both, no value passed)
 *   prune_audit_log ─────────┘
 */
import { job, op, output } from "sluice";
import { postgresResource } from "sluice/postgres";
import { z } from "zod";

/** Sessions past their expiry (and a grace period, for clocks that disagree). */
export const deleteExpiredSessions = op({
  name: "delete_expired_sessions",
  description: "Deletes sessions that expired more than grace_minutes ago.",
  config: z.object({ grace_minutes: z.number().int().nonnegative().default(60) }),
  resources: { postgres: postgresResource },
  run: async (_inputs, { config, resources, log }) => {
    const deleted = await resources.postgres.query<{ id: string }>(
      "DELETE FROM app.sessions WHERE expires_at < now() - make_interval(mins => $1) RETURNING id",
      [config.grace_minutes],
    );
    log.info(`deleted ${deleted.length} sessions expired more than ${config.grace_minutes} minutes ago`);
    return output(deleted.length, { rowCount: deleted.length });
  },
});

/** Audit log lines older than the retention period. */
export const pruneAuditLog = op({
  name: "prune_audit_log",
  description: "Deletes audit log lines older than keep_days.",
  config: z.object({ keep_days: z.number().int().min(1).default(90) }),
  resources: { postgres: postgresResource },
  run: async (_inputs, { config, resources, log }) => {
    const deleted = await resources.postgres.query<{ id: number }>(
      "DELETE FROM app.audit_log WHERE at < now() - make_interval(days => $1) RETURNING id",
      [config.keep_days],
    );
    log.info(`deleted ${deleted.length} audit log lines older than ${config.keep_days} days`);
    return output(deleted.length, { rowCount: deleted.length });
  },
});

/** Tables the chores above delete from. */
const VACUUMED = ["app.sessions", "app.audit_log"];

/** Reclaims the space of deleted rows and refreshes planner statistics, once the deletes are done. */
export const vacuumAnalyze = op({
  name: "vacuum_analyze",
  description: "VACUUM (ANALYZE) of the tables cleaned up, after the deletes.",
  deps: [deleteExpiredSessions, pruneAuditLog],
  resources: { postgres: postgresResource },
  run: async (_inputs, { resources, log }) => {
    // VACUUM cannot run inside a transaction: a plain pool query runs on its own.
    await resources.postgres.query(`VACUUM (ANALYZE) ${VACUUMED.join(", ")}`);
    log.info(`vacuumed and analyzed ${VACUUMED.join(", ")}`);
  },
});

/** The nightly cleanup. */
export const nightlyMaintenanceJob = job({
  name: "nightly_maintenance_job",
  description: "Delete expired sessions and old audit lines, then vacuum the tables.",
  tags: { team: "platform" },
  ops: [deleteExpiredSessions, pruneAuditLog, vacuumAnalyze],
});
