/**
 * The load test: a `sluice server` on an instance with 10,000 runs takes 1,000 concurrent
 * requests to each list route, answers every one with 200, still answers afterwards, and its peak
 * RSS (VmHWM) stays under 500 MB. An older run of job "big" carries tags and config as large as
 * the API accepts (what a list of runs can hold at most per run, now that larger input is refused);
 * `/api/runs?job=big` lists it. The overview counts all 2,500 queued runs without reading them.
 */
import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputLimits } from "../../src/definitions/input-limits.js";
import { Instance } from "../../src/instance/instance.js";
import { RunStatus, type NewRun } from "../../src/storage/records.js";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { api, SERVER_DEFS, ServerSandbox, type ServerProcess } from "./helpers.js";

const RUNS = 10_000;
const LARGEST = 1;
const CONCURRENT = 1_000;
const RSS_LIMIT_MB = 500;
const STATUSES = [RunStatus.Success, RunStatus.Failure, RunStatus.Queued, RunStatus.Canceled];

const sandbox = new ServerSandbox();
let server: ServerProcess;
let eventsRunId: string;

/** A run as the launchpad makes them: a little config, a tag on some. */
function ordinaryRun(i: number): NewRun {
  return {
    runId: randomUUID(),
    jobName: "__asset_job",
    selection: ["raw/source", "numbers", "total"],
    config: { ops: { "raw/source": { config: { count: (i % 10) + 1 } } } },
    tags: i % 10 === 0 ? { team: "data" } : {},
    status: STATUSES[i % STATUSES.length]!,
  };
}

/** A run with tags and config as large as the API accepts. */
function largestRun(): NewRun {
  const tagCount = Math.floor(InputLimits.tagsTotalLength / 1024);
  return {
    ...ordinaryRun(0),
    jobName: "big",
    tags: Object.fromEntries(Array.from({ length: tagCount }, (_, k) => [`t${String(k).padStart(3, "0")}`, "v".repeat(1024 - 4)])),
    config: { ops: { "raw/source": { config: { blob: "c".repeat(InputLimits.runConfigBytes - 100) } } } },
  };
}

function peakRssMb(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

beforeAll(async () => {
  assertBuilt();
  const started = Date.now();
  const instance = await Instance.open({ home: sandbox.home });
  try {
    const storage = instance.storage;
    for (let i = 0; i < LARGEST; i++) await storage.createRun(largestRun());
    // Through a tick: all in one transaction, where a createRun each commits 10,000 times.
    const tick = await storage.claimScheduleTick("load-test", started);
    await storage.createRunsForTick(tick.id, Array.from({ length: RUNS - LARGEST }, (_, i) => ordinaryRun(i)));
    eventsRunId = (await storage.listRuns({ limit: 1 }))[0]!.runId;
    await storage.storeEvents(Array.from({ length: 200 }, (_, i) => ({ runId: eventsRunId, type: "LOG" as const, level: "INFO" as const, message: `line ${i}` })));
    expect(await storage.countRuns()).toBe(RUNS);
  } finally {
    await instance.close();
  }
  console.log(`[measure] ${RUNS} runs stored in ${Date.now() - started} ms`);
  server = await sandbox.startServer("server", ["-f", SERVER_DEFS]);
}, 120_000);

afterAll(async () => {
  await sandbox.dispose();
  removeTempDirs();
});

/**
 * Fires `count` GET requests at once, each on a connection of its own as separate clients would;
 * resolves with how many got each status (errors by code), reading each body as it comes.
 */
async function burst(url: string, count: number): Promise<{ statuses: Record<string, number>; bytes: number }> {
  const statuses: Record<string, number> = {};
  let bytes = 0;
  const one = (): Promise<string> =>
    new Promise((resolve) => {
      const req = request(url, { agent: false }, (res) => {
        res.on("data", (chunk: Buffer) => (bytes += chunk.length));
        res.on("end", () => resolve(String(res.statusCode)));
        res.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
      req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end();
    });
  for (const outcome of await Promise.all(Array.from({ length: count }, one))) statuses[outcome] = (statuses[outcome] ?? 0) + 1;
  return { statuses, bytes };
}

describe(`${CONCURRENT} concurrent requests to each list route, ${RUNS} runs`, () => {
  it(`answers every one with 200, keeps answering, and stays under ${RSS_LIMIT_MB} MB`, { timeout: 180_000 }, async () => {
    const routes = ["/api/runs?job=big", "/api/runs", "/api/overview", "/api/assets", "/api/schedules", "/api/sensors", `/api/runs/${eventsRunId}/events`];
    const pid = server.child.pid!;
    for (const route of routes) {
      const started = Date.now();
      const { statuses, bytes } = await burst(`${server.url}${route}`, CONCURRENT);
      console.log(`[measure] ${route}: ${JSON.stringify(statuses)}, ${Math.round(bytes / CONCURRENT / 1024)} KB each, ${Date.now() - started} ms, peak RSS ${peakRssMb(pid).toFixed(0)} MB`);
      expect(statuses, route).toEqual({ "200": CONCURRENT });
    }
    const overview = await api(server.url, "GET", "/api/overview");
    expect(overview.body.queued).toBe(RUNS / STATUSES.length);
    const health = await api(server.url, "GET", "/api/health");
    expect(health.status).toBe(200);
    expect(server.child.exitCode).toBeNull();
    expect(peakRssMb(pid)).toBeLessThan(RSS_LIMIT_MB);
  });
});
