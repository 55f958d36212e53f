import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { dailyPartitions, staticPartitions, timeWindowMapping } from "../definitions/partitions.js";
import { backfillRun } from "../runs/backfill-plan.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import type { TempTarget } from "../runs/testing/temp-target.js";
import type { AssetPartitionsJson, AssetsJson, BackfillAnswerJson, BackfillLaunchAnswerJson, BackfillPreviewJson, BackfillsPageJson } from "./api-types.js";
import { inProcessApp } from "./testing/in-process-app.js";
import type { createApp } from "./app.js";
import { LiveEventHub, type LiveMessage } from "./live-events.js";

const days = dailyPartitions({ start: "2025-01-01", end: "2025-04-11" });
const events = asset({ key: "events", partitions: days, run: (_in, { partitionKey }) => ({ day: partitionKey }) });
const perDay = asset({ key: "per_day", partitions: days, ins: { events }, run: ({ events: e }) => e });
const regions = asset({ key: "regions", partitions: staticPartitions(["eu", "us"]), run: () => 1 });
const plain = asset({ key: "plain", run: () => 1 });
const nextDay = asset({ key: "next_day", partitions: days, deps: [{ asset: "events", mapping: timeWindowMapping({ startOffset: -1, endOffset: -1 }) }], run: () => 1 });
const defs = defineDefinitions({ assets: [events, perDay, regions, plain, nextDay] });

let target: TempTarget;
let app: ReturnType<typeof createApp>;
beforeEach(async () => {
  ({ target, app } = await inProcessApp(defs));
});
afterEach(async () => {
  await target.dispose();
});

const HOST = { host: "127.0.0.1:3000" };
const post = async (path: string, body: unknown = {}) => {
  const res = await app.request(path, { method: "POST", headers: { ...HOST, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};
const get = async <T = any>(path: string) => {
  const res = await app.request(path, { headers: HOST });
  return { status: res.status, body: (await res.json()) as T };
};

describe("POST /api/backfills", () => {
  it("previews without recording, then records a backfill the daemon executes", async () => {
    const preview = await post("/api/backfills", { selection: "events or per_day", partitionSet: { kind: "range", first: "2025-01-02", last: "2025-01-11" }, preview: true });
    expect(preview.status).toBe(200);
    expect(preview.body as BackfillPreviewJson).toEqual({
      preview: true,
      target: { kind: "assets", selection: "events or per_day", assetKeys: ["events", "per_day"] },
      partitionCount: 10,
      runCount: 10,
      firstKey: "2025-01-02",
      lastKey: "2025-01-11",
      groups: [{ name: "", assetKeys: ["events", "per_day"], upstream: [], partitionCount: 10, runCount: 10 }],
    });
    expect(await target.storage.listBackfills()).toEqual([]);

    const launched = await post("/api/backfills", { selection: "events or per_day", partitionSet: { kind: "range", first: "2025-01-02", last: "2025-01-11" }, tags: { team: "data" } });
    expect(launched.status).toBe(201);
    const { backfill } = launched.body as BackfillLaunchAnswerJson;
    expect(backfill).toMatchObject({ status: "REQUESTED", partitionCount: 10, runCount: 10, launchedBy: "api", tags: { team: "data" }, counts: { pending: 10 } });

    // Four partitions launched, as the daemon launches them (the server never imports the daemon).
    const record = (await target.storage.getBackfill(backfill.backfillId))!;
    const group = record.groups[0]!;
    const launches = ["2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"].map((partition) => ({ group: "", partitions: [partition], run: backfillRun(defs, record, { group, partitions: [partition] }) }));
    await target.storage.launchBackfillPartitions(backfill.backfillId, launches);
    const page = await get<BackfillAnswerJson>(`/api/backfills/${backfill.backfillId}?offset=2&limit=3`);
    expect(page.status).toBe(200);
    expect(page.body.page).toEqual({ offset: 2, limit: 3, total: 10 });
    expect(page.body.backfill.counts).toMatchObject({ launched: 4, pending: 6 });
    expect(page.body.partitions.map((p) => [p.partition, p.status, p.runStatus])).toEqual([
      ["2025-01-04", "launched", "QUEUED"],
      ["2025-01-05", "launched", "QUEUED"],
      ["2025-01-06", "pending", null],
    ]);

    const canceled = await post(`/api/backfills/${backfill.backfillId}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.backfill.status).toBe("CANCELING");
    expect((await post(`/api/backfills/${backfill.backfillId}/resume`)).status).toBe(409);
    expect((await post(`/api/backfills/${backfill.backfillId}/retry-failed`)).status).toBe(409);
    expect((await post("/api/backfills/nope/cancel")).status).toBe(404);

    const list = await get<BackfillsPageJson>("/api/backfills?limit=1");
    expect(list.body.backfills.map((b) => b.backfillId)).toEqual([backfill.backfillId]);
    expect(list.body.nextCursor).toBeNull();
    expect((await get<BackfillsPageJson>("/api/backfills?status=completed")).body.backfills).toEqual([]);
    expect((await get("/api/backfills?status=nope")).status).toBe(400);
  });

  it("answers 400 naming the assets, the key and the valid range, and records nothing", async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ selection: "events", partitionSet: { kind: "range", first: "2024-12-01", last: "2025-01-02" } }, "body.partitionSet", /"2024-12-01".*Valid partitions: "2025-01-01" to "2025-04-10"/s],
      [{ selection: "events", partitionSet: { kind: "range", first: "2025-01-05", last: "2025-01-02" } }, "body.partitionSet", /reversed/],
      [{ selection: "regions", partitionSet: { kind: "keys", keys: ["mars"] } }, "body.partitionSet", /"mars".*Valid partitions: "eu" to "us"/s],
      [{ selection: ["events", "regions"], partitionSet: { kind: "all" } }, "body.partitionSet", /different partitions/],
      [{ selection: "plain", partitionSet: { kind: "all" } }, "body.partitionSet", /no partitioned asset/],
      [{ selection: ["events", "next_day"], partitionSet: { kind: "keys", keys: ["2025-04-10"] } }, "body.partitionSet", /"2025-04-10" of "events".*map to no partition of "next_day".*Valid partitions: "2025-01-01" to "2025-04-10"/s],
      [{ selection: "nothing", partitionSet: { kind: "all" } }, "body.selection", /matched no assets/],
      [{ selection: "events", partitionSet: { kind: "failed" } }, "body.partitionSet", /no partition is failed/],
      [{ selection: "events", partitionSet: { kind: "range", first: "", last: "2025-01-02" } }, "body.partitionSet.first", /.+/],
      [{ selection: "events", partitionSet: { kind: "keys", keys: Array.from({ length: 100_001 }, (_, i) => `k${i}`) } }, "body.partitionSet.keys", /Too big/],
      [{ partitionSet: { kind: "all" } }, "body.selection", /either "selection"/],
    ];
    for (const [body, path, message] of cases) {
      const res = await post("/api/backfills", body);
      expect(res.status === 400 || res.status === 413, JSON.stringify(res.body)).toBe(true);
      if (res.status === 400) expect(res.body.error.path, JSON.stringify(res.body)).toBe(path);
      expect(res.body.error.message).toMatch(message);
    }
    expect(await target.storage.listBackfills()).toEqual([]);
    expect((await get("/api/backfills/nope")).status).toBe(404);
  });
});

describe("partition statuses of assets", () => {
  it("GET /api/assets/:key/partitions: counts, keys and run-length ranges from the status index", async () => {
    for (const day of ["2025-01-02", "2025-01-03", "2025-01-05"]) await materializeAssets(target, defs, { selection: ["events"], partitionKey: day });
    await target.storage.createRun({ runId: "r", jobName: "j", selection: [] });
    await target.storage.storeEvents([
      { runId: "r", type: "STEP_START", stepKey: "events", assetKey: "events", partition: "2025-01-04" },
      { runId: "r", type: "STEP_FAILURE", stepKey: "events", assetKey: "events", partition: "2025-01-04" },
      { runId: "r", type: "STEP_START", stepKey: "events", assetKey: "events", partition: "2025-04-10" },
    ]);
    const { status, body } = await get<AssetPartitionsJson>("/api/assets/events/partitions");
    expect(status).toBe(200);
    expect(body.counts).toEqual({ materialized: 3, failed: 1, inProgress: 1, missing: 95, total: 100 });
    expect(body.keys).toHaveLength(100);
    expect(body.ranges).toEqual([
      { status: "MISSING", start: 0, end: 0 },
      { status: "MATERIALIZED", start: 1, end: 2 },
      { status: "FAILED", start: 3, end: 3 },
      { status: "MATERIALIZED", start: 4, end: 4 },
      { status: "MISSING", start: 5, end: 98 },
      { status: "IN_PROGRESS", start: 99, end: 99 },
    ]);
    expect((await get<AssetPartitionsJson>("/api/assets/events/partitions?keys=false")).body.keys).toBeNull();
    expect((await get("/api/assets/plain/partitions")).status).toBe(400);
    expect((await get("/api/assets/nope/partitions")).status).toBe(404);

    const assets = (await get<AssetsJson>("/api/assets")).body.assets;
    expect(assets.find((a) => a.key === "events")!.partitionCounts).toEqual({ materialized: 3, failed: 1, inProgress: 1, missing: 95, total: 100 });
    expect(assets.find((a) => a.key === "plain")!.partitionCounts).toBeNull();
  });
});

describe("live updates", () => {
  it("streams a backfill message (with its counts) when a backfill changes", async () => {
    const res = await app.request("/api/events/stream", { headers: HOST });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const until = async (pattern: RegExp): Promise<RegExpExecArray> => {
      for (;;) {
        const match = pattern.exec(text);
        if (match) return match;
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value);
      }
    };
    try {
      await until(/event: ready/);
      const { body } = await post("/api/backfills", { selection: "regions", partitionSet: { kind: "all" } });
      const [, data] = await until(/event: backfill\ndata: (.*)\n/);
      expect(JSON.parse(data!)).toMatchObject({ backfillId: body.backfill.backfillId, status: "REQUESTED", counts: { pending: 2 } });
    } finally {
      await reader.cancel();
    }
  });

  it("tells subscribers a backfill changed", async () => {
    const hub = new LiveEventHub(target.storage, { intervalMs: 50 });
    const received: LiveMessage[] = [];
    const sub = await hub.subscribe((m) => received.push(m), () => {});
    try {
      const { body } = await post("/api/backfills", { selection: "regions", partitionSet: { kind: "all" } });
      const id = body.backfill.backfillId as string;
      const seen = async (status: string): Promise<void> => {
        const deadline = Date.now() + 10_000;
        while (!received.some((m) => m.kind === "backfill" && m.backfill.backfillId === id && m.backfill.status === status)) {
          if (Date.now() > deadline) throw new Error(`no backfill message with status ${status}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await seen("REQUESTED");
      await post(`/api/backfills/${id}/cancel`);
      await seen("CANCELING");
    } finally {
      sub.unsubscribe();
      hub.close();
    }
  });
});
