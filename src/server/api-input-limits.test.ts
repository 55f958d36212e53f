/**
 * What the API refuses before anything is stored: a state-changing request that is not
 * `application/json` (415) or comes from an opaque origin (403), a body over 1 MB (413), tags,
 * config and selections over the limits of input-limits.ts (400 naming the field); and how much
 * list routes return at most.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { job } from "../definitions/job.js";
import { op } from "../definitions/op.js";
import type { TempTarget } from "../runs/testing/temp-target.js";
import { inProcessApp } from "./testing/in-process-app.js";
import type { createApp } from "./app.js";

const source = asset({ key: "source", run: () => 1 });
const report = asset({ key: "report", ins: { source }, run: ({ source: n }) => n + 1 });
const hello = job({ name: "hello", ops: [op({ name: "greet", run: () => "hi" })] });
const defs = defineDefinitions({ assets: [source, report], jobs: [hello] });

let target: TempTarget;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  ({ target, app } = await inProcessApp(defs));
});

afterAll(async () => {
  await target.dispose();
});

const HOST = { host: "127.0.0.1:3000" };

function post(path: string, body: string | undefined, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Response> {
  return Promise.resolve(app.request(path, { method: "POST", headers: { ...HOST, ...headers }, ...(body !== undefined ? { body } : {}) }));
}

async function errorOf(res: Response): Promise<{ code: string; message: string; path?: string }> {
  return ((await res.json()) as { error: { code: string; message: string; path?: string } }).error;
}

async function runCount(): Promise<number> {
  return (await target.storage.listRuns()).length;
}

describe("cross-site requests", () => {
  it.each([
    ["text/plain (a no-cors fetch or a form)", { "content-type": "text/plain;charset=UTF-8" }],
    ["a form", { "content-type": "application/x-www-form-urlencoded" }],
    ["multipart", { "content-type": "multipart/form-data; boundary=x" }],
    ["no content type", {}],
    ["a JSON look-alike", { "content-type": "application/jsonp" }],
  ])("POST /api/runs as %s → 415 naming application/json, and no run", async (_what, headers) => {
    const res = await post("/api/runs", JSON.stringify({ job: "hello" }), headers);
    expect(res.status).toBe(415);
    const error = await errorOf(res);
    expect(error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(error.message).toContain('"Content-Type: application/json"');
    expect(await runCount()).toBe(0);
  });

  it("requires the JSON content type on a POST without a body too (a no-cors fetch sends none)", async () => {
    const run = await target.storage.createRun({ runId: randomUUID(), jobName: "hello", selection: ["greet"] });
    const res = await post(`/api/runs/${run.runId}/cancel`, undefined, {});
    expect(res.status).toBe(415);
    expect((await errorOf(res)).message).toContain("none was sent");
    expect((await target.storage.getRun(run.runId))?.status).toBe("QUEUED");
    const ok = await post(`/api/runs/${run.runId}/cancel`, undefined, { "Content-Type": "Application/JSON; charset=utf-8" });
    expect(ok.status).toBe(200);
    expect((await target.storage.getRun(run.runId))?.status).toBe("CANCELED");
  });

  it("refuses Origin: null on state-changing requests (403), not on reads", async () => {
    const before = await runCount();
    const res = await post("/api/runs", JSON.stringify({ job: "hello" }), { "content-type": "application/json", origin: "null" });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toContain("opaque origin");
    expect(await runCount()).toBe(before);
    const read = await app.request("/api/runs", { headers: { ...HOST, origin: "null" } });
    expect(read.status).toBe(200);
  });
});

describe("oversized input", () => {
  it("answers 413 for a body over 1 MB, declared or streamed, and stores nothing", async () => {
    const before = await runCount();
    const big = JSON.stringify({ job: "hello", tags: { note: "x".repeat(20 * 1024 * 1024) } });
    const declared = await post("/api/runs", big);
    expect(declared.status).toBe(413);
    expect(await errorOf(declared)).toMatchObject({ code: "PAYLOAD_TOO_LARGE", path: "body", message: expect.stringContaining("1,048,576 bytes") });
    const chunks = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < chunks.length; at += 64 * 1024) controller.enqueue(chunks.subarray(at, at + 64 * 1024));
        controller.close();
      },
    });
    const streamed = await app.request("/api/runs", { method: "POST", headers: { ...HOST, "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await runCount()).toBe(before);
  });

  it.each<[string, string, string, unknown]>([
    ["a tag value of 5,000 characters", "body.tags.note", "at most 4,096", { job: "hello", tags: { team: "data", note: "x".repeat(5_000) } }],
    ["101 tags", "body.tags", "101 tags", { job: "hello", tags: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"])) }],
    ["config of 300 KB", "body.config", "at most 262,144", { selection: "*", config: { ops: { source: { config: { blob: "x".repeat(300_000) } } } } }],
    ["config nested 100,000 deep", "body.config", "nested more than 32", `{"selection": "*", "config": ${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`],
    ["10,001 asset keys", "body.selection", "at most 10,000", { selection: Array.from({ length: 10_001 }, (_, i) => `k${i}`) }],
    ["an asset key of 2,000 characters", "body.selection.1", "at most 1,024", { selection: ["source", "k".repeat(2_000)] }],
    ["a partition key of 2,000 characters", "body.partition", "at most 1,024", { selection: "*", partition: "p".repeat(2_000) }],
    ["100,000 (", "body.selection", "at most 10,000 are allowed", { selection: "(".repeat(100_000) }],
    ["1,000 nested parentheses", "body.selection", "nests more than 100 levels", { selection: `${"(".repeat(1_000)}source${")".repeat(1_000)}` }],
    ["50,000 nots", "body.selection", "at most 10,000 are allowed", { selection: `${"not ".repeat(50_000)}source` }],
  ])("POST /api/runs with %s → 400 at %s, and no run", async (_what, path, message, body) => {
    const before = await runCount();
    const res = await post("/api/runs", typeof body === "string" ? body : JSON.stringify(body));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.path).toBe(path);
    expect(error.message).toContain(message);
    expect(await runCount()).toBe(before);
  });

  it("accepts a long flat selection within the limits", async () => {
    const res = await post("/api/runs", JSON.stringify({ selection: Array.from({ length: 1_000 }, (_, i) => (i % 2 ? "source" : "report")).join(" or ") }));
    expect(res.status).toBe(201);
  });

  it("bounds re-execution tags too", async () => {
    const run = await target.storage.createRun({ runId: randomUUID(), jobName: "hello", selection: ["greet"], status: "FAILURE" });
    const res = await post(`/api/runs/${run.runId}/reexecute`, JSON.stringify({ tags: { note: "x".repeat(5_000) } }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).path).toBe("body.tags.note");
  });
});

describe("lists", () => {
  it("cuts GET /api/runs to 100 runs a page however many are asked for, and pages on", async () => {
    for (let i = 0; i < 130; i++) await target.storage.createRun({ runId: randomUUID(), jobName: "hello", selection: ["greet"], status: "SUCCESS" });
    const res = await app.request("/api/runs?limit=100000", { headers: HOST });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { runs: unknown[]; nextCursor: string | null };
    expect(page.runs).toHaveLength(100);
    expect(page.nextCursor).not.toBeNull();
    const next = (await (await app.request(`/api/runs?limit=100000&cursor=${page.nextCursor}`, { headers: HOST })).json()) as { runs: unknown[] };
    expect(page.runs.length + next.runs.length).toBe(await runCount());
  });

  it("counts queued and running runs in GET /api/overview exactly, past a thousand", async () => {
    const tick = await target.storage.claimScheduleTick("many", Date.now());
    const queued = Array.from({ length: 1_200 }, () => ({ runId: randomUUID(), jobName: "hello", selection: ["greet"] }));
    await target.storage.createRunsForTick(tick.id, [...queued, { runId: randomUUID(), jobName: "hello", selection: ["greet"], status: "STARTED" as const }]);
    const expected = await target.storage.countRuns({ statuses: ["QUEUED"] });
    expect(expected).toBeGreaterThanOrEqual(1_200);
    const overview = (await (await app.request("/api/overview", { headers: HOST })).json()) as { queued: number; inProgress: number };
    expect(overview).toMatchObject({ queued: expected, inProgress: 1 });
  });
});
