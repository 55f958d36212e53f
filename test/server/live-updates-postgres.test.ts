/**
 * Issue 5, part 5: live updates across machines. Two `sluice server` replicas (web server only, no
 * daemon in them) and one `sluice worker`, each with a home of its own as if on its own machine,
 * share one Postgres instance (a fresh schema of the test database). A run launched through one
 * replica's API is executed by the worker; both replicas' event streams (GET /api/events/stream)
 * carry its every event and its status changes, promptly: the SUCCESS `run` message within a
 * bound of the run's end.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../../src/storage/testing/postgres-test-schemas.js";
import { assertBuilt, CLI, removeTempDirs, stripAnsi } from "../cli/helpers.js";
import { api, openStream, SERVER_DEFS, ServerSandbox, waitFor, type SseClient, type SseMessage } from "./helpers.js";

/** A replica must show the run's SUCCESS this soon after the run ended (it polls every 250 ms). */
const LIVE_BOUND_MS = 5000;

const sandbox = new ServerSandbox();
const schema = newTestSchemaName("live");

beforeAll(assertBuilt);

afterAll(async () => {
  await sandbox.dispose();
  await dropTestSchemas([schema]);
  removeTempDirs();
});

/** A home as another machine would have it: its own directory, the shared instance's sluice.yaml. */
function machineHome(name: string): string {
  const home = path.join(sandbox.root, name);
  mkdirSync(home, { recursive: true });
  writeFileSync(
    path.join(home, "sluice.yaml"),
    `storage:\n  postgres:\n    url: ${JSON.stringify(TEST_POSTGRES_URL)}\n    schema: ${schema}\nrun_queue:\n  executed_by: workers\n`,
  );
  return home;
}

/** Arrival time (ms since epoch) of each message, recorded as it comes. */
function stamp(client: SseClient): Map<SseMessage, number> {
  const arrived = new Map<SseMessage, number>();
  const push = client.messages.push.bind(client.messages);
  client.messages.push = (...items: SseMessage[]) => {
    for (const item of items) arrived.set(item, Date.now());
    return push(...items);
  };
  return arrived;
}

describe("live updates across machines (Postgres)", () => {
  it("two server replicas both stream the events and status changes of a run that a worker elsewhere executes", { timeout: 120_000 }, async () => {
    const replicas = [
      await sandbox.startServer("server", ["-f", SERVER_DEFS], { home: machineHome("replica-a") }),
      await sandbox.startServer("server", ["-f", SERVER_DEFS], { home: machineHome("replica-b") }),
    ];
    for (const replica of replicas) {
      const health = await api(replica.url, "GET", "/api/health");
      expect(health.body).toMatchObject({ ok: true, mode: "server", daemonInProcess: false });
    }
    const streams = await Promise.all(replicas.map((r) => openStream(r.url)));
    const arrivals = streams.map(stamp);
    for (const stream of streams) await stream.waitFor("ready", (m) => m.event === "ready");

    // The worker: another process with another home, sharing only the database.
    let workerLog = "";
    const worker = spawn(process.execPath, [CLI, "worker", "-f", SERVER_DEFS, "--home", machineHome("worker"), "--poll-interval", "0.2"], {
      cwd: sandbox.root,
      env: sandbox.env(),
      stdio: ["ignore", "ignore", "pipe"],
    });
    worker.stderr!.on("data", (chunk: Buffer) => (workerLog += chunk.toString()));
    await waitFor("the worker to start", () => workerLog.includes("started:"), 60_000);

    sandbox.setFlag("sleep", "1000");
    const launched = await api(replicas[0]!.url, "POST", "/api/runs", { selection: "*", tags: { source: "live-test" } });
    expect(launched.status, JSON.stringify(launched.body)).toBe(201);
    const runId: string = launched.body.run.runId;

    const successes = await Promise.all(
      streams.map((stream, i) =>
        stream.waitFor(`the SUCCESS of run ${runId} on replica ${i}`, (m) => m.event === "run" && m.data.runId === runId && m.data.status === "SUCCESS", 60_000).catch((err: Error) => {
          throw new Error(`${err.message}\n--- replica ${i} log\n${replicas[i]!.log()}\n--- worker log\n${stripAnsi(workerLog)}`);
        }),
      ),
    );
    const run = (await api(replicas[1]!.url, "GET", `/api/runs/${runId}`)).body.run;
    expect(run.status).toBe("SUCCESS");
    expect(run.workerId, "executed by the worker, not by a server").toMatch(/^worker:/);
    const endedAt = Date.parse(run.endedAt);
    const stored = (await api(replicas[0]!.url, "GET", `/api/runs/${runId}/events`)).body.events as { id: number; type: string }[];
    expect(stored.map((e) => e.type)).toEqual(expect.arrayContaining(["RUN_START", "STEP_START", "ASSET_MATERIALIZATION", "RUN_SUCCESS"]));

    for (const [i, stream] of streams.entries()) {
      const lagMs = arrivals[i]!.get(successes[i]!)! - endedAt;
      console.log(`[measure] replica ${i}: the run's SUCCESS arrived ${lagMs} ms after the run ended on the worker`);
      expect(lagMs, `replica ${i}`).toBeLessThan(LIVE_BOUND_MS);
      // Every event the worker stored, in order, once: none missed, none repeated.
      const events = stream.messages.filter((m) => m.event === "event" && m.data.runId === runId);
      expect(events.map((m) => m.data.id), `the events streamed by replica ${i}`).toEqual(stored.map((e) => e.id));
      const endEvent = events.find((m) => m.data.type === "RUN_SUCCESS")!;
      expect(arrivals[i]!.get(endEvent)! - endedAt, `RUN_SUCCESS event on replica ${i}`).toBeLessThan(LIVE_BOUND_MS);
      // Status changes in order, the run's end among them.
      const order = ["QUEUED", "STARTING", "STARTED", "SUCCESS"];
      const statuses = stream.messages.filter((m) => m.event === "run" && m.data.runId === runId).map((m) => m.data.status as string);
      expect(statuses.length, `statuses seen by replica ${i}: ${statuses.join(", ")}`).toBeGreaterThanOrEqual(2);
      expect(statuses.map((s) => order.indexOf(s))).toEqual([...statuses.map((s) => order.indexOf(s))].sort((a, b) => a - b));
      stream.close();
    }

    worker.kill("SIGTERM");
    await new Promise((resolve) => worker.once("exit", resolve));
  });
});
