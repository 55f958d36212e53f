/**
 * Schedule and sensor functions evaluated in worker threads (ThreadEvaluationHost), as the daemon
 * evaluates them: a function stuck in a synchronous loop has its thread stopped at the timeout and
 * its tick failed, naming it, while other sensors go on; results cross the thread boundary as
 * plain data (EnvVars in run config as `{"env": NAME}`, never their values); resources live in the
 * thread, log lines come back with secrets masked; a thread that crashes fails only its
 * evaluation. The ticks are recorded on SQLite and on Postgres alike.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { threadId } from "node:worker_threads";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Definitions } from "../definitions/definitions.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import { loadDefinitions } from "../instance/load-definitions.js";
import { openPostgresStorage } from "../storage/postgres/postgres-storage.js";
import { EventType, InstigatorStatus, InstigatorType, TickStatus, type TickRecord } from "../storage/records.js";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.js";
import type { Storage } from "../storage/storage.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../storage/testing/postgres-test-schemas.js";
import { EvaluationHostClosedError } from "./evaluation-host.js";
import type { SensorOutcome } from "./instigator-code.js";
import { SENSOR_NAME_TAG } from "./run-requests.js";
import { Scheduler } from "./scheduler.js";
import { SensorDaemon } from "./sensor-daemon.js";
import { ThreadEvaluationHost } from "./thread-evaluation-host.js";

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "testing", "evaluation-fixture.ts");
const TOKEN = "tok-5e3c1a9b7d";
const TIMEOUT_MS = 500;

let fixtureDir: string;
let log: string[];
const hosts: ThreadEvaluationHost[] = [];

/** A host on the fixture; closed after the test. */
function newHost(options: { timeoutMs?: number; maxThreads?: number; file?: string } = {}): ThreadEvaluationHost {
  const host = new ThreadEvaluationHost({
    location: { file: options.file ?? FIXTURE },
    timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
    maxThreads: options.maxThreads ?? 2,
    log: (line) => void log.push(line),
  });
  hosts.push(host);
  return host;
}

const sensorCall = (name: string) => ({ name, cursor: null, lastTickAt: null, events: [] });

/** Resolves once `check` is true; fails after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function skipReasonOf(outcome: SensorOutcome): string | undefined {
  return outcome.ok ? outcome.answer.skipReason : `failed: ${outcome.error.message}`;
}

beforeAll(() => {
  // Read by the fixture in the threads (which copy the environment when they start) and here.
  process.env.FIXTURE_TOKEN = TOKEN;
});
afterAll(() => {
  delete process.env.FIXTURE_TOKEN;
  delete process.env.FIXTURE_DIR;
});
beforeEach(() => {
  fixtureDir = mkdtempSync(path.join(os.tmpdir(), "sluice-evalthread-"));
  process.env.FIXTURE_DIR = fixtureDir;
  log = [];
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  rmSync(fixtureDir, { recursive: true, force: true });
});

describe("ThreadEvaluationHost", () => {
  it("runs functions in a thread of its own, which goes on after an error thrown outside any call", async () => {
    const host = newHost({ maxThreads: 1 });
    const first = skipReasonOf(await host.evaluateSensor(sensorCall("whoami")));
    expect(Number(first)).not.toBe(threadId);
    expect(skipReasonOf(await host.evaluateSensor(sensorCall("stray")))).toBe("returned before its errors");
    await until("both stray errors in the log", () => log.some((l) => l.includes("stray error from a timer")) && log.some((l) => l.includes("stray rejection")));
    expect(log.find((l) => l.includes("stray rejection"))).toMatch(/^error in user code or a background task \(the daemon keeps running\)/);
    expect(skipReasonOf(await host.evaluateSensor(sensorCall("whoami")))).toBe(first);
  });

  it("a function that ends its thread (process.exit) fails its evaluation; the next one runs in a fresh thread", async () => {
    const host = newHost({ maxThreads: 1 });
    const before = skipReasonOf(await host.evaluateSensor(sensorCall("whoami")));
    const exited = await host.evaluateSensor(sensorCall("exits"));
    expect(exited.ok).toBe(false);
    expect(!exited.ok && exited.error.message).toMatch(/^Sensor "exits" ended its evaluation thread with code 3 \(process\.exit\(\) in user code\?\)\. The evaluation failed; the next one starts a fresh thread\./);
    const after = skipReasonOf(await host.evaluateSensor(sensorCall("whoami")));
    expect(after).toMatch(/^\d+$/);
    expect(after).not.toBe(before);
  });

  it("a synchronous loop is stopped at the timeout, naming the sensor; an awaited call that never settles fails at the timeout and its thread goes on", async () => {
    const host = newHost({ maxThreads: 1 });
    const thread = skipReasonOf(await host.evaluateSensor(sensorCall("whoami")));
    const hung = await host.evaluateSensor(sensorCall("hangs"));
    expect(!hung.ok && hung.error.message).toMatch(/^Sensor "hangs" did not finish within/);
    // The thread's own timer failed the call: its resource was torn down, and the thread is the same.
    expect(readFileSync(path.join(fixtureDir, "resources.log"), "utf8")).toBe(`setup ${thread}\nteardown ${thread}\n`);
    expect(skipReasonOf(await host.evaluateSensor(sensorCall("whoami")))).toBe(thread);

    const started = Date.now();
    const spun = await host.evaluateSensor(sensorCall("spin"));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(!spun.ok && spun.error.message).toMatch(
      /^Sensor "spin" did not finish within 0\.5 s and kept its evaluation thread busy \(a synchronous loop\?\), so the thread was stopped\. Resources set up in that thread were not torn down; the next evaluation starts a fresh thread\./,
    );
    expect(!spun.ok && spun.error.code).toBe("USER_CODE_ERROR");
    expect(skipReasonOf(await host.evaluateSensor(sensorCall("whoami")))).not.toBe(thread);
  });

  it("a code location that fails to load fails the evaluations waiting, naming the file", async () => {
    const missing = path.join(fixtureDir, "nowhere.ts");
    const host = newHost({ file: missing });
    const outcome = await host.evaluateSensor(sensorCall("whoami"));
    expect(!outcome.ok && outcome.error.message).toMatch(/^Sensor "whoami" could not be evaluated: Definitions file .*nowhere\.ts does not exist/);
    expect(host.threadCount).toBe(0);
  });

  it("close() stops a thread stuck in a loop at once: the evaluation rejects with EvaluationHostClosedError", async () => {
    const host = newHost({ timeoutMs: 60_000 });
    const spinning = host.evaluateSensor(sensorCall("spin")).then(
      () => "evaluated",
      (err: unknown) => err,
    );
    await until("the loop to start", () => existsSync(path.join(fixtureDir, "spin-started")));
    const closing = Date.now();
    await host.close();
    expect(await spinning).toBeInstanceOf(EvaluationHostClosedError);
    expect(Date.now() - closing).toBeLessThan(5000);
    expect(host.threadCount).toBe(0);
    await expect(host.evaluateSensor(sensorCall("whoami"))).rejects.toBeInstanceOf(EvaluationHostClosedError);
  });
});

/** A storage of one backend in a place of its own. */
const BACKENDS: Record<"sqlite" | "postgres", () => Promise<{ storage: Storage; dispose(): Promise<void> }>> = {
  sqlite: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-evalthread-db-"));
    const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
    return { storage, dispose: async () => (await storage.close(), rmSync(dir, { recursive: true, force: true })) };
  },
  postgres: async () => {
    const schema = newTestSchemaName("evalthread");
    const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
    return { storage, dispose: async () => (await storage.close(), await dropTestSchemas([schema])) };
  },
};

describe.each(["sqlite", "postgres"] as const)("the daemon's loops with evaluation threads (%s storage)", (backendName) => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let defs: Definitions;

  beforeAll(async () => {
    // The daemon's side loads the same code location (as `sluice daemon` does).
    defs = (await loadDefinitions({ file: FIXTURE })).defs;
  });
  beforeEach(async () => {
    ({ storage, dispose } = await BACKENDS[backendName]());
  });
  afterEach(async () => {
    await dispose();
  });

  const start = (type: InstigatorType, ...names: string[]) => Promise.all(names.map((n) => storage.setInstigatorStatus(n, type, InstigatorStatus.Running)));
  const ticksOf = async (name: string): Promise<TickRecord[]> => (await storage.listTicks(name, { limit: 100 })).reverse();

  it("a sensor stuck in a loop fails its tick at the timeout, naming it, while another sensor keeps ticking", { timeout: 60_000 }, async () => {
    await start(InstigatorType.Sensor, "spin", "steady");
    const host = newHost();
    const daemon = new SensorDaemon({ storage, defs, host, tickWaitMs: 0, log: (line) => void log.push(line) });
    let spinTick: TickRecord | undefined;
    await until("the FAILURE tick of `spin`", async () => {
      await daemon.tick();
      spinTick = (await ticksOf("spin"))[0];
      return spinTick !== undefined;
    });
    await daemon.drain();
    expect(spinTick!.status).toBe(TickStatus.Failure);
    expect(spinTick!.error?.message).toMatch(/^Sensor "spin" did not finish within 0\.5 s/);
    // Evaluated while `spin` looped: started after it, recorded before its FAILURE was.
    const during = (await ticksOf("steady")).filter((t) => t.tickTime > spinTick!.tickTime && t.createdAt < spinTick!.createdAt);
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(during.every((t) => t.status === TickStatus.Skipped && t.skipReason === "steady")).toBe(true);
    expect(log).toContainEqual(expect.stringMatching(/^Sensor "spin" failed: Sensor "spin" did not finish within 0\.5 s/));
  });

  it("a schedule stuck in a loop fails its tick at the timeout, naming the schedule and the tick", { timeout: 60_000 }, async () => {
    // Started now: a clock a minute ahead finds one tick due.
    await start(InstigatorType.Schedule, "spin_schedule");
    const now = Date.now() + 61_000;
    await new Scheduler({ storage, defs, host: newHost(), now: () => new Date(now) }).tick();
    const [tick] = await ticksOf("spin_schedule");
    expect(tick?.status).toBe(TickStatus.Failure);
    expect(tick?.error?.message).toMatch(/^Schedule "spin_schedule" \(tick [0-9T:.-]+Z\) did not finish within 0\.5 s and kept its evaluation thread busy/);
    expect(tick?.runIds).toEqual([]);
  });

  it("the scheduler goes on while a schedule is stuck: another schedule's tick is done first, and the stuck one is not ticked twice", { timeout: 60_000 }, async () => {
    await start(InstigatorType.Schedule, "spin_schedule", "env_schedule");
    const now = Date.now() + 61_000;
    const scheduler = new Scheduler({ storage, defs, host: newHost({ timeoutMs: 2000 }), now: () => new Date(now), tickWaitMs: 0 });
    await scheduler.tick();
    await until("the tick of `env_schedule`", async () => (await ticksOf("env_schedule"))[0]?.status === TickStatus.Success);
    expect((await ticksOf("spin_schedule")).map((t) => t.status)).toEqual([TickStatus.Started]);
    // Nothing is due but the stuck tick, which is left alone: the daemon's loop sleeps.
    expect(scheduler.msUntilNextTick()).toBeGreaterThan(0);
    await scheduler.tick();
    await scheduler.drain();
    const spun = await ticksOf("spin_schedule");
    expect(spun.map((t) => t.status)).toEqual([TickStatus.Failure]);
    expect(spun[0]!.error?.message).toMatch(/did not finish within 2 s/);
  });

  it("EnvVars in a request's run config arrive as {\"env\": NAME}, are stored so, and their values never cross", { timeout: 60_000 }, async () => {
    const host = newHost();
    const outcome = await host.evaluateSensor(sensorCall("env_config"));
    expect(outcome).toEqual({ ok: true, answer: { requests: [{ runKey: "with-token", runConfig: { ops: { work: { config: { token: { env: "FIXTURE_TOKEN" } } } } } }] } });

    await start(InstigatorType.Sensor, "env_config");
    await start(InstigatorType.Schedule, "env_schedule");
    await new SensorDaemon({ storage, defs, host }).tick();
    const now = Date.now() + 61_000;
    await new Scheduler({ storage, defs, host, now: () => new Date(now) }).tick();
    const runs = await storage.listRuns({});
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.config).toEqual({ ops: { work: { config: { token: { env: "FIXTURE_TOKEN" } } } } });
      expect(JSON.stringify(run)).not.toContain(TOKEN);
    }
  });

  it("resources are set up and torn down in the thread; log lines and the tick's error come back with the secret masked", { timeout: 60_000 }, async () => {
    await start(InstigatorType.Sensor, "leaky");
    const host = newHost();
    await new SensorDaemon({ storage, defs, host, log: (line) => void log.push(line) }).tick();
    const [tick] = await ticksOf("leaky");
    expect(tick?.status).toBe(TickStatus.Failure);
    expect(tick?.error?.message).toBe('Sensor "leaky" threw: token ******** was refused');
    expect(log).toContain('Sensor "leaky" info: connecting with token ********');
    expect(JSON.stringify(tick) + log.join("\n")).not.toContain(TOKEN);
    const lines = readFileSync(path.join(fixtureDir, "resources.log"), "utf8").trim().split("\n");
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["setup", "teardown"]);
    expect(lines.every((l) => Number(l.split(" ")[1]) !== threadId)).toBe(true);
  });

  it("an asset sensor's function gets each materialization, its timestamp a Date", { timeout: 60_000 }, async () => {
    await start(InstigatorType.Sensor, "on_a");
    const host = newHost();
    const daemon = new SensorDaemon({ storage, defs, host, startedAt: new Date(Date.now() - 1000) });
    const valuesDir = path.join(fixtureDir, "storage");
    const run = await materializeAssets({ storage, valuesDir }, defs, { selection: "a" });
    await daemon.tick();
    const event = (await storage.getEventsAcrossRuns({ types: [EventType.AssetMaterialization], assetKeys: ["a"] })).find((e) => e.runId === run.runId);
    const runs = await storage.listRuns({ tags: { [SENSOR_NAME_TAG]: "on_a" } });
    expect(runs.map((r) => r.tags["sluice/run_key"])).toEqual([`m${event!.id}`]);
    expect(runs[0]!.tags.at).toBe(new Date(event!.timestamp).toISOString());
  });
});
