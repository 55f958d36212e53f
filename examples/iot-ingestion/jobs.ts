/** The hourly ingestion job and its schedule, and the daily refresh of the device registry. */
import { assetJob, partitionedSchedule, schedule } from "sluice";

/** One hour of logs: fetch, stage, write Parquet. */
export const hourlyIngest = assetJob({
  name: "hourly_device_logs",
  description: "Fetch an hour of device logs, stage them in DuckDB with the registry, write the day's Parquet.",
  selection: "group:ingest",
  tags: { "iot/api": "device-cloud" },
});

/**
 * At five past every hour (UTC), the hour that just ended: `5 * * * *`, partition `…-HH:00` of the
 * previous hour. Runs once the daemon (or `sluice dev`) runs and the schedule is on.
 */
export const hourlyIngestSchedule = partitionedSchedule({
  job: hourlyIngest,
  name: "hourly_device_logs_schedule",
  minuteOfHour: 5,
  defaultStatus: "RUNNING",
});

export const refreshRegistry = assetJob({
  name: "refresh_device_registry",
  description: "Reload the device registry from the API.",
  selection: "group:devices",
  tags: { "iot/api": "device-cloud" },
});

/** Every day at 00:15 UTC, before the day's first hours are staged. */
export const refreshRegistrySchedule = schedule({
  name: "refresh_device_registry_daily",
  cron: "15 0 * * *",
  timezone: "UTC",
  job: refreshRegistry,
  defaultStatus: "RUNNING",
});
