/**
 * `sluice job list|execute|launch`, `sluice run reexecute|cancel`, `sluice schedule
 * list|start|stop|preview` and `sluice sensor list|start|stop|preview` end to end, against the op
 * job, schedules and sensor of test/fixtures/cli/ops-defs.ts.
 *
 * Every test that writes to an instance has a home of its own, so the tests of each group run
 * concurrently; read-only checks share one home.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  cliJson,
  describeResult,
  fixture,
  lastLine,
  listRuns,
  removeTempDirs,
  RUN_ID,
  runCli,
  runEvents,
  showRun,
  tempDir,
  type CliResult,
} from "./helpers.js";
import { Instance } from "../../src/instance/instance.js";
import { TickStatus } from "../../src/storage/records.js";
import type { Storage } from "../../src/storage/storage.js";

const OPS = fixture("ops-defs.ts");
const ETL_STEPS = ["extract", "transform", "load"];
/** A UTC tick as `schedule list` and `schedule preview` print it. */
const TICK = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** Home of the read-only checks: nothing run, started or stopped there. */
const readHome = tempDir("sluice-read-");

interface JobJson {
  name: string;
  type: string;
  description: string | null;
  steps: string[];
  tags: Record<string, string>;
}

interface ScheduleJson {
  name: string;
  cron: string;
  timezone: string;
  job: string | null;
  selection: string | null;
  status: string;
  nextTick: string;
  description: string | null;
}

interface SensorJson {
  name: string;
  type: string;
  job: string | null;
  selection: string | null;
  status: string;
  minimumIntervalSeconds: number;
  cursor: string | null;
  description: string | null;
}

interface SensorPreviewJson {
  status: string;
  requests: {
    runKey: string | null;
    job: string | null;
    selection: string | null;
    assets: string[] | null;
    partition: string | null;
    config: Record<string, unknown>;
    tags: Record<string, string>;
  }[];
  dynamicPartitionsRequests: { partitionsName: string; add?: string[]; remove?: string[] }[];
  cursor: string | null;
  skipReason: string | null;
  error: unknown;
}

function expectExit(result: CliResult, code: number): void {
  expect(result.code, describeResult(result)).toBe(code);
}

/** A directory for the fixture's flag and call log (FIXTURE_DIR), with the options passing it. */
function fixtureDir(home: string): { dir: string; opts: { home: string; env: Record<string, string> } } {
  const dir = tempDir("sluice-fixture-");
  return { dir, opts: { home, env: { FIXTURE_DIR: dir } } };
}

/** The ops that ran, in order, from the fixture's call log. */
function calls(dir: string): string[] {
  const file = path.join(dir, "calls.log");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

function extractConfig(config: Record<string, unknown>): string {
  return JSON.stringify({ ops: { extract: { config } } });
}

/** Opens the instance in this process (between CLI calls) to look at what the CLI cannot show. */
async function withStorage<T>(home: string, fn: (storage: Storage) => Promise<T>): Promise<T> {
  const instance = await Instance.open({ home });
  try {
    return await fn(instance.storage);
  } finally {
    await instance.close();
  }
}

function scheduleList(home: string): Promise<ScheduleJson[]> {
  return cliJson<ScheduleJson[]>(["schedule", "list", "-f", OPS, "--json"], { home });
}

function sensorList(home: string): Promise<SensorJson[]> {
  return cliJson<SensorJson[]>(["sensor", "list", "-f", OPS, "--json"], { home });
}

function byName<T extends { name: string }>(rows: T[], name: string): T {
  const found = rows.find((r) => r.name === name);
  expect(found, `${name} in ${JSON.stringify(rows)}`).toBeDefined();
  return found!;
}

describe.concurrent("sluice job list", () => {
  it("--json prints [{name, type, description, steps, tags}] with an op job's steps in dependency order", async () => {
    const result = await runCli(["job", "list", "-f", OPS, "--json"], { home: readHome });
    expectExit(result, 0);
    const jobs = JSON.parse(result.stdout) as JobJson[];
    for (const job of jobs) expect(Object.keys(job).sort()).toEqual(["description", "name", "steps", "tags", "type"]);
    expect(byName(jobs, "etl_job")).toEqual({
      name: "etl_job",
      type: "op",
      description: "Extract, transform, load.",
      steps: ETL_STEPS,
      tags: { team: "data" },
    });
    expect(byName(jobs, "numbers_job")).toEqual({ name: "numbers_job", type: "asset", description: null, steps: ["numbers", "numbers/total"], tags: {} });
  });

  it("without --json prints a table naming each job", async () => {
    const result = await runCli(["job", "list", "-f", OPS], { home: readHome });
    expectExit(result, 0);
    expect(result.stdout).toMatch(/etl_job\s+op\s+3\s+Extract, transform, load\./);
    expect(result.stdout).toMatch(/numbers_job\s+asset\s+2/);
  });
});

describe.concurrent("sluice job execute", () => {
  it("exits 0, prints the run id last; run show has the job, its steps in order, config and tags", async () => {
    const home = tempDir();
    const { dir, opts } = fixtureDir(home);
    const result = await runCli(
      ["job", "execute", "-f", OPS, "-j", "etl_job", "-c", extractConfig({ rows: 3, label: "nightly" }), "--tags", '{"origin": "test"}'],
      opts,
    );
    expectExit(result, 0);
    const runId = lastLine(result.stdout);
    expect(runId).toMatch(RUN_ID);

    const run = await showRun(home, runId);
    expect(run).toMatchObject({ runId, status: "SUCCESS", jobName: "etl_job", parentRunId: null, tags: { team: "data", origin: "test" } });
    expect(run.steps!.map((s) => s.key)).toEqual(ETL_STEPS);
    expect(run.steps!.map((s) => s.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(calls(dir)).toEqual(ETL_STEPS);

    const messages = (await runEvents(home, runId)).filter((e) => e.type === "LOG").map((e) => e.message);
    expect(messages).toContain("extracting 3 rows labelled nightly");
    expect(messages).toContain("loaded 3 rows, total 60");
  });

  it("exits 2 naming ops.<op>.config.<field> when op config fails its schema, and creates no run", async () => {
    const home = tempDir();
    const { dir, opts } = fixtureDir(home);
    for (const [config, expectation] of [
      [{ rows: -1 }, /ops\.extract\.config\.rows/],
      [{ rows: "many" }, /ops\.extract\.config\.rows/],
      [{ rows: 2, label: 7 }, /ops\.extract\.config\.label/],
    ] as const) {
      const result = await runCli(["job", "execute", "-f", OPS, "-j", "etl_job", "-c", extractConfig(config)], opts);
      expectExit(result, 2);
      expect(result.stderr).toMatch(expectation);
      expect(result.stderr).toContain('op "extract"');
      expect(result.stdout).toBe("");
    }
    expect(await listRuns(home)).toEqual([]);
    expect(calls(dir)).toEqual([]);
  });

  it("exits 2 for an unknown job (naming it and the known ones) and for a missing -j", async () => {
    const home = tempDir();
    const unknown = await runCli(["job", "execute", "-f", OPS, "-j", "no_such_job"], { home });
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain('"no_such_job"');
    expect(unknown.stderr).toContain("etl_job");

    const missing = await runCli(["job", "execute", "-f", OPS], { home });
    expectExit(missing, 2);
    expect(missing.stderr).toContain("-j");
    expect(await listRuns(home)).toEqual([]);
  });
});

describe.concurrent("sluice job launch and run cancel", () => {
  it("job launch prints a run id whose status is QUEUED (no daemon); run cancel makes it CANCELED, a second cancel exits 2", async () => {
    const home = tempDir();
    const { dir, opts } = fixtureDir(home);
    const launched = await runCli(["job", "launch", "-f", OPS, "-j", "etl_job", "-c", extractConfig({ rows: 5 })], opts);
    expectExit(launched, 0);
    expect(launched.stdout.trim().split("\n")).toHaveLength(1);
    const runId = lastLine(launched.stdout);
    expect(runId).toMatch(RUN_ID);
    const queued = await showRun(home, runId);
    expect(queued).toMatchObject({ runId, status: "QUEUED", jobName: "etl_job", startedAt: null });
    expect(queued.selection).toEqual(ETL_STEPS);
    expect(calls(dir)).toEqual([]);

    const cancel = await runCli(["run", "cancel", runId], { home });
    expectExit(cancel, 0);
    expect((await showRun(home, runId)).status).toBe("CANCELED");
    expect((await runEvents(home, runId)).map((e) => e.type)).toContain("RUN_CANCELED");

    const again = await runCli(["run", "cancel", runId], { home });
    expectExit(again, 2);
    expect(again.stderr).toContain(runId);
    expect((await showRun(home, runId)).status).toBe("CANCELED");
    expect(calls(dir)).toEqual([]);
  });

  it("job launch of an unknown job, or with config failing its schema, exits 2 and queues nothing", async () => {
    const home = tempDir();
    const unknown = await runCli(["job", "launch", "-f", OPS, "-j", "no_such_job"], { home });
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain('"no_such_job"');
    const badConfig = await runCli(["job", "launch", "-f", OPS, "-j", "etl_job", "-c", extractConfig({ rows: 0 })], { home });
    expectExit(badConfig, 2);
    expect(badConfig.stderr).toContain("ops.extract.config.rows");
    expect(await listRuns(home)).toEqual([]);
  });

  it("run cancel of a finished run exits 2 naming its status; of an unknown run id exits 2 naming it", async () => {
    const home = tempDir();
    const { opts } = fixtureDir(home);
    const executed = await runCli(["job", "execute", "-f", OPS, "-j", "etl_job"], opts);
    expectExit(executed, 0);
    const runId = lastLine(executed.stdout);

    const finished = await runCli(["run", "cancel", runId], { home });
    expectExit(finished, 2);
    expect(finished.stderr).toContain(runId);
    expect(finished.stderr).toContain("SUCCESS");
    expect((await showRun(home, runId)).status).toBe("SUCCESS");

    const unknown = await runCli(["run", "cancel", "no-such-run"], { home });
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain("no-such-run");
  });
});

describe.concurrent("sluice run reexecute", () => {
  it("a failing op exits 1 and skips its downstream op; --from-failure after the fix runs only the failed and skipped steps", async () => {
    const home = tempDir();
    const { dir, opts } = fixtureDir(home);
    const flag = path.join(dir, "fail");
    writeFileSync(flag, "");

    const failed = await runCli(["job", "execute", "-f", OPS, "-j", "etl_job", "-c", extractConfig({ rows: 4 })], opts);
    expectExit(failed, 1);
    const parentId = lastLine(failed.stdout);
    expect(parentId).toMatch(RUN_ID);
    expect(failed.stderr).toContain("transform fails");
    const parent = await showRun(home, parentId);
    expect(parent.status).toBe("FAILURE");
    expect(parent.steps!.map((s) => [s.key, s.status])).toEqual([
      ["extract", "SUCCESS"],
      ["transform", "FAILURE"],
      ["load", "SKIPPED"],
    ]);
    expect(calls(dir)).toEqual(["extract", "transform"]);

    // Fix the cause, forget the calls so far, and re-execute from the failure.
    rmSync(flag);
    rmSync(path.join(dir, "calls.log"));
    const again = await runCli(["run", "reexecute", parentId, "--from-failure", "-f", OPS], opts);
    expectExit(again, 0);
    const childId = lastLine(again.stdout);
    expect(childId).toMatch(RUN_ID);
    expect(childId).not.toBe(parentId);

    const child = await showRun(home, childId);
    expect(child).toMatchObject({ runId: childId, status: "SUCCESS", jobName: "etl_job", parentRunId: parentId });
    expect(child.selection).toEqual(["transform", "load"]);
    expect(child.tags).toMatchObject({ team: "data" });
    expect(child.steps!.map((s) => [s.key, s.status])).toEqual([
      ["transform", "SUCCESS"],
      ["load", "SUCCESS"],
    ]);
    // extract did not run again: transform got its output (4 rows) from the parent run.
    expect(calls(dir)).toEqual(["transform", "load"]);
    const messages = (await runEvents(home, childId)).filter((e) => e.type === "LOG").map((e) => e.message);
    expect(messages).toContain("loaded 4 rows, total 100");
    // The parent is left as it was.
    expect((await showRun(home, parentId)).status).toBe("FAILURE");
  });

  it("--from-failure of a SUCCESS run exits 2 saying nothing failed, and of an unknown run id exits 2; neither creates a run", async () => {
    const home = tempDir();
    const { dir, opts } = fixtureDir(home);
    const executed = await runCli(["job", "execute", "-f", OPS, "-j", "etl_job"], opts);
    expectExit(executed, 0);
    const runId = lastLine(executed.stdout);

    const fromSuccess = await runCli(["run", "reexecute", runId, "--from-failure", "-f", OPS], opts);
    expectExit(fromSuccess, 2);
    expect(fromSuccess.stderr).toContain(runId);
    expect(fromSuccess.stderr).toMatch(/no failed or skipped step/);
    expect(fromSuccess.stdout).toBe("");

    const unknown = await runCli(["run", "reexecute", "no-such-run", "--from-failure", "-f", OPS], opts);
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain("no-such-run");

    expect((await listRuns(home)).map((r) => r.runId)).toEqual([runId]);
    expect(calls(dir)).toEqual(ETL_STEPS);
  });
});

describe.concurrent("sluice schedule list / start / stop", () => {
  it("--json prints [{name, cron, timezone, job, selection, status, nextTick, description}] with default statuses and next ticks after now", async () => {
    const before = Date.now();
    const result = await runCli(["schedule", "list", "-f", OPS, "--json"], { home: readHome });
    expectExit(result, 0);
    const rows = JSON.parse(result.stdout) as ScheduleJson[];
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(["cron", "description", "job", "name", "nextTick", "selection", "status", "timezone"]);
      expect(row.nextTick).toMatch(TICK);
      expect(Date.parse(row.nextTick)).toBeGreaterThan(before - 1000);
    }
    const nightly = byName(rows, "nightly_etl");
    expect(nightly).toMatchObject({
      cron: "0 2 * * *",
      timezone: "America/Los_Angeles",
      job: "etl_job",
      selection: null,
      status: "STOPPED",
      description: "ETL at 02:00 Los Angeles time.",
    });
    // 02:00 in Los Angeles is 09:00 or 10:00 UTC, within a day.
    expect(nightly.nextTick).toMatch(/T(09|10):00:00Z$/);
    expect(Date.parse(nightly.nextTick) - before).toBeLessThanOrEqual(25 * 3600_000);
    const hourly = byName(rows, "hourly_numbers");
    expect(hourly).toMatchObject({ cron: "15 * * * *", timezone: "UTC", job: null, selection: "group:demo", status: "RUNNING", description: null });
    expect(hourly.nextTick).toMatch(/:15:00Z$/);
    expect(Date.parse(hourly.nextTick) - before).toBeLessThanOrEqual(3600_000);
  });

  it("status follows schedule start / stop against the same --home, and only there", async () => {
    const home = tempDir();
    expectExit(await runCli(["schedule", "start", "nightly_etl", "-f", OPS, "--home", home]), 0);
    expectExit(await runCli(["schedule", "stop", "hourly_numbers", "-f", OPS, "--home", home]), 0);
    let rows = await scheduleList(home);
    expect(byName(rows, "nightly_etl").status).toBe("RUNNING");
    expect(byName(rows, "hourly_numbers").status).toBe("STOPPED");

    expectExit(await runCli(["schedule", "stop", "nightly_etl", "-f", OPS, "--home", home]), 0);
    expectExit(await runCli(["schedule", "start", "hourly_numbers", "-f", OPS, "--home", home]), 0);
    rows = await scheduleList(home);
    expect(byName(rows, "nightly_etl").status).toBe("STOPPED");
    expect(byName(rows, "hourly_numbers").status).toBe("RUNNING");

    // Another instance keeps the defaults.
    const other = await scheduleList(tempDir());
    expect(byName(other, "nightly_etl").status).toBe("STOPPED");
    expect(byName(other, "hourly_numbers").status).toBe("RUNNING");
  });

  it("schedule start of an unknown name with -f exits 2 naming it and the known schedules", async () => {
    const home = tempDir();
    const result = await runCli(["schedule", "start", "no_such_schedule", "-f", OPS], { home });
    expectExit(result, 2);
    expect(result.stderr).toContain('"no_such_schedule"');
    expect(result.stderr).toContain("nightly_etl");
    const stop = await runCli(["schedule", "stop", "no_such_schedule", "-f", OPS], { home });
    expectExit(stop, 2);
    expect(await withStorage(home, (storage) => storage.listInstigatorStates())).toEqual([]);
  });

  it("start / stop without definitions exit 2, say how to give them, and record nothing (the name cannot be checked)", async () => {
    const home = tempDir();
    for (const args of [
      ["schedule", "start", "nightly_etl"],
      ["schedule", "start", "nightly_etll"],
      ["schedule", "stop", "nightly_etl"],
      ["sensor", "start", "batch_sensor"],
      ["sensor", "stop", "batch_sensr"],
    ]) {
      const result = await runCli(args, { home });
      expectExit(result, 2);
      expect(result.stderr).toContain(`"${args[2]}"`);
      expect(result.stderr).toMatch(/-f FILE.*-m MODULE.*workspace\.yaml/);
    }
    expect(await withStorage(home, (storage) => storage.listInstigatorStates())).toEqual([]);
  });
});

describe.concurrent("sluice schedule preview", () => {
  it("--cron with --timezone across the fall-back day prints exactly Dagster's three UTC ticks", async () => {
    // PDT (UTC-7) until 02:00 local on Nov 3 2024, then PST (UTC-8): 02:00 local is 09:00Z on
    // Nov 2 and 10:00Z on Nov 3 and 4 (02:00 happens once on Nov 3; 01:00 is the repeated hour).
    const result = await runCli(
      ["schedule", "preview", "--cron", "0 2 * * *", "--timezone", "America/Los_Angeles", "--after", "2024-11-02T00:00:00Z", "--count", "3"],
      { home: readHome },
    );
    expectExit(result, 0);
    expect(result.stdout).toBe("2024-11-02T09:00:00Z\n2024-11-03T10:00:00Z\n2024-11-04T10:00:00Z\n");
  });

  it("in the repeated hour a daily tick happens once, at its second occurrence, and an hourly one twice (as Dagster's cron iterator)", async () => {
    // 01:00-01:59 happens twice on Nov 3 2024 in Los Angeles: 08:xxZ (PDT), then 09:xxZ (PST).
    const [daily, hourly] = await Promise.all([
      runCli(["schedule", "preview", "--cron", "30 1 * * *", "--timezone", "America/Los_Angeles", "--after", "2024-11-02T12:00:00Z", "--count", "2"], { home: readHome }),
      runCli(["schedule", "preview", "--cron", "0 * * * *", "--timezone", "America/Los_Angeles", "--after", "2024-11-03T07:30:00Z", "--count", "3"], { home: readHome }),
    ]);
    expectExit(daily, 0);
    expect(daily.stdout).toBe("2024-11-03T09:30:00Z\n2024-11-04T09:30:00Z\n");
    expectExit(hourly, 0);
    expect(hourly.stdout).toBe("2024-11-03T08:00:00Z\n2024-11-03T09:00:00Z\n2024-11-03T10:00:00Z\n");
  });

  it("ticks are strictly after --after", async () => {
    const result = await runCli(
      ["schedule", "preview", "--cron", "0 2 * * *", "--timezone", "America/Los_Angeles", "--after", "2024-11-02T09:00:00Z", "--count", "1"],
      { home: readHome },
    );
    expectExit(result, 0);
    expect(result.stdout).toBe("2024-11-03T10:00:00Z\n");
  });

  it("NAME -f F --count 2 prints the schedule's next two ticks, in its own time zone", async () => {
    const now = await runCli(["schedule", "preview", "nightly_etl", "-f", OPS, "--count", "2"], { home: readHome });
    expectExit(now, 0);
    const ticks = now.stdout.trimEnd().split("\n");
    expect(ticks).toHaveLength(2);
    for (const tick of ticks) expect(tick).toMatch(/^\d{4}-\d{2}-\d{2}T(09|10):00:00Z$/);
    expect(Date.parse(ticks[0]!)).toBeGreaterThan(Date.now() - 60_000);
    const gap = Date.parse(ticks[1]!) - Date.parse(ticks[0]!);
    expect([23, 24, 25].map((h) => h * 3600_000)).toContain(gap);

    // The spring-forward day: 02:00 does not exist on March 10 2024, Dagster ticks at 03:00 PDT.
    const spring = await runCli(["schedule", "preview", "nightly_etl", "-f", OPS, "--count", "2", "--after", "2024-03-09T00:00:00Z"], { home: readHome });
    expectExit(spring, 0);
    expect(spring.stdout).toBe("2024-03-09T10:00:00Z\n2024-03-10T10:00:00Z\n");
  });

  it("a bad cron exits 2 naming the cron and the problem, printing nothing on stdout", async () => {
    for (const [cron, problem] of [
      ["0 25 * * *", /hour 25/],
      ["0 2 * *", /5 fields/],
    ] as const) {
      const result = await runCli(["schedule", "preview", "--cron", cron], { home: readHome });
      expectExit(result, 2);
      expect(result.stderr).toContain(cron);
      expect(result.stderr).toMatch(problem);
      expect(result.stdout).toBe("");
    }
  });

  it("exits 2 without NAME or --cron, for an unknown schedule name, and for an unknown time zone", async () => {
    const neither = await runCli(["schedule", "preview", "--count", "2"], { home: readHome });
    expectExit(neither, 2);
    expect(neither.stderr).toMatch(/NAME or --cron/);
    expect(neither.stdout).toBe("");

    const unknown = await runCli(["schedule", "preview", "no_such_schedule", "-f", OPS], { home: readHome });
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain('"no_such_schedule"');

    const zone = await runCli(["schedule", "preview", "--cron", "0 2 * * *", "--timezone", "Mars/Olympus"], { home: readHome });
    expectExit(zone, 2);
    expect(zone.stderr).toContain("Mars/Olympus");
  });
});

describe.concurrent("sluice sensor", () => {
  it("list --json prints [{name, type, job, selection, status, minimumIntervalSeconds, cursor, description}]", async () => {
    const result = await runCli(["sensor", "list", "-f", OPS, "--json"], { home: readHome });
    expectExit(result, 0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        name: "batch_sensor",
        type: "standard",
        job: "etl_job",
        selection: null,
        status: "STOPPED",
        minimumIntervalSeconds: 15,
        cursor: null,
        description: "One run per batch.",
      },
    ]);
  });

  it("preview prints the evaluation as JSON (requests with run keys) and stores nothing; --cursor reaches evaluate", async () => {
    const home = tempDir();
    const preview = async (extra: string[] = []): Promise<SensorPreviewJson> => {
      const result = await runCli(["sensor", "preview", "batch_sensor", "-f", OPS, ...extra], { home });
      expectExit(result, 0);
      return JSON.parse(result.stdout) as SensorPreviewJson;
    };

    const first = await preview();
    expect(first).toMatchObject({ status: "SUCCESS", cursor: "1", skipReason: null, error: null });
    // Run requests, as requests: no run id and no run status, since no run was created.
    expect(first.requests).toEqual([
      {
        runKey: "batch-1-after-none",
        job: "etl_job",
        selection: null,
        assets: null,
        partition: null,
        config: { ops: { extract: { config: { rows: 1 } } } },
        tags: { team: "data", "sluice/sensor_name": "batch_sensor", "sluice/run_key": "batch-1-after-none" },
      },
    ]);
    expect(Object.keys(first).sort()).toEqual(["cursor", "dynamicPartitionsRequests", "error", "requests", "skipReason", "status"]);
    expect(first.dynamicPartitionsRequests).toEqual([]);

    const fromCursor = await preview(["--cursor", "41"]);
    expect(fromCursor).toMatchObject({ status: "SUCCESS", cursor: "42" });
    expect(fromCursor.requests.map((r) => r.runKey)).toEqual(["batch-42-after-41"]);
    expect(fromCursor.requests[0]!.config).toEqual({ ops: { extract: { config: { rows: 42 } } } });

    // Nothing stored: no sensor state, no tick, no run; a second preview starts from the same place.
    expect(byName(await sensorList(home), "batch_sensor").cursor).toBeNull();
    expect((await preview()).requests.map((r) => r.runKey)).toEqual(["batch-1-after-none"]);
    await withStorage(home, async (storage) => {
      expect(await storage.getInstigatorState("batch_sensor")).toBeUndefined();
      expect(await storage.listTicks("batch_sensor")).toEqual([]);
    });
    expect(await listRuns(home)).toEqual([]);
  });

  it("preview starts from the stored cursor and leaves it, its ticks and its runs alone", async () => {
    const home = tempDir();
    // A previous evaluation (as the daemon records it) left the cursor at "5".
    await withStorage(home, (storage) =>
      storage.recordSensorTick("batch_sensor", { tickTime: Date.now(), status: TickStatus.Skipped, requests: [], cursor: "5" }),
    );
    expect(byName(await sensorList(home), "batch_sensor")).toMatchObject({ cursor: "5", status: "RUNNING" });

    const result = await runCli(["sensor", "preview", "batch_sensor", "-f", OPS], { home });
    expectExit(result, 0);
    const evaluation = JSON.parse(result.stdout) as SensorPreviewJson;
    expect(evaluation).toMatchObject({ status: "SUCCESS", cursor: "6" });
    expect(evaluation.requests.map((r) => r.runKey)).toEqual(["batch-6-after-5"]);

    const overridden = await runCli(["sensor", "preview", "batch_sensor", "-f", OPS, "--cursor", "41"], { home });
    expectExit(overridden, 0);
    expect((JSON.parse(overridden.stdout) as SensorPreviewJson).requests.map((r) => r.runKey)).toEqual(["batch-42-after-41"]);

    expect(byName(await sensorList(home), "batch_sensor")).toMatchObject({ cursor: "5", status: "RUNNING" });
    await withStorage(home, async (storage) => expect(await storage.listTicks("batch_sensor")).toHaveLength(1));
    expect(await listRuns(home)).toEqual([]);
  });

  it("start / stop change the status in list against the same --home, preview leaves it and the cursor alone", async () => {
    const home = tempDir();
    expectExit(await runCli(["sensor", "start", "batch_sensor", "-f", OPS], { home }), 0);
    expect(byName(await sensorList(home), "batch_sensor")).toMatchObject({ status: "RUNNING", cursor: null });
    expectExit(await runCli(["sensor", "preview", "batch_sensor", "-f", OPS, "--cursor", "7"], { home }), 0);
    expect(byName(await sensorList(home), "batch_sensor")).toMatchObject({ status: "RUNNING", cursor: null });
    expectExit(await runCli(["sensor", "stop", "batch_sensor", "-f", OPS, "--home", home]), 0);
    expect(byName(await sensorList(home), "batch_sensor")).toMatchObject({ status: "STOPPED", cursor: null });
    expect(await listRuns(home)).toEqual([]);
  });

  it("preview sets up the sensor's resources (EnvVar secret read, masked in its log lines) and tears them down", async () => {
    const home = tempDir();
    const { dir } = fixtureDir(home);
    const secret = "inbox-secret-4242";
    const result = await runCli(["sensor", "preview", "inbox_sensor", "-f", fixture("sensor-resources.ts")], {
      home,
      env: { FIXTURE_DIR: dir, INBOX_TOKEN: secret },
    });
    expectExit(result, 0);
    const evaluation = JSON.parse(result.stdout) as SensorPreviewJson;
    expect(evaluation).toMatchObject({ status: "SUCCESS", error: null });
    expect(evaluation.requests.map((r) => r.runKey)).toEqual(["incoming/a.csv", "incoming/b.csv"]);
    expect(evaluation.requests[0]!.config).toEqual({ ops: { import: { config: { file: "incoming/a.csv" } } } });
    expect(calls(dir)).toEqual(["setup inbox", "teardown inbox"]);
    expect(result.stderr).toContain('Sensor "inbox_sensor" info: polling the inbox with token ********');
    expect(result.stderr + result.stdout).not.toContain(secret);

    // Without the variable the evaluation fails, naming it and the resource; nothing was set up.
    const unset = await runCli(["sensor", "preview", "inbox_sensor", "-f", fixture("sensor-resources.ts")], { home, env: { FIXTURE_DIR: dir, INBOX_TOKEN: undefined } });
    expectExit(unset, 0);
    const failed = JSON.parse(unset.stdout) as SensorPreviewJson & { error: { message: string } };
    expect(failed.status).toBe("FAILURE");
    expect(failed.error.message).toContain('Sensor "inbox_sensor": resource "inbox" could not be configured');
    expect(failed.error.message).toContain('"INBOX_TOKEN"');
    expect(calls(dir)).toEqual(["setup inbox", "teardown inbox"]);
  });

  it("start, stop and preview of an unknown sensor with -f exit 2 naming it", async () => {
    const home = tempDir();
    for (const args of [
      ["sensor", "start", "no_such_sensor", "-f", OPS],
      ["sensor", "stop", "no_such_sensor", "-f", OPS],
      ["sensor", "preview", "no_such_sensor", "-f", OPS],
    ]) {
      const result = await runCli(args, { home });
      expectExit(result, 2);
      expect(result.stderr).toContain('"no_such_sensor"');
      expect(result.stderr).toContain("batch_sensor");
    }
  });
});
