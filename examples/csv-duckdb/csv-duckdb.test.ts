/**
 * The csv-duckdb example run as its README says: `sluice materialize`, the classic script, and
 * both projects (main and sample/) started in the background side by side, then stopped. Each
 * project's data directory is a temp copy (CSV_DUCKDB_DATA_DIR), so the repository stays clean.
 */
import { execFile } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  describeResult,
  lastLine,
  listRuns,
  removeTempDirs,
  REPO_ROOT,
  type RunJson,
  runCli,
  runEvents,
  showRun,
  tempDir,
} from "../../test/cli/helpers.js";
import { waitFor } from "../../test/daemon/helpers.js";

const EXAMPLE = path.join(REPO_ROOT, "examples", "csv-duckdb");
const FINISHED = ["SUCCESS", "FAILURE", "CANCELED"];

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** A fresh copy of a project's source CSV files; returns the data directory. */
function dataCopy(from: string): string {
  const dir = tempDir("sluice-csv-duckdb-");
  cpSync(path.join(from, "source"), path.join(dir, "source"), { recursive: true });
  return dir;
}

/** The rows of a CSV file the pipeline wrote, numbers as numbers. */
function readCsv(file: string): Record<string, string | number>[] {
  const [header, ...lines] = readFileSync(file, "utf8").trimEnd().split(/\r?\n/);
  const names = header!.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v])));
}

// From data/source by hand: 1004 (no quantity) and 1008 (quantity -1) are dropped.
// east:  1006 1×25.00 + 1009 2×9.50                                   = 2 orders, 3 units, 44.00
// north: 1001 3×2.50 + 1003 2×10.00 + 1007 10×2.25 + 1010 1×24.00    = 4 orders, 16 units, 74.00
// south: 1002 1×10.00 + 1005 4×2.50                                  = 2 orders, 5 units, 20.00
const EXPECTED_SUMMARY = [
  { region: "east", orders: 2, units: 3, revenue: 44 },
  { region: "north", orders: 4, units: 16, revenue: 74 },
  { region: "south", orders: 2, units: 5, revenue: 20 },
];

describe("csv-duckdb: sluice materialize", () => {
  const home = tempDir();
  const data = dataCopy(path.join(EXAMPLE, "data"));
  const env = { CSV_DUCKDB_DATA_DIR: data };
  let runId: string;

  beforeAll(async () => {
    const result = await runCli(["materialize", "-f", "definitions.ts"], { home, cwd: EXAMPLE, env });
    expect(result.code, describeResult(result)).toBe(0);
    runId = lastLine(result.stdout);
  });

  it("materializes the three tables and the two exports, and runs their checks", async () => {
    const run = await showRun(home, runId);
    expect(run.status).toBe("SUCCESS");
    // The two exports are one multi-asset: one step, "export_csv"; checks are steps of their own;
    // csv_files (the folder) is observed beside them.
    expect(run.steps!.map((s) => s.key).sort()).toEqual([
      "SOURCE",
      "SOURCE:unique_order_ids",
      "SOURCE:valid_lines",
      "SUMMARY",
      "TRANSFORMED",
      "TRANSFORMED:has_rows",
      "csv_files",
      "export_csv",
    ]);
  });

  it("exports the summary computed by hand", () => {
    expect(readCsv(path.join(data, "final", "summary.csv"))).toEqual(EXPECTED_SUMMARY);
  });

  it("exports the eight valid order lines with their revenue", () => {
    const lines = readCsv(path.join(data, "final", "transformed.csv"));
    expect(lines.map((l) => l.order_id)).toEqual([1001, 1002, 1003, 1005, 1006, 1007, 1009, 1010]);
    expect(lines.find((l) => l.order_id === 1007)).toMatchObject({ month: "2026-02", region: "north", quantity: 10, unit_price: 2.25, revenue: 22.5 });
  });

  it("keeps SOURCE, TRANSFORMED and SUMMARY as DuckDB tables", async () => {
    const instance = await DuckDBInstance.create(path.join(data, "warehouse.duckdb"));
    try {
      const connection = await instance.connect();
      const counts = await connection.runAndReadAll(
        `SELECT (SELECT count(*) FROM "SOURCE")::INT AS source, (SELECT count(*) FROM "TRANSFORMED")::INT AS transformed,
                (SELECT sum(revenue) FROM "SUMMARY") AS revenue`,
      );
      expect(counts.getRowObjectsJson()).toEqual([{ source: 10, transformed: 8, revenue: 138 }]);
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
  });

  it("logs the two dropped lines and records row counts", async () => {
    const events = await runEvents(home, runId);
    const warnings = events.filter((e) => e.level === "WARN").map((e) => e.message);
    expect(warnings).toEqual([
      'order 1004 of orders_2026-01.csv will be dropped: quantity=null unit_price="2.50" order_date="2026-01-07"',
      'order 1008 of orders_2026-02.csv will be dropped: quantity="-1" unit_price="25.00" order_date="2026-02-03"',
      'Check "SOURCE:valid_lines" failed (WARN): 2 of 10 lines are invalid: orders 1004, 1008',
    ]);
    const rowCounts = Object.fromEntries(
      events.filter((e) => e.type === "ASSET_MATERIALIZATION").map((e) => [e.assetKey, e.metadata?.["sluice/row_count"]?.value]),
    );
    expect(rowCounts).toEqual({ SOURCE: 10, TRANSFORMED: 8, SUMMARY: 3, "exports/summary_csv": 3, "exports/transformed_csv": 8 });
  });

  it("evaluates the checks: a warning for the two invalid lines, unique ids and rows passed", async () => {
    const evaluations = (await runEvents(home, runId)).filter((e) => e.type === "ASSET_CHECK_EVALUATION");
    const byKey = Object.fromEntries(evaluations.map((e) => [e.stepKey, e]));
    expect(Object.keys(byKey).sort()).toEqual(["SOURCE:unique_order_ids", "SOURCE:valid_lines", "TRANSFORMED:has_rows"]);
    expect(byKey["SOURCE:valid_lines"]).toMatchObject({
      assetKey: "SOURCE",
      status: "FAILED",
      passed: false,
      severity: "WARN",
      description: "2 of 10 lines are invalid: orders 1004, 1008",
    });
    expect(byKey["SOURCE:valid_lines"]!.metadata?.["invalid"]).toEqual({ type: "int", value: 2 });
    expect(byKey["SOURCE:unique_order_ids"]).toMatchObject({ status: "PASSED", passed: true, description: "10 distinct order ids" });
    expect(byKey["TRANSFORMED:has_rows"]).toMatchObject({ status: "PASSED", passed: true, description: "8 order lines" });
  });
});

describe("csv-duckdb: a file imported twice", () => {
  it("fails the blocking unique_order_ids check and skips everything downstream of SOURCE", async () => {
    const home = tempDir();
    const data = dataCopy(path.join(EXAMPLE, "data"));
    cpSync(path.join(data, "source", "orders_2026-02.csv"), path.join(data, "source", "orders_2026-02 (copy).csv"));
    const result = await runCli(["materialize", "-f", "definitions.ts"], { home, cwd: EXAMPLE, env: { CSV_DUCKDB_DATA_DIR: data } });
    expect(result.code, describeResult(result)).toBe(1);
    const run = await showRun(home, lastLine(result.stdout));
    expect(run.status).toBe("FAILURE");
    const statusOf = Object.fromEntries(run.steps!.map((s) => [s.key, s.status]));
    expect(statusOf).toMatchObject({ SOURCE: "SUCCESS", "SOURCE:unique_order_ids": "FAILURE", TRANSFORMED: "SKIPPED", SUMMARY: "SKIPPED" });
    const failed = (await runEvents(home, run.runId)).find((e) => e.type === "ASSET_CHECK_EVALUATION" && e.stepKey === "SOURCE:unique_order_ids");
    expect(failed).toMatchObject({ passed: false, severity: "ERROR" });
    expect(failed!.description).toContain("5 duplicate order ids: 1006 (in orders_2026-02 (copy).csv, orders_2026-02.csv)");
  });
});

describe("csv-duckdb: two runs at once on one DuckDB file", () => {
  it("both succeed: each waits for the other's lock between steps", async () => {
    const data = dataCopy(path.join(EXAMPLE, "data"));
    const env = { CSV_DUCKDB_DATA_DIR: data };
    const [a, b] = await Promise.all([
      runCli(["materialize", "-f", "definitions.ts"], { home: tempDir(), cwd: EXAMPLE, env }),
      runCli(["materialize", "-f", "definitions.ts"], { home: tempDir(), cwd: EXAMPLE, env }),
    ]);
    expect(a.code, describeResult(a)).toBe(0);
    expect(b.code, describeResult(b)).toBe(0);
    expect(readCsv(path.join(data, "final", "summary.csv"))).toEqual(EXPECTED_SUMMARY);
  });
});

describe("csv-duckdb: classic mode (a plain script calling materialize())", () => {
  it("writes the same summary and records its run in the instance", async () => {
    const home = tempDir();
    const data = dataCopy(path.join(EXAMPLE, "data"));
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "classic.ts"],
        { cwd: EXAMPLE, env: { ...process.env, SLUICE_HOME: home, CSV_DUCKDB_DATA_DIR: data }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
      );
    });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^run [\w-]+: 5 assets materialized, 1 observed, 3 checks run/);
    expect(readCsv(path.join(data, "final", "summary.csv"))).toEqual(EXPECTED_SUMMARY);
    const runs = await listRuns(home);
    expect(runs.map((r) => r.status)).toEqual(["SUCCESS"]);
    expect(out.stdout).toContain(runs[0]!.runId);
  });
});

/** The id of the automation loop's latest evaluation, from a server's API (0 before the first). */
async function evaluationId(url: string): Promise<number> {
  const body = (await (await fetch(`${url}/api/automation`)).json()) as { cursor: { evaluationId: number } | null };
  return body.cursor?.evaluationId ?? 0;
}

/**
 * Waits until a project is idle: every run finished, and three more evaluations of its automation
 * loop requested nothing. Returns its runs, newest first.
 */
async function settled(url: string, home: string): Promise<RunJson[]> {
  for (;;) {
    const before = await waitFor("every run to finish", async () => {
      const all = await listRuns(home);
      return all.length > 0 && all.every((r) => FINISHED.includes(r.status)) ? all : undefined;
    }, 60_000, 500);
    const from = await evaluationId(url);
    await waitFor(`three evaluations after evaluation ${from}`, async () => (await evaluationId(url)) >= from + 3, 30_000, 200);
    const after = await listRuns(home);
    if (after.length === before.length && after.every((r) => FINISHED.includes(r.status))) return after;
  }
}

describe("csv-duckdb: main and sample projects served side by side", () => {
  const mainHome = tempDir();
  const sampleHome = tempDir();
  const mainData = dataCopy(path.join(EXAMPLE, "data"));
  const sampleData = dataCopy(path.join(EXAMPLE, "sample", "data"));
  const env = { CSV_DUCKDB_DATA_DIR: mainData, CSV_DUCKDB_SAMPLE_DATA_DIR: sampleData };
  const urls: Record<string, string> = {};

  afterAll(async () => {
    // Whatever happened, leave no server behind.
    await runCli(["stop", "--home", mainHome], { cwd: EXAMPLE });
    await runCli(["stop", "--home", sampleHome], { cwd: EXAMPLE });
  });

  it("starts both in the background (the README's commands, on free ports)", async () => {
    // The automation loop evaluates every second here (default: 30 s).
    for (const home of [mainHome, sampleHome]) writeFileSync(path.join(home, "sluice.yaml"), "automation:\n  evaluation_interval_seconds: 1\n");
    const main = await runCli(["start", "-f", "definitions.ts", "--home", mainHome, "--port", "0"], { cwd: EXAMPLE, env });
    expect(main.code, describeResult(main)).toBe(0);
    const sample = await runCli(["start", "-f", "sample/definitions.ts", "--home", sampleHome, "--port", "0"], { cwd: EXAMPLE, env });
    expect(sample.code, describeResult(sample)).toBe(0);
    urls.main = lastLine(main.stdout);
    urls.sample = lastLine(sample.stdout);
    expect(urls.main).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urls.sample).not.toBe(urls.main);
  });

  it("both answer, each with its own instance, the pipeline, its sensor and automation on", async () => {
    for (const [name, home] of [["main", mainHome], ["sample", sampleHome]] as const) {
      const health = (await (await fetch(`${urls[name]}/api/health`)).json()) as { ok: boolean; home: string; definitions: { loaded: boolean } };
      expect(health).toMatchObject({ ok: true, home, definitions: { loaded: true } });
      const sensors = (await (await fetch(`${urls[name]}/api/sensors`)).json()) as { sensors: { name: string; status: string }[] };
      expect(sensors.sensors).toEqual([expect.objectContaining({ name: "new_csv_files", status: "RUNNING" })]);
      const automation = (await (await fetch(`${urls[name]}/api/automation`)).json()) as { status: string };
      expect(automation).toMatchObject({ status: "RUNNING" });
    }
  });

  it("runs the sample's pipeline on its own data when asked through its server", async () => {
    const created = await fetch(`${urls.sample}/api/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ job: "refresh" }),
    });
    expect(created.status).toBe(201);
    const { run } = (await created.json()) as { run: { runId: string } };
    let status = "QUEUED";
    for (let i = 0; i < 120 && !["SUCCESS", "FAILURE", "CANCELED"].includes(status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = ((await (await fetch(`${urls.sample}/api/runs/${run.runId}`)).json()) as { run: { status: string } }).run.status;
    }
    expect(status).toBe("SUCCESS");
    // sample/data by hand: east 5×3.00 = 15.00; west 2×3.00 + 1×12.50 = 18.50.
    expect(readCsv(path.join(sampleData, "final", "summary.csv"))).toEqual([
      { region: "east", orders: 1, units: 5, revenue: 15 },
      { region: "west", orders: 2, units: 3, revenue: 18.5 },
    ]);
    // The main project's instance saw none of it.
    expect((await listRuns(mainHome)).filter((r) => r.runId === run.runId)).toEqual([]);
  });

  it("built the main project on start: the sensor observed its folder, automation did the rest", async () => {
    const runs = (await settled(urls.main!, mainHome)).reverse();
    expect(runs.every((r) => r.status === "SUCCESS")).toBe(true);
    expect(runs.filter((r) => r.tags["sluice/sensor_name"] === "new_csv_files").map((r) => r.jobName)).toEqual(["observe_csv_files"]);
    // Every other run is automation's: the first evaluation builds what is missing (and, when the
    // observation lands after that run's import, one more run follows it).
    const others = runs.filter((r) => r.tags["sluice/sensor_name"] === undefined);
    expect(others.length).toBeGreaterThanOrEqual(1);
    expect(others.every((r) => r.tags["sluice/automation_evaluation"] !== undefined)).toBe(true);
    expect(readCsv(path.join(mainData, "final", "summary.csv"))).toEqual(EXPECTED_SUMMARY);
  });

  it("stops both, once no run is in flight (a stopped daemon leaves its runs to their workers)", async () => {
    await settled(urls.sample!, sampleHome);
    for (const home of [mainHome, sampleHome]) {
      const stop = await runCli(["stop", "--home", home], { cwd: EXAMPLE });
      expect(stop.code, describeResult(stop)).toBe(0);
      expect(stop.stderr).toMatch(/Stopped Sluice \(pid \d+\)/);
      const status = await runCli(["status", "--home", home], { cwd: EXAMPLE });
      expect(status.code).toBe(1);
    }
    await expect(fetch(`${urls.main}/api/health`)).rejects.toThrow();
  });
});

