/**
 * The beat schedule: what Celery's `beat_schedule` listed, as schedules the daemon ticks. Each
 * reads its cron in its own IANA time zone (DST included), and is on whenever a daemon runs
 * (`defaultStatus: "RUNNING"`, as every entry of a beat schedule is);
 * `sluice schedule stop NAME -f definitions.ts` turns one off.
 */
import { schedule } from "sluice";
import { monthlyCreditAllocationJob, hourlyStorageSamplingJob } from "./billing.js";
import { weeklyUsageDigestJob } from "./digests.js";
import { nightlyMaintenanceJob } from "./maintenance.js";

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)!.value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** The day before a YYYY-MM-DD date. */
function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

const NEW_YORK = "America/New_York";
const LONDON = "Europe/London";
const TOKYO = "Asia/Tokyo";

/** Midnight on the 1st, New York time: bills the month that just ended there. */
export const monthlyCreditAllocation = schedule({
  name: "monthly_credit_allocation",
  cron: "0 0 1 * *",
  timezone: NEW_YORK,
  job: monthlyCreditAllocationJob,
  defaultStatus: "RUNNING",
  description: "Midnight on the 1st (New York): invoice the month that just ended.",
  // The tick's date where the schedule lives (at 05:00Z on Jan 1 it is Jan 1 in New York).
  execute: ({ scheduledTime }) => ({ ops: { bill_storage_credits: { config: { target_date: localDate(scheduledTime, NEW_YORK) } } } }),
});

/** 02:00 London time, every night (after the UK evening peak). */
export const nightlyMaintenance = schedule({
  name: "nightly_maintenance",
  cron: "0 2 * * *",
  timezone: LONDON,
  job: nightlyMaintenanceJob,
  defaultStatus: "RUNNING",
  description: "02:00 London: delete expired sessions and old audit lines, vacuum.",
});

/** Five past every hour (UTC): samples storage for the tick's day. */
export const hourlyStorageSampling = schedule({
  name: "hourly_storage_sampling",
  cron: "5 * * * *",
  timezone: "UTC",
  job: hourlyStorageSamplingJob,
  defaultStatus: "RUNNING",
  description: "Hourly at :05 (UTC): sample each account's storage.",
  execute: ({ scheduledTime }) => ({ ops: { sample_storage_usage: { config: { day: localDate(scheduledTime, "UTC") } } } }),
});

/** Mondays 03:00 Tokyo time: the digest of the week that ended on Sunday there. */
export const weeklyUsageDigest = schedule({
  name: "weekly_usage_digest",
  cron: "0 3 * * 1",
  timezone: TOKYO,
  job: weeklyUsageDigestJob,
  defaultStatus: "RUNNING",
  description: "Mondays 03:00 (Tokyo): email each account last week's usage.",
  // Monday 03:00 in Tokyo is still Sunday in UTC: the week is counted in Tokyo's calendar.
  execute: ({ scheduledTime }) => ({ ops: { collect_weekly_usage: { config: { week_ending: dayBefore(localDate(scheduledTime, TOKYO)) } } } }),
});

/** Every schedule. */
export const schedules = [monthlyCreditAllocation, nightlyMaintenance, hourlyStorageSampling, weeklyUsageDigest];
