/**
 * Resources of schedules and sensors, as the daemon evaluates them: set up for each evaluation
 * from the Definitions' bindings (EnvVar secrets read then, and masked in log lines and errors),
 * torn down after it whatever happened, a setup failure ending the tick as FAILURE without
 * stopping the daemon. Runs against SQLite and Postgres storage; load-time checks need neither.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { EnvVar } from "../definitions/env-var.js";
import { job } from "../definitions/job.js";
import { op } from "../definitions/op.js";
import { configured, resource } from "../definitions/resource.js";
import { schedule } from "../definitions/schedule.js";
import { assetSensor, sensor } from "../definitions/sensor.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import { openPostgresStorage } from "../storage/postgres/postgres-storage.js";
import { TickStatus, type RunRecord } from "../storage/records.js";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.js";
import type { Storage } from "../storage/storage.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../storage/testing/postgres-test-schemas.js";
import { SCHEDULE_NAME_TAG, SENSOR_NAME_TAG } from "./run-requests.js";
import { Scheduler } from "./scheduler.js";
import { SensorDaemon } from "./sensor-daemon.js";

/** A storage of one backend, in a place of its own (a temp file, a fresh schema), and a directory for run outputs. */
interface Backend {
  storage: Storage;
  valuesDir: string;
  dispose(): Promise<void>;
}

const BACKENDS: Record<"sqlite" | "postgres", () => Promise<Backend>> = {
  sqlite: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-evalres-"));
    const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
    return {
      storage,
      valuesDir: path.join(dir, "storage"),
      dispose: async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  postgres: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-evalres-"));
    const schema = newTestSchemaName("evalres");
    const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
    return {
      storage,
      valuesDir: path.join(dir, "storage"),
      dispose: async () => {
        await storage.close();
        await dropTestSchemas([schema]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const SECRET_VAR = "SLUICE_TEST_EVAL_RESOURCE_TOKEN";
const SECRET = "tok-9f8e7d6c5b4a";

/**
 * A resource that records what happens to it in `calls` (setup, teardown, and what its user does),
 * its value holding its config. `failSetup` makes its setup throw, as a database that does not answer.
 */
function trackedResource(calls: string[], options: { failSetup?: boolean } = {}) {
  return resource({
    config: z.object({ token: z.string(), label: z.string().default("plain") }),
    setup: ({ token, label }, { name, runId }) => {
      calls.push(`setup ${name} (run ${String(runId)})`);
      if (options.failSetup) throw new Error(`cannot connect to ${label}`);
      return { token, label, rows: () => [`${label}-1`, `${label}-2`] };
    },
    teardown: (_value, { name }) => {
      calls.push(`teardown ${name}`);
    },
  });
}

const work = op({ name: "work", run: () => 1 });
const workJob = job({ name: "work_job", ops: [work] });
const watched = asset({ key: "watched", run: () => 1 });

/** A clock the test moves by hand. */
function clock(iso: string): { now: () => Date; advance: (seconds: number) => void } {
  let t = new Date(iso).getTime();
  return { now: () => new Date(t), advance: (seconds) => void (t += seconds * 1000) };
}

describe.each(["sqlite", "postgres"] as const)("resources of schedules and sensors (%s storage)", (backendName) => {
  let backend: Backend;
  let calls: string[];
  let log: string[];
  const logLine = (line: string): void => void log.push(line);

  beforeAll(() => {
    process.env[SECRET_VAR] = SECRET;
  });
  afterAll(() => {
    delete process.env[SECRET_VAR];
  });
  beforeEach(async () => {
    backend = await BACKENDS[backendName]();
    calls = [];
    log = [];
  });
  afterEach(async () => {
    await backend.dispose();
  });

  async function runsTagged(tag: string, name: string): Promise<RunRecord[]> {
    return (await backend.storage.listRuns({ tags: { [tag]: name } })).reverse();
  }

  it("a sensor reads its resource, set up before the evaluation and torn down after it; the value reaches the run request", async () => {
    const store = trackedResource(calls);
    const rows = sensor({
      name: "rows",
      job: workJob,
      defaultStatus: "RUNNING",
      resources: { store },
      evaluate: ({ resources }) => {
        calls.push("evaluate");
        return resources.store.rows().map((row) => ({ runKey: row, tags: { row, label: resources.store.label } }));
      },
    });
    const defs = defineDefinitions({ jobs: [workJob], sensors: [rows], resources: { store: configured(store, { token: "t", label: "tenants" }) } });
    await new SensorDaemon({ storage: backend.storage, defs, log: logLine }).tick();

    expect(calls).toEqual(["setup store (run null)", "evaluate", "teardown store"]);
    const runs = await runsTagged(SENSOR_NAME_TAG, "rows");
    expect(runs.map((r) => r.tags.row).sort()).toEqual(["tenants-1", "tenants-2"]);
    expect(runs[0]!.tags.label).toBe("tenants");
    const [tick] = await backend.storage.listTicks("rows");
    expect(tick).toMatchObject({ status: TickStatus.Success, error: null });
  });

  it("a schedule's execute reads its resource; the value reaches the run, and the resource is torn down after the tick", async () => {
    const store = trackedResource(calls);
    const hourly = schedule({
      name: "hourly",
      cron: "0 * * * *",
      job: workJob,
      defaultStatus: "RUNNING",
      resources: { store },
      execute: ({ resources }) => {
        calls.push("execute");
        return { tags: { label: resources.store.label } };
      },
    });
    const defs = defineDefinitions({ jobs: [workJob], schedules: [hourly], resources: { store: configured(store, { token: "t", label: "billing" }) } });
    const c = clock("2024-01-01T00:30:00Z");
    const scheduler = new Scheduler({ storage: backend.storage, defs, now: c.now, startedAt: c.now(), log: logLine });
    await scheduler.tick();
    expect(calls).toEqual([]);
    c.advance(30 * 60);
    await scheduler.tick();

    expect(calls).toEqual(["setup store (run null)", "execute", "teardown store"]);
    const [run] = await runsTagged(SCHEDULE_NAME_TAG, "hourly");
    expect(run?.tags.label).toBe("billing");
  });

  it("tears the resources down, in reverse order, when the function throws or times out", async () => {
    const first = trackedResource(calls);
    const second = trackedResource(calls);
    const throwing = sensor({
      name: "throwing",
      job: workJob,
      defaultStatus: "RUNNING",
      resources: { first, second },
      evaluate: () => {
        calls.push("evaluate throwing");
        throw new Error("the query failed");
      },
    });
    const hanging = schedule({
      name: "hanging",
      cron: "* * * * *",
      job: workJob,
      defaultStatus: "RUNNING",
      resources: { first },
      execute: () => {
        calls.push("execute hanging");
        return new Promise<never>(() => undefined);
      },
    });
    const bound = { first: configured(first, { token: "a" }), second: configured(second, { token: "b" }) };
    const defs = defineDefinitions({ jobs: [workJob], sensors: [throwing], schedules: [hanging], resources: bound });

    await new SensorDaemon({ storage: backend.storage, defs, log: logLine }).tick();
    expect(calls).toEqual(["setup first (run null)", "setup second (run null)", "evaluate throwing", "teardown second", "teardown first"]);
    const [sensorTick] = await backend.storage.listTicks("throwing");
    expect(sensorTick?.status).toBe(TickStatus.Failure);
    expect(sensorTick?.error?.message).toBe('Sensor "throwing" threw: the query failed');

    calls.length = 0;
    const c = clock("2024-01-01T00:00:30Z");
    const scheduler = new Scheduler({ storage: backend.storage, defs, now: c.now, startedAt: c.now(), log: logLine, evaluationTimeoutMs: 200 });
    c.advance(30);
    await scheduler.tick();
    expect(calls).toEqual(["setup first (run null)", "execute hanging", "teardown first"]);
    const [scheduleTick] = await backend.storage.listTicks("hanging");
    expect(scheduleTick?.status).toBe(TickStatus.Failure);
    expect(scheduleTick?.error?.message).toContain("did not finish within");
  });

  it("a resource that fails to set up ends the tick as FAILURE naming the sensor and the resource; the daemon goes on", async () => {
    const healthy = trackedResource(calls);
    const broken = trackedResource(calls, { failSetup: true });
    const failing = sensor({
      name: "failing",
      job: workJob,
      defaultStatus: "RUNNING",
      minimumIntervalSeconds: 10,
      resources: { healthy, broken },
      evaluate: () => {
        calls.push("evaluate failing");
        return [{ runKey: "never" }];
      },
    });
    const fine = sensor({ name: "fine", job: workJob, defaultStatus: "RUNNING", minimumIntervalSeconds: 10, evaluate: () => [{ runKey: "fine-1" }] });
    const resources = { healthy: configured(healthy, { token: "h" }), broken: configured(broken, { token: "b", label: "the warehouse" }) };
    const defs = defineDefinitions({ jobs: [workJob], sensors: [failing, fine], resources });
    const c = clock("2024-01-01T00:00:00Z");
    const daemon = new SensorDaemon({ storage: backend.storage, defs, now: c.now, log: logLine });

    await daemon.tick();
    // The function never ran; what was set up before the failure was torn down.
    expect(calls).toEqual(["setup healthy (run null)", "setup broken (run null)", "teardown healthy"]);
    const [tick] = await backend.storage.listTicks("failing");
    expect(tick?.status).toBe(TickStatus.Failure);
    expect(tick?.error?.message).toBe('Sensor "failing": resource "broken" failed to set up: Error: cannot connect to the warehouse');
    expect(log).toContain('Sensor "failing" failed: Sensor "failing": resource "broken" failed to set up: Error: cannot connect to the warehouse');
    expect(await runsTagged(SENSOR_NAME_TAG, "failing")).toEqual([]);
    expect((await runsTagged(SENSOR_NAME_TAG, "fine")).map((r) => r.tags["sluice/run_key"])).toEqual(["fine-1"]);

    // The next evaluation tries again.
    c.advance(10);
    await daemon.tick();
    expect((await backend.storage.listTicks("failing")).map((t) => t.status)).toEqual([TickStatus.Failure, TickStatus.Failure]);
    expect(await backend.storage.listTicks("fine")).toHaveLength(2);
  });

  it("a schedule whose resource fails to set up records a FAILURE tick naming the schedule and the resource", async () => {
    const broken = trackedResource(calls, { failSetup: true });
    const nightly = schedule({ name: "nightly", cron: "0 * * * *", job: workJob, defaultStatus: "RUNNING", resources: { broken }, execute: () => ({}) });
    const defs = defineDefinitions({ jobs: [workJob], schedules: [nightly], resources: { broken: configured(broken, { token: "b" }) } });
    const c = clock("2024-01-01T00:30:00Z");
    const scheduler = new Scheduler({ storage: backend.storage, defs, now: c.now, startedAt: c.now(), log: logLine });
    c.advance(30 * 60);
    await scheduler.tick();
    const [tick] = await backend.storage.listTicks("nightly");
    expect(tick?.status).toBe(TickStatus.Failure);
    expect(tick?.error?.message).toBe('Schedule "nightly" (tick 2024-01-01T01:00:00.000Z): resource "broken" failed to set up: Error: cannot connect to plain');
    expect(await runsTagged(SCHEDULE_NAME_TAG, "nightly")).toEqual([]);
  });

  it("masks an EnvVar secret of a resource's config in the function's log lines and in the tick's error", async () => {
    const store = trackedResource(calls);
    const leaky = sensor({
      name: "leaky",
      job: workJob,
      defaultStatus: "RUNNING",
      resources: { store },
      evaluate: ({ resources, log: sensorLog }) => {
        sensorLog.info(`connecting with token ${resources.store.token}`);
        throw new Error(`token ${resources.store.token} was refused`);
      },
    });
    const defs = defineDefinitions({ jobs: [workJob], sensors: [leaky], resources: { store: configured(store, { token: EnvVar(SECRET_VAR) }) } });
    await new SensorDaemon({ storage: backend.storage, defs, log: logLine }).tick();

    expect(log).toContain('Sensor "leaky" info: connecting with token ********');
    expect(log.join("\n")).not.toContain(SECRET);
    const [tick] = await backend.storage.listTicks("leaky");
    expect(tick?.error?.message).toBe('Sensor "leaky" threw: token ******** was refused');
    expect(JSON.stringify(tick)).not.toContain(SECRET);
  });

  it("an unset EnvVar fails the tick naming the variable, the resource and the sensor", async () => {
    const store = trackedResource(calls);
    const unset = sensor({ name: "unset", job: workJob, defaultStatus: "RUNNING", resources: { store }, evaluate: () => [] });
    const defs = defineDefinitions({ jobs: [workJob], sensors: [unset], resources: { store: configured(store, { token: EnvVar("SLUICE_TEST_NEVER_SET_VAR") }) } });
    await new SensorDaemon({ storage: backend.storage, defs, log: logLine }).tick();
    const [tick] = await backend.storage.listTicks("unset");
    expect(tick?.status).toBe(TickStatus.Failure);
    expect(tick?.error?.message).toContain('Sensor "unset": resource "store" could not be configured');
    expect(tick?.error?.message).toContain('Environment variable "SLUICE_TEST_NEVER_SET_VAR" is not set, but resources.store.config.token reads it');
    expect(calls).toEqual([]);
  });

  it("an asset sensor sets its resources up only when there is a materialization to hand its function", async () => {
    const store = trackedResource(calls);
    const onWatched = assetSensor({
      name: "on_watched",
      asset: watched,
      job: workJob,
      defaultStatus: "RUNNING",
      minimumIntervalSeconds: 1,
      resources: { store },
      evaluate: ({ resources }, event) => ({ runKey: String(event.eventId), tags: { label: resources.store.label } }),
    });
    const defs = defineDefinitions({ assets: [watched], jobs: [workJob], sensors: [onWatched], resources: { store: configured(store, { token: "t", label: "events" }) } });
    const c = clock("2024-01-01T00:00:00Z");
    const daemon = new SensorDaemon({ storage: backend.storage, defs, now: c.now, startedAt: new Date(0), log: logLine });
    await daemon.tick();
    expect(calls).toEqual([]);

    await materializeAssets(backend, defs, { selection: "watched" });
    c.advance(1);
    await daemon.tick();
    expect(calls).toEqual(["setup store (run null)", "teardown store"]);
    expect((await runsTagged(SENSOR_NAME_TAG, "on_watched")).map((r) => r.tags.label)).toEqual(["events"]);
  });
});

describe("resources of schedules and sensors: load-time checks", () => {
  /** Runs fn, expecting a DefinitionError; returns its message. */
  function definitionError(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      expect((err as Error).name).toBe("DefinitionError");
      expect((err as { code?: string }).code).toBe("DEFINITION_ERROR");
      return (err as Error).message;
    }
    throw new Error("expected a DefinitionError");
  }

  it("an unknown resource is a DefinitionError naming the sensor or schedule and the resource", () => {
    const rows = sensor({ name: "rows", job: workJob, resources: { warehouse: "warehouse" }, evaluate: () => [] });
    expect(definitionError(() => defineDefinitions({ jobs: [workJob], sensors: [rows] }))).toBe(
      'Sensor "rows" needs resource "warehouse", which is not defined. Add it to Definitions: resources: { warehouse: resource({...}) }.',
    );
    const nightly = schedule({ name: "nightly", cron: "0 3 * * *", job: workJob, resources: { warehouse: "warehouse" }, execute: () => ({}) });
    expect(definitionError(() => defineDefinitions({ jobs: [workJob], schedules: [nightly] }))).toBe(
      'Schedule "nightly" needs resource "warehouse", which is not defined. Add it to Definitions: resources: { warehouse: resource({...}) }.',
    );
  });

  it("binds Definitions config to the resource a sensor declares, and keeps a sensor off the default IO manager", () => {
    const store = trackedResource([]);
    const rows = sensor({ name: "rows", job: workJob, resources: { store }, evaluate: () => [] });
    const defs = defineDefinitions({ jobs: [workJob], sensors: [rows], resources: { store: { token: EnvVar(SECRET_VAR) } } });
    expect(defs.resources.get("store")?.definition).toBe(store);
    expect(JSON.stringify(defs.resources.get("store")?.config)).toBe(`{"token":{"env":"${SECRET_VAR}"}}`);

    const io = sensor({ name: "io", job: workJob, resources: { io_manager: "io_manager" }, evaluate: () => [] });
    expect(definitionError(() => defineDefinitions({ jobs: [workJob], sensors: [io] }))).toContain(
      'Sensor "io" needs resource "io_manager", the default IO manager, which only runs can use.',
    );
  });
});
