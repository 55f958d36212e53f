/**
 * The jobs: the hourly ingestion (run by automation, see assets.ts; the job is for backfills and
 * runs by hand), the daily Parquet job and its schedule, and the daily refresh of the device registry.
 */
import { assetJob, partitionedSchedule, schedule } from "sluice";

/** One hour of logs: fetch, stage (`--partition` an hour, `--partition-range` a backfill). */
export const hourlyIngest = assetJob({
  name: "hourly_device_logs",
  description: "Fetch an hour of device logs and stage them in DuckDB with the registry.",
  selection: "group:ingest",
  tags: { "iot/api": "device-cloud" },
});

/** One day of staged readings as Parquet, once its 24 hours are staged. */
export const dailyParquet = assetJob({
  name: "daily_device_parquet",
  description: "Write a day's staged readings as Parquet by date and device (reads the day's 24 staged hours).",
  selection: "group:publish",
});

/**
 * At 00:30 UTC, the day that ended: `30 0 * * *`, partition yesterday. Automation stages the
 * day's last hour at 00:05; should it still be missing, the run fails naming it, and the
 * instance's run retries try again.
 */
export const dailyParquetSchedule = partitionedSchedule({
  job: dailyParquet,
  name: "daily_device_parquet_schedule",
  minuteOfHour: 30,
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
