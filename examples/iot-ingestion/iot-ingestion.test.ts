/**
 * The iot-ingestion example end to end, as its README runs it: the code location from
 * workspace.yaml, the instance settings from its sluice.yaml, the demo device API served locally
 * (the client under test is the real one), real DuckDB and Parquet files in a temporary data dir.
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  cliJson,
  describeResult,
  lastLine,
  listRuns,
  removeTempDirs,
  REPO_ROOT,
  runCli,
  runEvents,
  showRun,
  tempDir,
} from "../../test/cli/helpers.js";
import type { ConditionSnapshot } from "../../src/definitions/automation/automation-condition.js";
import { rawDeviceLogs, stagingReadings } from "./assets.js";
import { queryStaged } from "./query.js";
import { DEMO_ACCOUNT, DEMO_API_KEY, DEVICES, logsBetween, startDeviceCloud, UNREGISTERED_DEVICE, type DeviceCloud } from "./demo/device-cloud.js";

const EXAMPLE = path.join(REPO_ROOT, "examples", "iot-ingestion");
// Three hours across midnight UTC; 00:00 is an hour whose humidity sensors fail at :40.
const RANGE = "2026-03-28-23:00...2026-03-29-01:00";
const HOURS = ["2026-03-28-23:00", "2026-03-29-00:00", "2026-03-29-01:00"];

let api: DeviceCloud;
const home = tempDir();
const dataDir = tempDir();
const env = (extra: Record<string, string | undefined> = {}) => ({
  IOT_API_URL: api.url,
  IOT_ACCOUNT: DEMO_ACCOUNT,
  IOT_API_KEY: DEMO_API_KEY,
  IOT_DATA_DIR: dataDir,
  ...extra,
});

/** Runs a query with DuckDB's own API (not the example's code) and returns plain rows. */
async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(":memory:");
  try {
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson() as T[];
    conn.closeSync();
    return rows;
  } finally {
    db.closeSync();
  }
}

const warehouse = () => path.join(dataDir, "warehouse.duckdb").replaceAll("'", "''");
const parquetGlob = () => path.join(dataDir, "staging", "**", "*.parquet").replaceAll("'", "''");

beforeAll(async () => {
  assertBuilt();
  // The example's own instance settings, in a home of the test's.
  copyFileSync(path.join(EXAMPLE, "sluice.yaml"), path.join(home, "sluice.yaml"));
  api = await startDeviceCloud({ flaky: true });
});

afterAll(async () => {
  await api?.close();
  removeTempDirs();
});

describe("iot-ingestion: definitions from workspace.yaml", () => {
  it("lists the assets without -f, in dependency order", async () => {
    const assets = await cliJson<{ key: string; group: string; deps: string[] }[]>(["asset", "list", "--json"], { home, cwd: EXAMPLE, env: env() });
    expect(assets.map((a) => [a.key, a.group, a.deps])).toEqual([
      ["devices/registry", "devices", []],
      ["raw/device_logs", "ingest", []],
      ["staging/readings", "ingest", ["raw/device_logs", "devices/registry"]],
      ["staging/readings_parquet", "publish", ["staging/readings"]],
    ]);
  });

  it("schedules the day's Parquet at 00:30 and the registry at 00:15, UTC and on; the hourly ingestion is left to automation", async () => {
    const schedules = await cliJson<{ name: string; cron: string; timezone: string; job: string; status: string }[]>(["schedule", "list", "--json"], {
      home,
      cwd: EXAMPLE,
      env: env(),
    });
    expect(schedules.map((s) => [s.name, s.cron, s.timezone, s.job, s.status])).toEqual([
      ["daily_device_parquet_schedule", "30 0 * * *", "UTC", "daily_device_parquet", "RUNNING"],
      ["refresh_device_registry_daily", "15 0 * * *", "UTC", "refresh_device_registry", "RUNNING"],
    ]);
  });

  it("ingests the latest hour at five past each hour (UTC) by the hourly assets' onCron conditions", () => {
    const crons = (node: ConditionSnapshot): string[] => [...(node.params.cron ? [`${node.type} ${node.params.cron} ${node.params.timezone}`] : []), ...node.children.flatMap(crons)];
    expect(rawDeviceLogs.automation?.label).toBe("on_cron");
    expect(crons(rawDeviceLogs.automation!.toJSON())).toEqual(["cron_tick_passed 5 * * * * UTC", "all_deps_updated_since_cron 5 * * * * UTC"]);
    expect(crons(stagingReadings.automation!.toJSON())).toEqual(["cron_tick_passed 5 * * * * UTC", "all_deps_updated_since_cron 5 * * * * UTC"]);
    // Staging waits for the hour's logs, not for the registry (refreshed once a day).
    expect(stagingReadings.automation!.describe()).toBe("on_cron_but_registry");
    expect(JSON.stringify(stagingReadings.automation!.toJSON())).toContain('"ignore":["devices/registry"]');
  });
});

describe("iot-ingestion: the registry, then three hours of logs", () => {
  let runIds: string[];

  beforeAll(async () => {
    const registry = await runCli(["materialize", "--select", "devices/registry"], { home, cwd: EXAMPLE, env: env() });
    expect(registry.code, describeResult(registry)).toBe(0);
    const hours = await runCli(["job", "execute", "-j", "hourly_device_logs", "--partition-range", RANGE], { home, cwd: EXAMPLE, env: env(), timeoutMs: 120_000 });
    expect(hours.code, describeResult(hours)).toBe(0);
    runIds = hours.stdout.trim().split("\n").slice(-3);
  }, 180_000);

  it("stores the registry as the DuckDB table devices.registry", async () => {
    const registry = await duck<{ device_id: string; site: string }>(
      `ATTACH '${warehouse()}' AS w (READ_ONLY); SELECT device_id, serial, device_name, site, model FROM w.devices.registry ORDER BY device_id`,
    );
    expect(registry).toEqual(DEVICES.map((d) => ({ device_id: d.id, serial: d.serial, device_name: d.name, site: d.site, model: d.model })));
  });

  it("runs one run per hour, each with its partition and the job's tag", async () => {
    const runs = await Promise.all(runIds.map((id) => showRun(home, id)));
    expect(runs.map((r) => [r.status, r.partition, r.jobName, r.tags["iot/api"]])).toEqual(
      HOURS.map((h) => ["SUCCESS", h, "hourly_device_logs", "device-cloud"]),
    );
  });

  it("keeps each hour's logs as the API sent them, in data/raw/<date>/<hour>.json", () => {
    for (const [date, hour, from] of [
      ["2026-03-28", "2300", "2026-03-28T23:00:00Z"],
      ["2026-03-29", "0000", "2026-03-29T00:00:00Z"],
      ["2026-03-29", "0100", "2026-03-29T01:00:00Z"],
    ] as const) {
      const file = path.join(dataDir, "raw", date, `${hour}.json`);
      const start = new Date(from);
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(logsBetween(start, new Date(start.getTime() + 3_600_000)));
      expect(existsSync(`${file}.tmp`)).toBe(false);
    }
  });

  it("paged through the API and waited out its 503s", async () => {
    const logRequests = api.requests.filter((r) => r.includes("/logs?"));
    // Two pages an hour (the API pages by 25); each second page failed once, then answered.
    expect(logRequests.map((r) => r.split(" ").at(-1))).toEqual(["200", "503", "200", "200", "503", "200", "200", "503", "200"]);
    const warnings = (await runEvents(home, runIds[0]!)).filter((e) => e.level === "WARN").map((e) => e.message);
    expect(warnings[0]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/v1\/accounts\/acme-cold-chain\/logs\?.*: 503 Service Unavailable; retrying in/);
  });

  it("stages readings with the registry's names and sites, dropping readings without a value", async () => {
    const staged = await duck<{ partition_key: string; n: number; unnamed: number }>(
      `ATTACH '${warehouse()}' AS w (READ_ONLY);
       SELECT partition_key, count(*)::INTEGER AS n, count(*) FILTER (WHERE device_name IS NULL)::INTEGER AS unnamed
       FROM w.staging.readings GROUP BY partition_key ORDER BY partition_key`,
    );
    // Per hour: 4 devices × 6 times × 2 metrics + 2 readings of the unregistered device; at 00:00
    // the four humidity readings of :40 have no value.
    expect(staged).toEqual([
      { partition_key: "2026-03-28-23:00", n: 50, unnamed: 2 },
      { partition_key: "2026-03-29-00:00", n: 46, unnamed: 2 },
      { partition_key: "2026-03-29-01:00", n: 50, unnamed: 2 },
    ]);
    const events = await runEvents(home, runIds[1]!);
    expect(events.filter((e) => e.stepKey === "staging/readings" && e.level !== "DEBUG").map((e) => `${e.level} ${e.message}`)).toEqual(
      expect.arrayContaining([
        "INFO dropped 4 readings without a value",
        `WARN devices not in the registry: ${UNREGISTERED_DEVICE}; their readings are staged without name, site or model`,
      ]),
    );
  });

  it("replaces an hour when it runs again, rather than adding to it", async () => {
    const again = await runCli(["job", "execute", "-j", "hourly_device_logs", "--partition", "2026-03-29-00:00"], { home, cwd: EXAMPLE, env: env() });
    expect(again.code, describeResult(again)).toBe(0);
    const [counts] = await duck<{ staged: number }>(`ATTACH '${warehouse()}' AS w (READ_ONLY); SELECT count(*)::INTEGER AS staged FROM w.staging.readings`);
    expect(counts).toEqual({ staged: 146 });
    // No day is complete yet: no Parquet.
    expect(existsSync(path.join(dataDir, "staging"))).toBe(false);
  });
});

describe("iot-ingestion: a day's Parquet, from the day's 24 staged hours (an hourly → daily mapping)", () => {
  const DAY = "2026-03-28";

  it("fails the day while some of its hours are not staged, naming them", async () => {
    const result = await runCli(["job", "execute", "-j", "daily_device_parquet", "--partition", DAY], { home, cwd: EXAMPLE, env: env() });
    expect(result.code).toBe(1);
    const failure = (await runEvents(home, lastLine(result.stdout))).find((e) => e.type === "STEP_FAILURE")!;
    expect(failure.error!.message).toBe(
      'Asset "staging/readings_parquet" needs input "hours" from 24 partitions of asset "staging/readings", and 23 of them have never been materialized: ' +
        '"2026-03-28-00:00", "2026-03-28-01:00", "2026-03-28-02:00", "2026-03-28-03:00", "2026-03-28-04:00", … (18 more). ' +
        "Materialize them first, or include them in the selection.",
    );
  });

  it("writes the day as Parquet by device once its hours are staged, reading back to the API's values", async () => {
    const hours = await runCli(["job", "execute", "-j", "hourly_device_logs", "--partition-range", `${DAY}-00:00...${DAY}-22:00`], {
      home,
      cwd: EXAMPLE,
      env: env(),
      timeoutMs: 240_000,
    });
    expect(hours.code, describeResult(hours)).toBe(0);
    const result = await runCli(["job", "execute", "-j", "daily_device_parquet", "--partition", DAY], { home, cwd: EXAMPLE, env: env() });
    expect(result.code, describeResult(result)).toBe(0);
    const run = await showRun(home, lastLine(result.stdout));
    expect([run.status, run.partition, run.jobName]).toEqual(["SUCCESS", DAY, "daily_device_parquet"]);
    const lines = (await runEvents(home, run.runId)).map((e) => e.message);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\d+ readings of ${DAY} from 24 hours in \\d+ Parquet files under `)));

    const byDevice = await duck<{ date: string; device: string; site: string | null; n: number; total: number }>(
      `SELECT date, device, any_value(site) AS site, count(*)::INTEGER AS n, round(sum(value), 1) AS total
       FROM read_parquet('${parquetGlob()}', hive_partitioning = true, hive_types_autocast = false)
       GROUP BY date, device ORDER BY date, device`,
    );
    // The same figures computed from the API's own records for the whole day, independently of the pipeline.
    const records = logsBetween(new Date(`${DAY}T00:00:00Z`), new Date("2026-03-29T00:00:00Z")).filter((r) => r.value !== null);
    const expected = new Map<string, { date: string; device: string; site: string | null; n: number; total: number }>();
    for (const r of records) {
      const row = expected.get(r.device_id) ?? { date: DAY, device: r.device_id, site: DEVICES.find((d) => d.id === r.device_id)?.site ?? null, n: 0, total: 0 };
      row.n += 1;
      row.total += r.value!;
      expected.set(r.device_id, row);
    }
    expect(byDevice).toEqual([...expected.values()].sort((a, b) => a.device.localeCompare(b.device)).map((r) => ({ ...r, total: Math.round(r.total * 10) / 10 })));
    expect(byDevice.map((r) => r.device)).toEqual(["dev-101", "dev-102", "dev-103", "dev-104", UNREGISTERED_DEVICE]);
    // Only the complete day: the 29th has two hours staged, and no Parquet.
    expect(existsSync(path.join(dataDir, "staging", "date=2026-03-29"))).toBe(false);
    // query.ts, the README's way to look at them, sees the same.
    expect((await queryStaged(path.join(dataDir, "staging"))).map((r) => `${r.date} ${r.device} ${r.readings}`)).toEqual(
      byDevice.map((r) => `${r.date} ${r.device} ${r.n}`),
    );
  }, 300_000);
});

describe("iot-ingestion: bad settings", () => {
  it("fails before running, naming the variable, when IOT_API_KEY is not set", async () => {
    const result = await runCli(["materialize", "--select", "devices/registry"], { home, cwd: EXAMPLE, env: env({ IOT_API_KEY: undefined }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Environment variable "IOT_API_KEY" is not set, but resources.api.config.apiKey reads it.');
  });

  it("fails the run on a wrong key, saying 401, without the key in any stored event", async () => {
    const wrongKey = "wrong-key-7d1e0b";
    const result = await runCli(["materialize", "--select", "devices/registry"], { home, cwd: EXAMPLE, env: env({ IOT_API_KEY: wrongKey }) });
    expect(result.code).toBe(1);
    const runId = lastLine(result.stdout);
    const events = await runEvents(home, runId);
    const failure = events.find((e) => e.type === "STEP_FAILURE")!;
    expect(failure.error!.message).toContain("401 Unauthorized");
    expect(JSON.stringify(events)).not.toContain(wrongKey);
    expect((await showRun(home, runId)).status).toBe("FAILURE");
  });

  it("says to load the registry first when staging runs on a fresh data directory", async () => {
    const fresh = tempDir();
    const result = await runCli(["job", "execute", "-j", "hourly_device_logs", "--partition", "2026-03-29-01:00"], {
      home,
      cwd: EXAMPLE,
      env: env({ IOT_DATA_DIR: fresh }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("materialize devices/registry first (sluice materialize --select devices/registry)");
    const runs = await listRuns(home, ["--limit", "1"]);
    expect(runs[0]!.status).toBe("FAILURE");
  });
});
