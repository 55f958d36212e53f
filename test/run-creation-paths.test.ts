/**
 * Every way a run is made — `sluice job launch`, `sluice job execute`, `sluice materialize`,
 * `sluice asset observe`, POST /api/runs with observe, observeAssets(),
 * `sluice run reexecute`, POST /api/runs (job and assets), POST /api/runs/:id/reexecute,
 * executeJob() and materialize() from code, a schedule tick, a sensor tick, an automatic retry, a
 * backfill's partition and an automation evaluation's (against a user's run of that partition) —
 * into one instance, then the records compared: the same request makes the same record whoever
 * asked, and a schedule, a sensor or a retry adds only its own tags.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scheduler } from "../src/daemon/scheduler.js";
import { SensorDaemon } from "../src/daemon/sensor-daemon.js";
import { RunRetries } from "../src/daemon/run-retries.js";
import * as sluice from "../src/index.js";
import { Instance } from "../src/instance/instance.js";
import { materialize } from "../src/instance/materialize.js";
import { executeJob } from "../src/runs/execute-job.js";
import { observeAssets } from "../src/runs/observe-assets.js";
import { AutomationDaemon } from "../src/daemon/automation-daemon.js";
import { BackfillDaemon } from "../src/daemon/backfill-daemon.js";
import { launchBackfill } from "../src/runs/backfill-control.js";
import { AUTOMATION_EVALUATION_TAG, BACKFILL_TAG, REEXECUTION_TAG, RETRY_NUMBER_TAG, RUN_KEY_TAG, SCHEDULED_TIME_TAG, SCHEDULE_NAME_TAG, SENSOR_NAME_TAG } from "../src/runs/new-run.js";
import { RunStatus, type RunRecord } from "../src/storage/records.js";
import { assertBuilt, REPO_ROOT, removeTempDirs, runCli } from "./cli/helpers.js";
import { dynamicPathDefinitions, everyPathDefinitions } from "./fixtures/runs/every-path-defs.js";
import { api, ServerSandbox } from "./server/helpers.js";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "runs", "every-path.ts");
const DYNAMIC_FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "runs", "every-path-dynamic.ts");
// Given beside the job's default config ({raw: {rows: 5}}), so that a record of the config as
// given differs from one of the effective config.
const CONFIG = { ops: { clean: { config: { fail: false } } } };
const TAGS = { by: "test" };
const FAIL = { ops: { clean: { config: { fail: true } } } };

/** What a run's record says about what it runs and why: every field but its id, status and times. */
type Request = Pick<RunRecord, "jobName" | "selection" | "selectionExpression" | "partition" | "config" | "tags" | "parentRunId" | "rootRunId">;

function requestOf(run: RunRecord): Request {
  const { jobName, selection, selectionExpression, partition, config, tags, parentRunId, rootRunId } = run;
  return { jobName, selection, selectionExpression, partition, config, tags, parentRunId, rootRunId };
}

/** Field name → kind of value (null, array, or typeof), for every field of the stored record. */
function shapeOf(run: RunRecord): Record<string, string> {
  return Object.fromEntries(Object.entries(run).map(([k, v]) => [k, v === null ? "null" : Array.isArray(v) ? "array" : typeof v]));
}

function without(tags: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !names.includes(k)));
}

describe("every way of making a run", () => {
  const sandbox = new ServerSandbox();
  const defs = everyPathDefinitions(sluice);
  let instance: Instance;
  /** Path → the run it made. */
  const made = new Map<string, RunRecord>();
  /** The hour the schedule's tick is for. */
  let scheduledHour: Date;

  const cli = async (args: string[]): Promise<string> => {
    const result = await runCli([...args, "-f", FIXTURE, "--home", sandbox.home]);
    const runId = result.stdout.trim().split("\n").at(-1)!;
    expect(runId, `sluice ${args.join(" ")}:\n${result.stderr}`).toMatch(/^[0-9a-f-]{36}$/);
    return runId;
  };
  const record = async (name: string, runId: string): Promise<void> => {
    const run = await instance.storage.getRun(runId);
    expect(run, name).toBeDefined();
    made.set(name, run!);
  };

  beforeAll(async () => {
    assertBuilt();
    instance = await Instance.open({ home: sandbox.home });
    const server = await sandbox.startServer("server", ["-f", FIXTURE]);
    const post = async (pathname: string, body: unknown): Promise<string> => {
      const res = await api(server.url, "POST", pathname, body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.run.runId as string;
    };

    // The same job with the same config and tags, by each user path.
    await record("cli job launch", await cli(["job", "launch", "-j", "nightly", "-c", JSON.stringify(CONFIG), "--tags", JSON.stringify(TAGS)]));
    await record("cli job execute", await cli(["job", "execute", "-j", "nightly", "-c", JSON.stringify(CONFIG), "--tags", JSON.stringify(TAGS)]));
    await record("api job", await post("/api/runs", { job: "nightly", config: CONFIG, tags: TAGS }));
    await record("executeJob()", (await executeJob(instance, defs, "nightly", { config: CONFIG, tags: TAGS })).runId);
    await record("executeJob() as is", (await executeJob(instance, defs, "nightly")).runId);

    // The same assets, likewise.
    await record("cli materialize", await cli(["materialize", "--select", "raw+", "-c", JSON.stringify(CONFIG), "--tags", JSON.stringify(TAGS)]));
    await record("api assets", await post("/api/runs", { selection: "raw+", config: CONFIG, tags: TAGS }));
    await record("materialize()", (await materialize(defs, { instance, selection: "raw+", config: CONFIG, tags: TAGS })).runId);

    // The observable source asset, observed by each path.
    await record("cli asset observe", await cli(["asset", "observe", "--select", "source", "--tags", JSON.stringify(TAGS)]));
    await record("api observe", await post("/api/runs", { selection: "source", observe: true, tags: TAGS }));
    await record("observeAssets()", (await observeAssets(instance, defs, { selection: "source", tags: TAGS })).runId);

    // A schedule's tick and a sensor's evaluation, in the daemon's own classes.
    // The clock starts now (stored states carry real times) and moves to just after the next hour.
    let now = new Date();
    const clock = () => now;
    const scheduler = new Scheduler({ storage: instance.storage, defs, now: clock, startedAt: now });
    await scheduler.tick();
    scheduledHour = new Date(Math.floor(now.getTime() / 3_600_000 + 1) * 3_600_000);
    now = new Date(scheduledHour.getTime() + 5_000);
    await scheduler.tick();
    const [scheduled] = await instance.storage.listRuns({ tags: { [SCHEDULE_NAME_TAG]: "hourly" } });
    made.set("schedule tick", scheduled!);
    await new SensorDaemon({ storage: instance.storage, defs, now: clock }).tick();
    const [sensed] = await instance.storage.listRuns({ tags: { [SENSOR_NAME_TAG]: "on_file" } });
    made.set("sensor tick", sensed!);

    // The automation loop's runs of the missing partitions (the daemon's own class), before any
    // other run of them is in flight; then a user's run of a partition, and a backfill's run of it.
    await new AutomationDaemon({ storage: instance.storage, defs }).tick();
    const [automated] = await instance.storage.listRuns({ tags: { [AUTOMATION_EVALUATION_TAG]: "1", "sluice/partition": "eu" } });
    made.set("automation", automated!);
    await record("api partition", await post("/api/runs", { selection: ["regions"], partition: "eu", tags: TAGS }));
    const { backfill } = await launchBackfill(instance.storage, { defs, target: { selection: ["regions"] }, partitionSet: { kind: "keys", keys: ["eu"] }, tags: TAGS, launchedBy: "test" });
    await new BackfillDaemon({ storage: instance.storage, defs }).tick();
    const [backfilled] = await instance.storage.listRuns({ tags: { [BACKFILL_TAG]: backfill.backfillId } });
    made.set("backfill", backfilled!);

    // A failed run, then its retry and its re-executions from failure.
    const failed = await materialize(defs, { instance, selection: "raw+", config: FAIL, tags: TAGS });
    expect(failed.status).toBe(RunStatus.Failure);
    await record("failed parent", failed.runId);
    await new RunRetries({ storage: instance.storage, maxRetries: 1 }).tick();
    const [retry] = await instance.storage.listRuns({ parentRunIds: [failed.runId] });
    made.set("retry", retry!);
    await record("api reexecute", await post(`/api/runs/${failed.runId}/reexecute`, { fromFailure: true }));
    await record("cli run reexecute", await cli(["run", "reexecute", failed.runId, "--from-failure"]));
  }, 240_000);

  afterAll(async () => {
    await instance?.close();
    await sandbox.dispose();
    removeTempDirs();
  });

  it("stores every run with the same fields, of the same kinds", () => {
    expect([...made.keys()]).toHaveLength(20);
    const reference = shapeOf(made.get("api job")!);
    for (const [name, run] of made) {
      const shape = shapeOf(run);
      expect(Object.keys(shape).sort(), name).toEqual(Object.keys(reference).sort());
      for (const [field, kind] of Object.entries(shape)) {
        // What only some runs have yet (a parent, a start, an end, a worker) may be null.
        if (kind !== "null" && reference[field] !== "null") expect(kind, `${name}: ${field}`).toBe(reference[field]);
      }
      expect(typeof run.runId, name).toBe("string");
      expect(run.selection.length, name).toBeGreaterThan(0);
    }
  });

  it("makes the same record of a job however it is asked for, with the effective config", () => {
    const names = ["cli job launch", "cli job execute", "api job", "executeJob()"];
    const expected = requestOf(made.get("api job")!);
    for (const name of names) expect(requestOf(made.get(name)!), name).toEqual(expected);
    // The job's default config under what was given; the job's tags, then the request's.
    expect(expected).toEqual({
      jobName: "nightly",
      selection: ["raw", "clean"],
      selectionExpression: null,
      partition: null,
      config: { ops: { raw: { config: { rows: 5 } }, clean: { config: { fail: false } } } },
      tags: { team: "data", ...TAGS },
      parentRunId: null,
      rootRunId: null,
    });
    expect(made.get("executeJob() as is")!.config).toEqual({ ops: { raw: { config: { rows: 5 } } } });
  });

  it("makes the same record of assets however they are asked for", () => {
    const expected = requestOf(made.get("api assets")!);
    for (const name of ["cli materialize", "materialize()"]) expect(requestOf(made.get(name)!), name).toEqual(expected);
    expect(expected).toEqual({
      jobName: sluice.ASSET_JOB_NAME,
      selection: ["raw", "clean"],
      selectionExpression: "raw+",
      partition: null,
      config: CONFIG,
      tags: TAGS,
      parentRunId: null,
      rootRunId: null,
    });
  });

  it("makes the same record of an observation however it is asked for", () => {
    const expected = requestOf(made.get("api observe")!);
    for (const name of ["cli asset observe", "observeAssets()"]) expect(requestOf(made.get(name)!), name).toEqual(expected);
    expect(expected).toEqual({
      jobName: sluice.ASSET_JOB_NAME,
      selection: ["source"],
      selectionExpression: "source",
      partition: null,
      config: {},
      tags: TAGS,
      parentRunId: null,
      rootRunId: null,
    });
  });

  it("gives a schedule's and a sensor's runs what a user's run of the job gets, plus their own tags", () => {
    const scheduled = made.get("schedule tick")!;
    const asIs = requestOf(made.get("executeJob() as is")!);
    expect({ ...requestOf(scheduled), tags: without(scheduled.tags, SCHEDULE_NAME_TAG, SCHEDULED_TIME_TAG, "cadence") }).toEqual(asIs);
    expect(scheduled.tags).toMatchObject({ cadence: "hourly", [SCHEDULE_NAME_TAG]: "hourly", [SCHEDULED_TIME_TAG]: scheduledHour.toISOString() });

    const sensed = made.get("sensor tick")!;
    expect({ ...requestOf(sensed), tags: without(sensed.tags, SENSOR_NAME_TAG, RUN_KEY_TAG) }).toEqual(requestOf(made.get("api job")!));
    expect(sensed.tags).toMatchObject({ [SENSOR_NAME_TAG]: "on_file", [RUN_KEY_TAG]: "file-1" });
  });

  it("gives a backfill's run what a user's run of the partition gets, plus the backfill's tag", () => {
    const backfilled = made.get("backfill")!;
    expect({ ...requestOf(backfilled), tags: without(backfilled.tags, BACKFILL_TAG) }).toEqual(requestOf(made.get("api partition")!));
    expect(requestOf(backfilled)).toMatchObject({ selection: ["regions"], partition: "eu", tags: { ...TAGS, "sluice/partition": "eu", [BACKFILL_TAG]: expect.any(String) } });
  });

  it("gives the automation loop's run what a user's run of the partition gets, plus the evaluation's tag", () => {
    const automated = made.get("automation")!;
    const user = made.get("api partition")!;
    expect({ ...requestOf(automated), tags: without(automated.tags, AUTOMATION_EVALUATION_TAG) }).toEqual({ ...requestOf(user), tags: without(user.tags, ...Object.keys(TAGS)) });
    expect(automated.tags).toMatchObject({ [AUTOMATION_EVALUATION_TAG]: "1", "sluice/partition": "eu" });
  });

  it("makes the same re-execution record by the API, the CLI and a retry, keeping the parent's request", () => {
    const parent = made.get("failed parent")!;
    const expected: Request = {
      ...requestOf(parent),
      selection: ["clean"],
      selectionExpression: null,
      tags: { ...parent.tags, [REEXECUTION_TAG]: "from_failure" },
      parentRunId: parent.runId,
      rootRunId: parent.runId,
    };
    expect(requestOf(made.get("api reexecute")!)).toEqual(expected);
    expect(requestOf(made.get("cli run reexecute")!)).toEqual(expected);
    const retry = made.get("retry")!;
    expect({ ...requestOf(retry), tags: without(retry.tags, RETRY_NUMBER_TAG) }).toEqual(expected);
    expect(retry.tags[RETRY_NUMBER_TAG]).toBe("2");
    expect(parent.config).toEqual(FAIL);
  });
});

describe("every way of making a run of a dynamic partition", () => {
  const sandbox = new ServerSandbox();
  const defs = dynamicPathDefinitions(sluice);
  let instance: Instance;
  const made = new Map<string, RunRecord>();
  const refused: [string, number, string][] = [];

  beforeAll(async () => {
    assertBuilt();
    instance = await Instance.open({ home: sandbox.home });
    const server = await sandbox.startServer("server", ["-f", DYNAMIC_FIXTURE]);
    const cli = (args: string[]) => runCli([...args, "-f", DYNAMIC_FIXTURE, "--home", sandbox.home]);
    const record = async (name: string, runId: string | undefined): Promise<void> => {
      const run = runId === undefined ? undefined : await instance.storage.getRun(runId);
      expect(run, name).toBeDefined();
      made.set(name, run!);
    };
    const added = await cli(["partitions", "add", "tenants", "acme"]);
    expect(added.code, added.stderr).toBe(0);

    await record("cli job launch", (await cli(["job", "launch", "-j", "tenant_job", "--partition", "acme", "--tags", JSON.stringify(TAGS)])).stdout.trim());
    await record("cli job execute", (await cli(["job", "execute", "-j", "tenant_job", "--partition", "acme", "--tags", JSON.stringify(TAGS)])).stdout.trim().split("\n").at(-1));
    await record("cli materialize", (await cli(["materialize", "--select", "tenant_report", "--partition", "acme", "--tags", JSON.stringify(TAGS)])).stdout.trim().split("\n").at(-1));
    const post = await api(server.url, "POST", "/api/runs", { job: "tenant_job", partition: "acme", tags: TAGS });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
    await record("api job", post.body.run.runId as string);
    await record("executeJob()", (await executeJob(instance, defs, "tenant_job", { partitionKey: "acme", tags: TAGS })).runId);
    await record("materialize()", (await materialize(defs, { instance, selection: "tenant_report", partitionKey: "acme", tags: TAGS })).runId);
    await new SensorDaemon({ storage: instance.storage, defs }).tick();
    const [sensed] = await instance.storage.listRuns({ tags: { [SENSOR_NAME_TAG]: "provisioning" } });
    made.set("sensor tick", sensed!);

    // A key that does not exist, by each path: refused, and no run.
    const before = await instance.storage.countRuns();
    for (const args of [
      ["job", "launch", "-j", "tenant_job", "--partition", "umbrella"],
      ["job", "execute", "-j", "tenant_job", "--partition", "umbrella"],
      ["materialize", "--select", "tenant_report", "--partition", "umbrella"],
    ]) {
      const result = await cli(args);
      refused.push([`cli ${args[0]} ${args[1]}`, result.code ?? -1, result.stderr]);
    }
    const bad = await api(server.url, "POST", "/api/runs", { job: "tenant_job", partition: "umbrella" });
    refused.push(["api job", bad.status, String(bad.body?.error?.message)]);
    for (const [name, attempt] of [
      ["executeJob()", () => executeJob(instance, defs, "tenant_job", { partitionKey: "umbrella" })],
      ["materialize()", () => materialize(defs, { instance, selection: "tenant_report", partitionKey: "umbrella" })],
    ] as const) {
      const err = await attempt().then(() => undefined, (e: unknown) => e as Error);
      // From code, a PartitionError is what the CLI turns into exit 2.
      refused.push([name, (err as { code?: string } | undefined)?.code === "PARTITION_ERROR" ? 2 : 0, err?.message ?? "resolved"]);
    }
    expect(await instance.storage.countRuns()).toBe(before);
  }, 240_000);

  afterAll(async () => {
    await instance?.close();
    await sandbox.dispose();
    removeTempDirs();
  });

  it("makes the same record of a stored key by every user path, and a sensor's run of the key its tick adds", () => {
    expect([...made.keys()]).toHaveLength(7);
    const expected = requestOf(made.get("api job")!);
    expect(expected).toEqual({
      jobName: "tenant_job",
      selection: ["tenant_report"],
      selectionExpression: null,
      partition: "acme",
      config: {},
      tags: { team: "data", ...TAGS, "sluice/partition": "acme" },
      parentRunId: null,
      rootRunId: null,
    });
    for (const name of ["cli job launch", "cli job execute", "executeJob()"]) expect(requestOf(made.get(name)!), name).toEqual(expected);
    // The same selection expression, without the job's tags.
    const assets = { ...expected, jobName: sluice.ASSET_JOB_NAME, selectionExpression: "tenant_report", tags: without(expected.tags, "team") };
    expect(requestOf(made.get("materialize()")!)).toEqual(assets);
    expect(requestOf(made.get("cli materialize")!)).toEqual(assets);
    const sensed = made.get("sensor tick")!;
    expect({ ...requestOf(sensed), tags: without(sensed.tags, SENSOR_NAME_TAG, RUN_KEY_TAG) }).toEqual({ ...expected, partition: "initech", tags: { ...expected.tags, "sluice/partition": "initech" } });
  });

  it("refuses a key that does not exist by every path, naming it and the command that adds it", () => {
    expect(refused).toHaveLength(6);
    for (const [name, code, message] of refused) {
      expect(code, name).toBe(name === "api job" ? 400 : 2);
      expect(message, name).toContain('Partition "umbrella" of dynamic partitions "tenants" does not exist');
      expect(message, name).toContain("sluice partitions add tenants umbrella");
    }
  });
});
