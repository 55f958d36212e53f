/**
 * Device logs → raw JSON files → DuckDB staging (with the device registry) → Parquet by date and
 * device:
 *
 *   devices/registry ─────────────────────────┐
 *   (DuckDB table devices.registry)           ▼
 *   raw/device_logs ──────────────► staging/readings ═══════════► staging/readings_parquet
 *   data/raw/<date>/<hour>.json      DuckDB staging.readings  24h   data/staging/date=…/device=…/*.parquet
 *   (hourly)                         (hourly)                 → 1d  (daily)
 *
 * The log assets have hourly partitions (UTC): each run takes one hour of logs. The Parquet asset
 * has daily partitions and reads the staged hours of its day through an hourly → daily partition
 * mapping, so a day's files are written once, when all of its 24 hours are staged. The registry is
 * unpartitioned and refreshed by its own daily job.
 *
 * The hourly assets keep themselves up to date: `AutomationCondition.onCron` at five past each hour
 * (UTC) asks for their latest partition, the hour that just ended, and the daemon's automation loop
 * runs it: the logs first, then their staging, in one run.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { asset, AutomationCondition, dailyPartitions, hourlyPartitions, meta, output, resource, timeWindowMapping } from "sluice";
import { duckdbResource, writeParquet } from "sluice/duckdb";
import { z } from "zod";
import { deviceApi } from "./device-api.js";

/** The project's data lake: raw JSON files and staged Parquet, under one directory. */
export const lake = resource({
  description: "Where raw and staged files are written",
  config: z.object({ dir: z.string().min(1) }),
  setup: ({ dir }) => ({ raw: path.join(dir, "raw"), staging: path.join(dir, "staging") }),
});

/** One partition per hour, UTC, from the day the first devices were installed. */
export const hours = hourlyPartitions({ start: "2025-03-14-00:00", timezone: "UTC" });

/** One partition per day, UTC, over the same history: the days whose Parquet is written. */
export const days = dailyPartitions({ start: "2025-03-14", timezone: "UTC" });

/**
 * When an hour is ingested: at five past each hour (UTC), or at IOT_INGEST_CRON (read when the
 * definitions load; the tests use every minute).
 */
export const INGEST_CRON = process.env.IOT_INGEST_CRON ?? "5 * * * *";

const c = AutomationCondition;

/** The logs: after each tick of the cron, once, the latest hourly partition (the hour that ended). */
const ingestOnCron = c.onCron(INGEST_CRON, "UTC");

/**
 * The staging: the same, once the hour's logs were fetched after the tick (or are fetched in the
 * same run). It is `onCron` but for the registry, which is refreshed daily and so is not updated
 * after every tick: waiting for it would stage one hour a day.
 */
const stageOnCron = c
  .and(
    c.inLatestTimeWindow(),
    c.cronTickPassed(INGEST_CRON, "UTC").sinceLastHandled(),
    c.allDepsUpdatedSince(INGEST_CRON, "UTC", { ignore: ["devices/registry"] }),
    c.not(c.inProgress()),
  )
  .withLabel("on_cron_but_registry");

export const deviceRegistry = asset({
  key: "devices/registry",
  group: "devices",
  kinds: ["http", "duckdb"],
  description: "Every registered device with its name, site and model, from the device API. Stored as the DuckDB table devices.registry.",
  ioManager: "warehouse_io",
  resources: { api: deviceApi },
  run: async (_in, { resources, log }) => {
    const devices = await resources.api.devices();
    log.info(`${devices.length} devices registered in account ${resources.api.account}`);
    const rows = devices.map((d) => ({ device_id: d.id, serial: d.serial, device_name: d.name, site: d.site, model: d.model, installed_at: d.installed_at }));
    return output(rows, { metadata: { sites: new Set(devices.map((d) => d.site)).size } });
  },
});

/** What raw/device_logs hands downstream: where the hour's file is. */
export interface RawLogFile {
  file: string;
  from: string;
  to: string;
  records: number;
}

export const rawDeviceLogs = asset({
  key: "raw/device_logs",
  group: "ingest",
  kinds: ["http", "json"],
  description: "One hour of device logs exactly as the API sent them, as a JSON file in data/raw/<date>/<hour>.json.",
  partitions: hours,
  automation: ingestOnCron,
  resources: { api: deviceApi, lake },
  retry: { maxRetries: 2, delayMs: 5_000, backoff: "exponential" },
  run: async (_in, { resources, partitionTimeWindow, log }) => {
    const { start, end } = partitionTimeWindow!;
    const logs = await resources.api.logs(start, end, (page, n) => log.debug(`page ${page}: ${n} records`));
    const iso = start.toISOString();
    const file = path.join(resources.lake.raw, iso.slice(0, 10), `${iso.slice(11, 13)}00.json`);
    await mkdir(path.dirname(file), { recursive: true });
    // Written aside and renamed, so a reader never sees half a file.
    await writeFile(`${file}.tmp`, JSON.stringify(logs));
    await rename(`${file}.tmp`, file);
    log.info(`${logs.length} records from ${new Set(logs.map((l) => l.device_id)).size} devices → ${path.relative(process.cwd(), file) || file}`);
    const value: RawLogFile = { file, from: iso, to: end.toISOString(), records: logs.length };
    return output(value, { rowCount: logs.length, metadata: { file: meta.path(file) } });
  },
});

/** What staging/readings hands downstream: which day of the staging table it touched. */
export interface StagedHour {
  date: string;
  readings: number;
  unregistered: string[];
  dropped: number;
}

const READINGS_TABLE = `
  CREATE TABLE IF NOT EXISTS staging.readings (
    partition_key VARCHAR NOT NULL,
    date VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    device_id VARCHAR NOT NULL,
    device_name VARCHAR,
    site VARCHAR,
    model VARCHAR,
    metric VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    unit VARCHAR NOT NULL,
    firmware VARCHAR
  )`;

export const stagingReadings = asset({
  key: "staging/readings",
  group: "ingest",
  kinds: ["duckdb"],
  description:
    "The hour's readings in the DuckDB table staging.readings, typed, joined with the device registry (name, site, model). " +
    "Readings without a value are dropped; devices missing from the registry are kept, without a name, and reported.",
  partitions: hours,
  automation: stageOnCron,
  ins: { raw: rawDeviceLogs },
  deps: [deviceRegistry],
  resources: { warehouse: duckdbResource },
  run: async ({ raw }, { resources, partitionKey, log }) => {
    const date = raw.from.slice(0, 10);
    const summary = await resources.warehouse.withConnection(async (conn) => {
      const registry = await conn.runAndReadAll("SELECT 1 FROM information_schema.tables WHERE table_schema = 'devices' AND table_name = 'registry'");
      if (registry.currentRowCount === 0) {
        throw new Error("The device registry (table devices.registry) is empty: materialize devices/registry first (sluice materialize --select devices/registry).");
      }
      await conn.run("CREATE SCHEMA IF NOT EXISTS staging");
      await conn.run(READINGS_TABLE);
      await conn.run("BEGIN TRANSACTION");
      try {
        await conn.run("DELETE FROM staging.readings WHERE partition_key = $1", [partitionKey]);
        // An empty hour has no file columns to read: nothing to insert.
        if (raw.records > 0) {
          await conn.run(
            `INSERT INTO staging.readings
             SELECT $1, strftime(l.recorded_at, '%Y-%m-%d'), l.recorded_at, l.device_id, r.device_name, r.site, r.model,
                    l.metric, l.value, l.unit, l.firmware
             FROM read_json($2, format = 'array', columns = {
                    device_id: 'VARCHAR', recorded_at: 'TIMESTAMP', metric: 'VARCHAR', value: 'DOUBLE', unit: 'VARCHAR', firmware: 'VARCHAR'
                  }) AS l
             LEFT JOIN devices.registry AS r USING (device_id)
             WHERE l.value IS NOT NULL`,
            [partitionKey, raw.file],
          );
        }
        await conn.run("COMMIT");
      } catch (err) {
        await conn.run("ROLLBACK").catch(() => undefined);
        throw err;
      }
      const counts = await conn.runAndReadAll(
        "SELECT count(*)::INTEGER, list(DISTINCT device_id ORDER BY device_id) FILTER (WHERE device_name IS NULL) FROM staging.readings WHERE partition_key = $1",
        [partitionKey],
      );
      const [readings, unregistered] = counts.getRowsJS()[0] as [number, string[] | null];
      return { date, readings, unregistered: unregistered ?? [], dropped: raw.records - readings } satisfies StagedHour;
    });
    if (summary.dropped > 0) log.info(`dropped ${summary.dropped} readings without a value`);
    if (summary.unregistered.length > 0) {
      log.warn(`devices not in the registry: ${summary.unregistered.join(", ")}; their readings are staged without name, site or model`);
    }
    return output(summary, {
      rowCount: summary.readings,
      metadata: { dropped: summary.dropped, unregistered_devices: summary.unregistered.length, table: "staging.readings" },
    });
  },
});

export const stagingReadingsParquet = asset({
  key: "staging/readings_parquet",
  group: "publish",
  kinds: ["duckdb", "parquet"],
  description:
    "The day's staged readings as Parquet, partitioned by date and device: data/staging/date=<date>/device=<id>/. " +
    "A daily partition reads the day's 24 hourly partitions of staging/readings (an hourly → daily mapping), so it runs once they are all staged.",
  partitions: days,
  ins: { hours: { asset: stagingReadings, mapping: timeWindowMapping() } },
  resources: { warehouse: duckdbResource, lake },
  run: async ({ hours: staged }, { resources, partitionKey: date, log }) => {
    // `staged` is { "2026-03-28-00:00": StagedHour, … }: every hour of the day, in time order.
    const hoursOfDay = Object.values(staged);
    const expected = hoursOfDay.reduce((n, h) => n + h.readings, 0);
    const unregistered = [...new Set(hoursOfDay.flatMap((h) => h.unregistered))].sort();
    const dir = path.join(resources.lake.staging, `date=${date}`);
    const written = await resources.warehouse.withConnection((conn) =>
      writeParquet(conn, {
        // `date` is a key of the daily partitions (checked before the run starts): YYYY-MM-DD.
        query: `SELECT device_id AS device, recorded_at, device_name, site, model, metric, value, unit, firmware
                FROM staging.readings WHERE date = '${date}' ORDER BY device_id, recorded_at, metric`,
        to: dir,
        within: resources.lake.staging, // dir is built from the partition's date
        partitionBy: ["device"],
      }),
    );
    if (written.rowCount !== expected) {
      throw new Error(`staging.readings holds ${written.rowCount} readings of ${date}, but its ${hoursOfDay.length} staged hours reported ${expected}: stage the day's hours again.`);
    }
    log.info(`${written.rowCount} readings of ${date} from ${hoursOfDay.length} hours in ${written.files.length} Parquet files under ${dir}`);
    return output(
      { date, files: written.files.map((f) => path.relative(resources.lake.staging, f)) },
      { rowCount: written.rowCount, metadata: { directory: meta.path(dir), files: written.files.length, hours: hoursOfDay.length, unregistered_devices: unregistered.length } },
    );
  },
});

export const assets = [deviceRegistry, rawDeviceLogs, stagingReadings, stagingReadingsParquet];
