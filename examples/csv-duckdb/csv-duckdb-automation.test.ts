/**
 * The csv-duckdb example kept up to date by the daemon, as its README says: the `new_csv_files`
 * sensor observes the folder (`csv_files`) when a CSV file lands, and the automation loop imports
 * and rebuilds everything after it (their `eager()` conditions) in one run; nothing runs while
 * nothing changes; a file copied twice stops at SOURCE's blocking check, and is not retried. The
 * automation loop evaluates four times a second (sluice.yaml
 * `automation.evaluation_interval_seconds: 0.25`), so that evaluations fall between the steps of a
 * run, as they do with slower steps; the sensor looks every second
 * (CSV_DUCKDB_SENSOR_INTERVAL_SECONDS=1). The data directory is a temp copy (CSV_DUCKDB_DATA_DIR).
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTOMATION_INSTIGATOR } from "../../src/storage/automation-records.js";
import type { RunRecord } from "../../src/storage/records.js";
import { assertBuilt, removeTempDirs, REPO_ROOT, showRun, tempDir } from "../../test/cli/helpers.js";
import { Sandbox, waitFor, type DaemonProcess } from "../../test/daemon/helpers.js";

const EXAMPLE = path.join(REPO_ROOT, "examples", "csv-duckdb");
const DEFS = path.join(EXAMPLE, "definitions.ts");
/** The tag newRun() puts on the runs the automation loop requests (its evaluation id). */
const AUTOMATION_TAG = "sluice/automation_evaluation";
const SENSOR_TAG = "sluice/sensor_name";
/** The sensor that observes the source folder. */
const SENSOR = "new_csv_files";
/** Every step after the observation: the import, its checks, the tables and the exports. */
const CHAIN_STEPS = ["SOURCE", "SOURCE:unique_order_ids", "SOURCE:valid_lines", "SUMMARY", "TRANSFORMED", "TRANSFORMED:has_rows", "export_csv"];
const FINISHED = ["SUCCESS", "FAILURE", "CANCELED"];
const NEW_FILE = "order_id,order_date,region,product,quantity,unit_price\n1011,2026-03-01,west,widget,2,5.00\n1012,2026-03-02,north,gadget,1,6.00\n";

const sandbox = new Sandbox({ settings: "automation:\n  evaluation_interval_seconds: 0.25\n" });
const data = tempDir("sluice-csv-duckdb-auto-");
let daemon: DaemonProcess;

beforeAll(async () => {
  assertBuilt();
  cpSync(path.join(EXAMPLE, "data", "source"), path.join(data, "source"), { recursive: true });
  daemon = await sandbox.startDaemon({ CSV_DUCKDB_DATA_DIR: data, CSV_DUCKDB_SENSOR_INTERVAL_SECONDS: "1" }, { defs: DEFS });
});

afterAll(async () => {
  await sandbox.dispose();
  removeTempDirs();
});

/** Every run of the instance, oldest first. */
async function runs(): Promise<RunRecord[]> {
  return (await (await sandbox.storage()).listRuns()).reverse();
}

/** The id of the automation loop's latest tick (0 before the first). */
async function latestTickId(): Promise<number> {
  return (await (await sandbox.storage()).listTicks(AUTOMATION_INSTIGATOR, { limit: 1 }))[0]?.id ?? 0;
}

/**
 * Waits until the sensor has looked at the folder in an evaluation that began after `changedAt`
 * (so it has seen the change: its loop runs apart from the automation loop, and may lag behind it
 * on a busy machine), then until the daemon is idle: every run finished, and `ticks` more
 * evaluations of the automation loop (each after the runs finished) requested none. Returns every
 * run, oldest first.
 */
async function settle(changedAt: number, ticks = 4): Promise<RunRecord[]> {
  await waitFor(
    "the sensor to look at the folder after the change",
    async () => ((await (await sandbox.storage()).listTicks(SENSOR, { limit: 1 }))[0]?.tickTime ?? 0) > changedAt || undefined,
    60_000,
    200,
  );
  for (;;) {
    const before = await waitFor(
      "every run to finish",
      async () => {
        const all = await runs();
        return all.every((r) => FINISHED.includes(r.status)) ? all : undefined;
      },
      60_000,
      200,
    );
    const from = await latestTickId();
    await waitFor(`${ticks} automation ticks after tick ${from}`, async () => (await latestTickId()) >= from + ticks, 30_000, 200);
    const after = await runs();
    if (after.length === before.length) return after;
  }
}

/** The sorted step keys of a run. */
async function stepsOf(run: RunRecord): Promise<string[]> {
  return (await showRun(sandbox.home, run.runId)).steps!.map((s) => s.key).sort();
}

/** The rows of a CSV file the pipeline wrote, numbers as numbers. */
function readCsv(file: string): Record<string, string | number>[] {
  const [header, ...lines] = readFileSync(file, "utf8").trimEnd().split(/\r?\n/);
  const names = header!.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v])));
}

function describeRuns(list: RunRecord[]): string {
  return `runs: ${JSON.stringify(list.map((r) => ({ job: r.jobName, status: r.status, selection: r.selection, tags: r.tags })), null, 1)}\ndaemon log:\n${daemon.log()}`;
}

const isObservation = (r: RunRecord): boolean => r.tags[SENSOR_TAG] === "new_csv_files" && r.jobName === "observe_csv_files";
const isAutomation = (r: RunRecord): boolean => r.tags[AUTOMATION_TAG] !== undefined;

describe("csv-duckdb: the daemon keeps the exports up to date", () => {
  let seen = 0;

  it("on start: observes the folder and builds everything by automation", async () => {
    const all = await settle(0);
    expect(all.every((r) => r.status === "SUCCESS"), describeRuns(all)).toBe(true);
    // The sensor's first look, and automation runs only (the first evaluation may build what is
    // missing before the observation lands: then a second run follows it).
    expect(all.filter(isObservation)).toHaveLength(1);
    expect(all.filter((r) => !isObservation(r) && !isAutomation(r))).toEqual([]);
    // Together the automation runs built every asset. The chain may take several runs: when the
    // folder's first observation lands while the first run still exports, the assets it has done are
    // requested again without the exports (in progress), and the exports after them.
    const built = new Set<string>();
    for (const run of all.filter(isAutomation)) for (const step of await stepsOf(run)) built.add(step);
    expect([...built].sort()).toEqual(CHAIN_STEPS);
    expect(readCsv(path.join(data, "final", "summary.csv"))).toEqual([
      { region: "east", orders: 2, units: 3, revenue: 44 },
      { region: "north", orders: 4, units: 16, revenue: 74 },
      { region: "south", orders: 2, units: 5, revenue: 20 },
    ]);
    seen = all.length;
  });

  it("a new CSV file: one observation, then one automation run that imports it and rebuilds every asset after it", async () => {
    const changedAt = Date.now();
    writeFileSync(path.join(data, "source", "orders_2026-03.csv"), NEW_FILE);
    const fresh = (await settle(changedAt)).slice(seen);
    expect(fresh.map((r) => [isObservation(r), isAutomation(r), r.status]), describeRuns(fresh)).toEqual([
      [true, false, "SUCCESS"],
      [false, true, "SUCCESS"],
    ]);
    expect(await stepsOf(fresh[1]!)).toEqual(CHAIN_STEPS);
    // By hand: the new file adds west 2×5.00 and north 1×6.00.
    expect(readCsv(path.join(data, "final", "summary.csv"))).toEqual([
      { region: "east", orders: 2, units: 3, revenue: 44 },
      { region: "north", orders: 5, units: 17, revenue: 80 },
      { region: "south", orders: 2, units: 5, revenue: 20 },
      { region: "west", orders: 1, units: 2, revenue: 10 },
    ]);
    seen += fresh.length;
  });

  it("requests nothing while nothing changes, over several evaluations", async () => {
    const from = await latestTickId();
    await waitFor("five more automation ticks", async () => (await latestTickId()) >= from + 5, 30_000, 200);
    const all = await runs();
    expect(all.length, describeRuns(all.slice(seen))).toBe(seen);
  });

  it("a file copied twice: its run stops at SOURCE's blocking check, keeps the exports, and is not retried", async () => {
    const summary = readFileSync(path.join(data, "final", "summary.csv"), "utf8");
    const changedAt = Date.now();
    cpSync(path.join(data, "source", "orders_2026-03.csv"), path.join(data, "source", "orders_2026-03 (copy).csv"));
    const fresh = (await settle(changedAt, 5)).slice(seen);
    expect(fresh.map((r) => [isObservation(r), isAutomation(r), r.status]), describeRuns(fresh)).toEqual([
      [true, false, "SUCCESS"],
      [false, true, "FAILURE"],
    ]);
    const statusOf = Object.fromEntries((await showRun(sandbox.home, fresh[1]!.runId)).steps!.map((s) => [s.key, s.status]));
    expect(statusOf).toMatchObject({ SOURCE: "SUCCESS", "SOURCE:unique_order_ids": "FAILURE", TRANSFORMED: "SKIPPED", SUMMARY: "SKIPPED" });
    expect(readFileSync(path.join(data, "final", "summary.csv"), "utf8")).toBe(summary);
    seen += fresh.length;
  });
});
