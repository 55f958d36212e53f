/**
 * The weekly usage digest (Celery: `notifications.tasks.weekly_digest`):
 *
 *   collect_weekly_usage ──► queue_digest_emails
 *    (config: week_ending)     (one email per account into app.outbox, at most once a week)
 */
import { job, op, output } from "sluice";
import { postgresResource } from "sluice/postgres";
import { z } from "zod";

/** One account's storage over a week. */
export interface WeeklyUsage {
  accountId: number;
  email: string;
  averageGb: number;
  peakGb: number;
}

/** Each account's average and peak storage over the seven days ending on week_ending. */
export const collectWeeklyUsage = op({
  name: "collect_weekly_usage",
  description: "Average and peak storage of each account over the seven days ending on week_ending.",
  config: z.object({
    /** The last day of the week (a Sunday, when the Monday schedule gives it). */
    week_ending: z.iso.date(),
  }),
  resources: { postgres: postgresResource },
  run: async (_inputs, { config, resources, log }) => {
    const rows = await resources.postgres.query<{ account_id: number; email: string; average_gb: number; peak_gb: number }>(
      `SELECT a.id AS account_id, a.email,
              round(coalesce(avg(u.gb), 0), 3)::float8 AS average_gb, coalesce(max(u.gb), 0)::float8 AS peak_gb
       FROM app.accounts a
       LEFT JOIN app.storage_usage u ON u.account_id = a.id AND u.day BETWEEN $1::date - 6 AND $1::date
       GROUP BY a.id, a.email ORDER BY a.id`,
      [config.week_ending],
    );
    log.info(`usage of ${rows.length} accounts for the week ending ${config.week_ending}`);
    const usage: WeeklyUsage[] = rows.map((r) => ({ accountId: r.account_id, email: r.email, averageGb: r.average_gb, peakGb: r.peak_gb }));
    return { weekEnding: config.week_ending, usage };
  },
});

/** The digests, queued for the mailer; a week queued again adds nothing. */
export const queueDigestEmails = op({
  name: "queue_digest_emails",
  description: "Queues one weekly digest email per account in app.outbox (once per account and week).",
  ins: { week: collectWeeklyUsage },
  resources: { postgres: postgresResource },
  run: async ({ week }, { resources, log }) => {
    let queued = 0;
    for (const u of week.usage) {
      const inserted = await resources.postgres.query(
        `INSERT INTO app.outbox (account_id, kind, dedupe_key, payload) VALUES ($1, 'weekly_digest', $2, $3)
         ON CONFLICT DO NOTHING RETURNING account_id`,
        [u.accountId, week.weekEnding, JSON.stringify({ to: u.email, weekEnding: week.weekEnding, averageGb: u.averageGb, peakGb: u.peakGb })],
      );
      queued += inserted.length;
    }
    log.info(`queued ${queued} digests for the week ending ${week.weekEnding} (${week.usage.length - queued} were queued before)`);
    return output(queued, { rowCount: queued });
  },
});

/** The weekly digest. */
export const weeklyUsageDigestJob = job({
  name: "weekly_usage_digest_job",
  description: "Email each account its storage usage of the past week.",
  tags: { team: "growth" },
  ops: [collectWeeklyUsage, queueDigestEmails],
});
