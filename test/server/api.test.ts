/**
 * The HTTP API against a real `sluice dev` (server + daemon + run workers) on an ephemeral port,
 * with real SQLite: definitions snapshot, input validation (400 + path), runs launched over HTTP
 * and executed by the daemon, live updates over SSE, cancel, re-execution, schedules, sensors,
 * overview.
 */
import { rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { api, openStream, SECRET, SERVER_DEFS, ServerSandbox, waitFor, waitForRun, type ServerProcess } from "./helpers.js";

beforeAll(assertBuilt);

const sandbox = new ServerSandbox();
let dev: ServerProcess;
let url: string;

beforeAll(async () => {
  dev = await sandbox.startServer("dev", ["-f", SERVER_DEFS]);
  url = dev.url;
});

afterAll(async () => {
  await sandbox.dispose();
  removeTempDirs();
});

describe("health, definitions and the UI page", () => {
  it("GET /api/health says the server, daemon and definitions are up", async () => {
    const res = await api(url, "GET", "/api/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, mode: "dev", pid: dev.child.pid, home: sandbox.home, daemonInProcess: true });
    expect(res.body.definitions).toMatchObject({ loaded: true, generation: 1, loadError: null, source: SERVER_DEFS });
  });

  it("GET /api/definitions returns the snapshot: assets, groups, jobs with edges, schedules, sensors, resources", async () => {
    const res = await api(url, "GET", "/api/definitions");
    expect(res.status).toBe(200);
    const snap = res.body.snapshot;
    expect(snap.assets.map((a: any) => a.key)).toEqual(["raw/source", "numbers", "total", "lonely"]);
    const source = snap.assets[0];
    expect(source).toMatchObject({ group: "ingest", kinds: ["json"], owners: ["team:data"], tags: { tier: "bronze" }, children: ["numbers"], jobs: ["everything"] });
    expect(source.metadata.docs).toEqual({ type: "text", value: "https://example.com/source" });
    expect(source.config.jsonSchema).toMatchObject({ type: "object", properties: { count: { type: "integer", default: 3 } } });
    expect(snap.assets[1]).toMatchObject({ key: "numbers", deps: ["raw/source"], ins: { values: "raw/source" }, resources: ["api"] });
    expect(snap.groups).toEqual([
      { name: "ingest", assetKeys: ["raw/source"] },
      { name: "transform", assetKeys: ["numbers", "total"] },
      { name: "other", assetKeys: ["lonely"] },
    ]);
    const hello = snap.jobs.find((j: any) => j.name === "hello");
    expect(hello).toMatchObject({ type: "op", description: "Greets someone.", tags: { kind: "ops" }, edges: [{ from: "greet", to: "shout", input: "text" }] });
    expect(hello.steps.map((s: any) => s.key)).toEqual(["greet", "shout"]);
    expect(hello.steps[0].config.jsonSchema).toMatchObject({ properties: { name: { type: "string" } }, required: ["name"] });
    expect(hello.runConfigSchema.properties.ops.properties.greet.properties.config.required).toEqual(["name"]);
    const everything = snap.jobs.find((j: any) => j.name === "everything");
    expect(everything.edges).toContainEqual({ from: "raw/source", to: "numbers", input: "values" });
    expect(snap.schedules).toEqual([
      expect.objectContaining({ name: "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin", jobName: "everything", defaultStatus: "STOPPED" }),
    ]);
    expect(snap.sensors).toEqual([expect.objectContaining({ name: "watcher", type: "standard", jobName: "hello", minimumIntervalSeconds: 1 })]);
    const apiResource = snap.resources.find((r: any) => r.name === "api");
    expect(apiResource.values).toEqual({ baseUrl: "https://api.example.com", apiKey: { env: "SERVER_FIXTURE_API_KEY" } });
    expect(apiResource.config.jsonSchema.required).toEqual(["baseUrl", "apiKey"]);
  });

  it("never shows the value of an environment variable", async () => {
    for (const p of ["/api/definitions", "/api/assets", "/api/overview", "/api/runs"]) {
      const res = await fetch(`${url}${p}`);
      expect(await res.text(), p).not.toContain(SECRET);
    }
  });

  it("GET / answers with the UI, or a page listing the API when the UI is not built", async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const text = await res.text();
    if (text.includes("The web UI is not built")) expect(text).toContain("/api/events/stream");
  });
});

describe("input validation and errors", () => {
  const cases: [string, string, string, unknown, number, string, string | undefined][] = [
    ["neither selection nor job", "POST", "/api/runs", {}, 400, "INVALID_INPUT", "body.selection"],
    ["both selection and job", "POST", "/api/runs", { selection: "*", job: "hello" }, 400, "INVALID_INPUT", "body.selection"],
    ["a selection of the wrong type", "POST", "/api/runs", { selection: 5 }, 400, "INVALID_INPUT", "body.selection"],
    ["an unknown field", "POST", "/api/runs", { job: "hello", jobx: 1 }, 400, "INVALID_INPUT", "body.jobx"],
    ["tags that are not strings", "POST", "/api/runs", { selection: "*", tags: { team: 1 } }, 400, "INVALID_INPUT", "body.tags.team"],
    ["a selection matching nothing", "POST", "/api/runs", { selection: "key:nope*" }, 400, "SELECTION_ERROR", "body.selection"],
    ["an unknown asset key", "POST", "/api/runs", { selection: ["nope"] }, 400, "SELECTION_ERROR", "body.selection"],
    ["an unknown job", "POST", "/api/runs", { job: "nope" }, 400, "INVALID_INPUT", "body.job"],
    ["config failing its schema", "POST", "/api/runs", { selection: "raw/source", config: { ops: { "raw/source": { config: { count: "three" } } } } }, 400, "CONFIG_ERROR", "ops.raw/source.config.count"],
    ["op config missing a field", "POST", "/api/runs", { job: "hello" }, 400, "CONFIG_ERROR", "ops.greet.config.name"],
    ["config for an unknown op", "POST", "/api/runs", { job: "hello", config: { ops: { nope: { config: {} } } } }, 400, "CONFIG_ERROR", "ops.nope"],
    ["a bad limit", "GET", "/api/runs?limit=0", undefined, 400, "INVALID_INPUT", "query.limit"],
    ["a bad status", "GET", "/api/runs?status=DONE", undefined, 400, "INVALID_INPUT", "query.status"],
    ["a bad tag filter", "GET", "/api/runs?tag=team", undefined, 400, "INVALID_INPUT", "query.tag"],
    ["a bad cursor", "GET", "/api/runs?cursor=xyz", undefined, 400, "INVALID_INPUT", "query.cursor"],
    ["a cursor after a run that no longer exists", "GET", `/api/runs?cursor=${Buffer.from('{"before":"gone"}').toString("base64url")}`, undefined, 400, "INVALID_INPUT", "query.cursor"],
    ["an unknown run", "GET", "/api/runs/no-such-run", undefined, 404, "RUN_NOT_FOUND", undefined],
    ["events of an unknown run", "GET", "/api/runs/no-such-run/events", undefined, 404, "RUN_NOT_FOUND", undefined],
    ["cancel of an unknown run", "POST", "/api/runs/no-such-run/cancel", undefined, 404, "RUN_NOT_FOUND", undefined],
    ["re-execution of an unknown run", "POST", "/api/runs/no-such-run/reexecute", {}, 404, "RUN_NOT_FOUND", undefined],
    ["an unknown schedule", "GET", "/api/schedules/nope", undefined, 404, "NOT_FOUND", "params.name"],
    ["starting an unknown sensor", "POST", "/api/sensors/nope/start", undefined, 404, "NOT_FOUND", "params.name"],
    ["an unknown asset", "GET", "/api/assets/no/such/asset", undefined, 404, "NOT_FOUND", "params.key"],
    ["an unknown endpoint", "GET", "/api/nope", undefined, 404, "NOT_FOUND", undefined],
  ];
  it.each(cases)("%s → %i", async (_what, method, p, body, status, code, errPath) => {
    const res = await api(url, method, p, body);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.body.error.code).toBe(code);
    expect(typeof res.body.error.message).toBe("string");
    if (errPath === undefined) expect(res.body.error.path).toBeUndefined();
    else expect(res.body.error.path).toBe(errPath);
  });

  it("a body that is not JSON → 400 INVALID_JSON", async () => {
    const res = await api(url, "POST", "/api/runs", "{selection:");
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "INVALID_JSON", path: "body" });
  });

  it("a config error creates no run", async () => {
    const before = (await api(url, "GET", "/api/runs?limit=1000")).body.runs.length;
    await api(url, "POST", "/api/runs", { job: "hello" });
    expect((await api(url, "GET", "/api/runs?limit=1000")).body.runs.length).toBe(before);
  });

  it("refuses cross-origin requests and foreign Host names (no token set)", async () => {
    const cross = await api(url, "POST", "/api/reload", undefined, { origin: "http://evil.example" });
    expect(cross.status).toBe(403);
    expect(cross.body.error.code).toBe("FORBIDDEN");
    const sameOrigin = await api(url, "GET", "/api/health", undefined, { origin: url });
    expect(sameOrigin.status).toBe(200);
    // fetch() cannot set Host; a DNS-rebinding page would reach us under its own name.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${url}/api/health`, { headers: { host: "evil.example:80" } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      req.end();
    });
    expect(rebinding).toBe(403);
  });
});

describe("runs launched over HTTP", () => {
  let materializeRunId: string;

  it("POST /api/runs queues a run; the daemon inside dev runs it to SUCCESS; SSE carries its status changes and events", async () => {
    const stream = await openStream(url);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toContain("text/event-stream");
    await stream.waitFor("ready", (m) => m.event === "ready");
    const res = await api(url, "POST", "/api/runs", { selection: "*", config: { ops: { "raw/source": { config: { count: 4 } } } }, tags: { source: "test" } });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({ status: "QUEUED", jobName: "__asset_job", selection: ["raw/source", "numbers", "total", "lonely"], selectionExpression: "*", tags: { source: "test" } });
    materializeRunId = res.body.run.runId;
    const run = await waitForRun(url, materializeRunId, ["SUCCESS", "FAILURE", "CANCELED"]);
    expect(run.status).toBe("SUCCESS");
    // Steps are listed in the order they started, and independent ones run concurrently.
    expect(Object.fromEntries(run.steps.map((s: any) => [s.key, s.status]))).toEqual({ "raw/source": "SUCCESS", numbers: "SUCCESS", total: "SUCCESS", lonely: "SUCCESS" });

    const done = await stream.waitFor("SUCCESS of the run", (m) => m.event === "run" && m.data.runId === materializeRunId && m.data.status === "SUCCESS");
    const statuses = stream.messages.filter((m) => m.event === "run" && m.data.runId === materializeRunId).map((m) => m.data.status);
    const order = ["QUEUED", "STARTING", "STARTED", "SUCCESS"];
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.map((s) => order.indexOf(s))).toEqual([...statuses.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    const events = stream.messages.filter((m) => m.event === "event" && m.data.runId === materializeRunId);
    expect(events.map((m) => m.data.type)).toEqual(expect.arrayContaining(["RUN_START", "STEP_START", "ASSET_MATERIALIZATION", "RUN_SUCCESS"]));
    const ids = events.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(events.every((m) => m.data.id === Number(m.id))).toBe(true);
    expect(Number(done.id)).toBeGreaterThanOrEqual(Math.max(...ids));
    stream.close();
  });

  it("GET /api/runs/:id/events returns the events in order, and afterId tails them", async () => {
    const all = await api(url, "GET", `/api/runs/${materializeRunId}/events`);
    expect(all.status).toBe(200);
    expect(all.body.runStatus).toBe("SUCCESS");
    const events = all.body.events;
    expect(events[0].type).toBe("RUN_START");
    expect(events[events.length - 1].type).toBe("RUN_SUCCESS");
    expect(events.find((e: any) => e.type === "LOG" && e.stepKey === "raw/source").message).toContain("making 4 numbers");
    const middle = events[2].id;
    const tail = await api(url, "GET", `/api/runs/${materializeRunId}/events?afterId=${middle}`);
    expect(tail.body.events.map((e: any) => e.id)).toEqual(events.filter((e: any) => e.id > middle).map((e: any) => e.id));
    expect(tail.body.lastEventId).toBe(events[events.length - 1].id);
  });

  it("GET /api/assets shows each asset's latest materialization and status", async () => {
    const res = await api(url, "GET", "/api/assets");
    expect(res.status).toBe(200);
    const byKey = Object.fromEntries(res.body.assets.map((a: any) => [a.key, a]));
    for (const key of ["raw/source", "numbers", "total", "lonely"]) {
      expect(byKey[key].status, key).toBe("MATERIALIZED");
      expect(byKey[key].latestMaterialization.runId).toBe(materializeRunId);
      expect(byKey[key].latestRun).toMatchObject({ runId: materializeRunId, status: "SUCCESS" });
    }
    expect(byKey.numbers.latestMaterialization.metadata).toMatchObject({ count: { type: "int", value: 4 } });
  });

  it("GET /api/assets/:key (keys with slashes) gives the history and numeric metadata series", async () => {
    await waitForRun(url, (await api(url, "POST", "/api/runs", { selection: ["raw/source", "numbers"], config: { ops: { "raw/source": { config: { count: 2 } } } } })).body.run.runId, ["SUCCESS"]);
    const res = await api(url, "GET", "/api/assets/numbers");
    expect(res.status).toBe(200);
    expect(res.body.asset.key).toBe("numbers");
    expect(res.body.materializations).toHaveLength(2);
    expect(res.body.numericSeries.count.map((p: any) => p.value)).toEqual([4, 2]);
    expect(res.body.numericSeries.mean.map((p: any) => p.value)).toEqual([2.5, 1.5]);
    expect(res.body.recentRuns.length).toBe(2);
    const nested = await api(url, "GET", "/api/assets/raw/source");
    expect(nested.status).toBe(200);
    expect(nested.body.asset).toMatchObject({ key: "raw/source", group: "ingest" });
  });

  it("POST /api/runs with a job and op config runs the job; GET /api/runs filters by status, job and tag, and pages", async () => {
    const res = await api(url, "POST", "/api/runs", { job: "hello", config: { ops: { greet: { config: { name: "ada" } } } }, tags: { team: "data" } });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({ jobName: "hello", selection: ["greet", "shout"], tags: { kind: "ops", team: "data" }, config: { ops: { greet: { config: { name: "ada" } } } } });
    const run = await waitForRun(url, res.body.run.runId, ["SUCCESS", "FAILURE"]);
    expect(run.status).toBe("SUCCESS");

    const byJob = await api(url, "GET", "/api/runs?job=hello");
    expect(byJob.body.runs.map((r: any) => r.runId)).toEqual([run.runId]);
    const byTag = await api(url, "GET", "/api/runs?tag=team:data&tag=kind:ops");
    expect(byTag.body.runs.map((r: any) => r.runId)).toEqual([run.runId]);
    expect((await api(url, "GET", "/api/runs?tag=team:other")).body.runs).toEqual([]);
    const bySuccess = await api(url, "GET", "/api/runs?status=success,failure");
    expect(bySuccess.body.runs.length).toBeGreaterThanOrEqual(3);

    const all = (await api(url, "GET", "/api/runs?limit=100")).body.runs.map((r: any) => r.runId);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api(url, "GET", `/api/runs?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.body.runs.length).toBeLessThanOrEqual(1);
      paged.push(...page.body.runs.map((r: any) => r.runId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
  });

  it("a failed run shows its asset as FAILED, and POST /reexecute {fromFailure} re-runs only what failed", async () => {
    sandbox.setFlag("fail");
    const failed = await waitForRun(url, (await api(url, "POST", "/api/runs", { selection: "*" })).body.run.runId, ["FAILURE", "SUCCESS"]);
    expect(failed.status).toBe("FAILURE");
    const assets = Object.fromEntries((await api(url, "GET", "/api/assets")).body.assets.map((a: any) => [a.key, a]));
    expect(assets.numbers.status).toBe("FAILED");
    expect(assets["raw/source"].status).toBe("MATERIALIZED");
    rmSync(path.join(sandbox.fixtureDir, "fail"));

    const again = await api(url, "POST", `/api/runs/${failed.runId}/reexecute`, { fromFailure: true });
    expect(again.status).toBe(201);
    expect(again.body.run).toMatchObject({ status: "QUEUED", parentRunId: failed.runId, selection: ["numbers", "total"], tags: { "sluice/reexecution": "from_failure" } });
    expect((await waitForRun(url, again.body.run.runId, ["SUCCESS", "FAILURE"])).status).toBe("SUCCESS");
    expect((await api(url, "GET", "/api/assets")).body.assets.find((a: any) => a.key === "numbers").status).toBe("MATERIALIZED");

    const nothingLeft = await api(url, "POST", `/api/runs/${again.body.run.runId}/reexecute`, { fromFailure: true });
    expect(nothingLeft.status).toBe(400);
    expect(nothingLeft.body.error.code).toBe("USAGE_ERROR");
  });

  it("POST /cancel stops a running run (CANCELING → CANCELED); canceling a finished run is a 409", async () => {
    sandbox.setFlag("slow");
    try {
      const runId = (await api(url, "POST", "/api/runs", { selection: "+numbers" })).body.run.runId;
      await waitFor("the slow step to start", async () => {
        const run = (await api(url, "GET", `/api/runs/${runId}`)).body.run;
        return run.steps.some((s: any) => s.key === "numbers" && s.status === "IN_PROGRESS");
      });
      const cancel = await api(url, "POST", `/api/runs/${runId}/cancel`);
      expect(cancel.status).toBe(200);
      expect(cancel.body.outcome).toBe("CANCELING");
      expect((await waitForRun(url, runId, ["CANCELED", "FAILURE", "SUCCESS"])).status).toBe("CANCELED");
      const again = await api(url, "POST", `/api/runs/${runId}/cancel`);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe("CONFLICT");
    } finally {
      rmSync(path.join(sandbox.fixtureDir, "slow"));
    }
  });

  it("GET /api/events/stream with Last-Event-ID sends the events missed since then first", async () => {
    const events = (await api(url, "GET", `/api/runs/${materializeRunId}/events`)).body.events;
    const from = events[3].id;
    const stream = await openStream(url, "", { "last-event-id": String(from) });
    const ready = await stream.waitFor("ready", (m) => m.event === "ready");
    expect(ready.data).toMatchObject({ resumed: true, lastEventId: from });
    await stream.waitFor("a replayed event", (m) => m.event === "event" && m.data.id === events[4].id);
    const replayed = stream.messages.filter((m) => m.event === "event").map((m) => m.data.id);
    expect(replayed[0]).toBe(from + 1);
    expect(replayed).toEqual([...replayed].sort((a, b) => a - b));
    stream.close();

    const one = await openStream(url, `?runId=${materializeRunId}&afterId=0`);
    await one.waitFor("the run's last event", (m) => m.event === "event" && m.data.type === "RUN_SUCCESS");
    expect(one.messages.filter((m) => m.event === "event").every((m) => m.data.runId === materializeRunId)).toBe(true);
    expect(one.messages.filter((m) => m.event === "event")).toHaveLength(events.length);
    one.close();
  });
});

describe("schedules and sensors", () => {
  it("lists schedules with status and next tick; start and stop them; shows the next ticks in their time zone", async () => {
    const list = await api(url, "GET", "/api/schedules");
    expect(list.status).toBe(200);
    expect(list.body.schedules).toEqual([expect.objectContaining({ name: "nightly", status: "STOPPED", state: null, ticks: [] })]);
    const started = await api(url, "POST", "/api/schedules/nightly/start");
    expect(started.status).toBe(200);
    expect(started.body.schedule).toMatchObject({ name: "nightly", status: "RUNNING", state: { status: "RUNNING" } });
    const detail = await api(url, "GET", "/api/schedules/nightly?nextTicks=3");
    expect(detail.body.schedule.status).toBe("RUNNING");
    expect(detail.body.schedule.nextTicks).toHaveLength(3);
    for (const t of detail.body.schedule.nextTicks) {
      // 03:00 in Berlin is 01:00 or 02:00 UTC, depending on summer time.
      expect(t).toMatch(/T0[12]:00:00\.000Z$/);
      expect(Date.parse(t)).toBeGreaterThan(Date.now());
    }
    const stopped = await api(url, "POST", "/api/schedules/nightly/stop");
    expect(stopped.body.schedule.status).toBe("STOPPED");
    expect((await api(url, "POST", "/api/schedules/nightly/pause")).status).toBe(404);
  });

  it("lists sensors with cursor; start one and see its ticks; stop it", async () => {
    const list = await api(url, "GET", "/api/sensors");
    expect(list.body.sensors).toEqual([expect.objectContaining({ name: "watcher", status: "STOPPED", cursor: null })]);
    expect((await api(url, "POST", "/api/sensors/watcher/start")).body.sensor.status).toBe("RUNNING");
    const ticked = await waitFor(
      "the sensor's first tick",
      async () => {
        const res = await api(url, "GET", "/api/sensors/watcher");
        return res.body.sensor.ticks.length > 0 ? res.body.sensor : undefined;
      },
      30_000,
      250,
    );
    expect(ticked.ticks[0]).toMatchObject({ status: "SKIPPED", runIds: [] });
    expect(ticked.lastTickAt).toEqual(ticked.ticks[0].tickTime);
    expect((await api(url, "POST", "/api/sensors/watcher/stop")).body.sensor.status).toBe("STOPPED");
  });

  it("user code that throws outside any await (a sensor's timer) does not take the server down", async () => {
    sandbox.setFlag("crash");
    try {
      await api(url, "POST", "/api/sensors/watcher/start");
      await waitFor("the crash to be logged", () => dev.log().includes("sensor crashed from a timer"), 30_000, 100);
      expect(dev.log()).toContain("the server keeps running");
      expect((await api(url, "GET", "/api/health")).status).toBe(200);
      expect(dev.child.exitCode).toBeNull();
    } finally {
      await api(url, "POST", "/api/sensors/watcher/stop");
      rmSync(path.join(sandbox.fixtureDir, "crash"));
    }
  });
});

describe("overview", () => {
  it("GET /api/overview gives recent runs, recent failures and healthy daemon heartbeats", async () => {
    const res = await api(url, "GET", "/api/overview");
    expect(res.status).toBe(200);
    expect(res.body.recentRuns.length).toBeGreaterThan(0);
    expect(res.body.recentFailures.length).toBeGreaterThanOrEqual(1);
    expect(res.body.recentFailures.every((r: any) => r.status === "FAILURE")).toBe(true);
    expect(res.body.daemon).toMatchObject({ running: true, healthy: true, inProcess: true });
    const types = res.body.daemon.heartbeats.map((h: any) => h.daemonType);
    expect(types).toEqual(expect.arrayContaining(["scheduler", "sensor", "run_coordinator", "run_monitor", "run_retries"]));
    expect(res.body.daemon.heartbeats.every((h: any) => h.health === "HEALTHY")).toBe(true);
    expect(res.body.definitions).toMatchObject({ loaded: true, counts: { assets: 4, jobs: 2, schedules: 1, sensors: 1 } });
  });
});
