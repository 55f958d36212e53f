/**
 * IoT ingestion: the code location `workspace.yaml` names. Settings come from the environment or
 * this folder's .env (see .env.example):
 *   IOT_API_URL       the device API (default: the demo API of `run-demo.ts --serve`)
 *   IOT_ACCOUNT       the account whose devices are read
 *   IOT_API_KEY       the API key (a secret: masked in every log line, never stored)
 *   IOT_DATA_DIR      where raw JSON, staged Parquet and the DuckDB file go (default ./data)
 *   IOT_INGEST_CRON   when the latest hour is ingested (default "5 * * * *", five past each hour, UTC)
 */
import path from "node:path";
import { configured, defineDefinitions, EnvVar } from "sluice";
import { duckdbIOManager, duckdbResource } from "sluice/duckdb";
import { assets, lake } from "./assets.js";
import { deviceApi } from "./device-api.js";
import { dailyParquet, dailyParquetSchedule, hourlyIngest, refreshRegistry, refreshRegistrySchedule } from "./jobs.js";

// The directory is read when the definitions load (it is where the project's files are, not a
// setting that changes per run).
const dataDir = path.resolve(process.env.IOT_DATA_DIR ?? path.join(import.meta.dirname, "data"));
const warehouse = { path: path.join(dataDir, "warehouse.duckdb") };

export default defineDefinitions({
  assets,
  jobs: [hourlyIngest, dailyParquet, refreshRegistry],
  schedules: [dailyParquetSchedule, refreshRegistrySchedule],
  // The hourly assets' onCron conditions run with the daemon, like the schedules: on from the start.
  automation: { defaultStatus: "RUNNING" },
  resources: {
    api: configured(deviceApi, {
      baseUrl: EnvVar("IOT_API_URL", { secret: false, default: "http://127.0.0.1:8932/" }),
      account: EnvVar("IOT_ACCOUNT", { secret: false }),
      apiKey: EnvVar("IOT_API_KEY"),
    }),
    lake: configured(lake, { dir: dataDir }),
    warehouse: configured(duckdbResource, warehouse),
    warehouse_io: configured(duckdbIOManager, warehouse),
  },
});
