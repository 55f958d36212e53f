/**
 * The iot-ingestion example's hourly ingestion run by the daemon's automation loop, as its README
 * says: the hourly assets' `onCron` conditions (the example's own cron, evaluated every second:
 * sluice.yaml `automation.evaluation_interval_seconds: 1`) request the latest hour once per tick,
 * the logs and their staging in one run, staging after the logs, and nothing more until the next
 * tick. Instead of waiting for a tick, the test stores the loop's cursor as if its previous
 * evaluation had been 61 minutes ago (a tick has passed since), as a daemon that was down for an
 * hour finds it. The demo device API is served locally; DuckDB and the raw files go to a temp
 * data directory.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CronSchedule } from "../../src/definitions/cron/cron-schedule.js";
import { AUTOMATION_INSTIGATOR } from "../../src/storage/automation-records.js";
import type { RunRecord, TickRecord } from "../../src/storage/records.js";
import { assertBuilt, removeTempDirs, REPO_ROOT, showRun, tempDir } from "../../test/cli/helpers.js";
import { Sandbox, waitFor, type DaemonProcess } from "../../test/daemon/helpers.js";
import { DEMO_ACCOUNT, DEMO_API_KEY, startDeviceCloud, type DeviceCloud } from "./demo/device-cloud.js";

const EXAMPLE = path.join(REPO_ROOT, "examples", "iot-ingestion");
const DEFS = path.join(EXAMPLE, "definitions.ts");
/** The example's default ingestion cron (IOT_INGEST_CRON unset). */
const CRON = "5 * * * *";
/** The tag newRun() puts on the runs the automation loop requests (its evaluation id). */
const AUTOMATION_TAG = "sluice/automation_evaluation";
const HOUR_MS = 3_600_000;

const sandbox = new Sandbox({ settings: "automation:\n  evaluation_interval_seconds: 1\n" });
const dataDir = tempDir("sluice-iot-auto-");
let api: DeviceCloud;
let daemon: DaemonProcess;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  api = await startDeviceCloud();
  env = { IOT_API_URL: api.url, IOT_ACCOUNT: DEMO_ACCOUNT, IOT_API_KEY: DEMO_API_KEY, IOT_DATA_DIR: dataDir };
  // Staging joins the registry, which its own daily schedule refreshes: loaded once, by hand, first.
  await sandbox.cliOk(["materialize", "-f", DEFS, "--select", "devices/registry"], { env });
  const storage = await sandbox.storage();
  await storage.recordAutomationTick({
    previousEvaluationId: 0,
    cursor: { evaluationId: 1, evaluatedAt: Date.now() - 61 * 60_000, lastEventId: await storage.getLatestEventId() },
    assetStates: [],
    deleteAssetStates: [],
    evaluations: [],
    launches: [],
  });
  daemon = await sandbox.startDaemon(env, { defs: DEFS });
});

afterAll(async () => {
  await sandbox.dispose();
  await api?.close();
  removeTempDirs();
});

/** The runs the automation loop requested, oldest first. */
async function automationRuns(): Promise<RunRecord[]> {
  return (await (await sandbox.storage()).listRuns()).filter((r) => r.tags[AUTOMATION_TAG] !== undefined).reverse();
}

/** The automation loop's ticks, oldest first. */
async function ticks(): Promise<TickRecord[]> {
  return (await (await sandbox.storage()).listTicks(AUTOMATION_INSTIGATOR, { limit: 1000 })).sort((a, b) => a.id - b.id);
}

/** The hourly partition key of the hour that ended before `time` (epoch ms): the latest window. */
function latestHour(time: number): string {
  const iso = new Date(Math.floor(time / HOUR_MS) * HOUR_MS - HOUR_MS).toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}:00`;
}

/** True when one of `all` requested run `runId`. */
function requestingTickFound(runId: string, all: TickRecord[]): boolean {
  return all.some((t) => t.runIds.includes(runId));
}

/** Waits until the `n`th automation run (1-based) has finished; returns it. */
function waitForAutomationRun(n: number, timeoutMs: number): Promise<RunRecord> {
  return waitFor(
    `automation run #${n} to finish`,
    async () => {
      const run = (await automationRuns())[n - 1];
      return run && ["SUCCESS", "FAILURE", "CANCELED"].includes(run.status) ? run : undefined;
    },
    timeoutMs,
    250,
  );
}

describe("iot-ingestion: the latest hour, ingested on each cron tick by automation", () => {
  let first: RunRecord;

  it("after a tick, one automation run materializes the latest hour: the logs, then their staging", async () => {
    // A tick passed since the stored evaluation: the daemon's first one requests the latest hour.
    first = await waitForAutomationRun(1, 90_000);
    expect(first.status, daemon.log()).toBe("SUCCESS");
    expect(first.partition).toBe(latestHour(first.createdAt));
    expect([...first.selection].sort()).toEqual(["raw/device_logs", "staging/readings"]);
    const steps = Object.fromEntries((await showRun(sandbox.home, first.runId)).steps!.map((s) => [s.key, s]));
    expect(steps["raw/device_logs"]!.status).toBe("SUCCESS");
    expect(steps["staging/readings"]!.status).toBe("SUCCESS");
    // Staging waited for the logs.
    expect(Date.parse(steps["staging/readings"]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(steps["raw/device_logs"]!.endedAt!));
    const [date, hour] = [first.partition!.slice(0, 10), first.partition!.slice(11, 13)];
    expect(existsSync(path.join(dataDir, "raw", date, `${hour}00.json`))).toBe(true);
  }, 120_000);

  it("requests nothing more until the next tick", async () => {
    const nextTick = CronSchedule.parse(CRON, "UTC").nextAfter(new Date(first.createdAt)).getTime();
    // The evaluations after the one that requested the run, before the next tick: none requests anything.
    const between = await waitFor("three evaluations after the run's", async () => {
      const all = await ticks();
      const requesting = all.findIndex((t) => t.runIds.includes(first.runId));
      const after = all.slice(requesting + 1);
      // Enough of them, or the next tick came first (then all of those before it are checked).
      return after.length >= 3 || after.some((t) => t.tickTime >= nextTick) ? after.filter((t) => t.tickTime < nextTick) : undefined;
    });
    expect(requestingTickFound(first.runId, await ticks())).toBe(true);
    expect(between.length, "the run took until the next tick: nothing to check").toBeGreaterThan(0);
    expect(between.flatMap((t) => t.runIds)).toEqual([]);
    expect((await automationRuns()).filter((r) => r.createdAt < nextTick).map((r) => r.runId)).toEqual([first.runId]);
  });
});
