/**
 * GET /api/assets/:key/automation: an asset's condition and its kept evaluations (newest first,
 * paged by id, at a time), recorded through real storage as the automation loop records them; and
 * the bounds of every query parameter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { AutomationCondition } from "../definitions/automation/automation-condition.js";
import { defineDefinitions } from "../definitions/definitions.js";
import type { ConditionNodeEvaluation, NewAssetEvaluation } from "../storage/automation-records.js";
import { EventType } from "../storage/records.js";
import { AutomationHarness } from "../runs/automation/testing/automation-harness.js";
import type { AssetAutomationJson, AutomationPreviewJson } from "./api-types.js";
import { inProcessApp, type InProcessApp } from "./testing/in-process-app.js";

const source = asset({ key: "source", run: () => 1 });
const report = asset({ key: "reports/daily", ins: { source }, automation: AutomationCondition.eager(), run: ({ source: n }) => n + 1 });
const defs = defineDefinitions({ assets: [source, report] });

let served: InProcessApp;
const T0 = Date.UTC(2026, 11, 7, 12, 0);

function tree(trueCount: number): ConditionNodeEvaluation {
  const missing: ConditionNodeEvaluation = { type: "missing", label: null, description: "missing", params: {}, candidateCount: 1, trueCount, trueKeys: trueCount ? [""] : [], children: [] };
  return { ...missing, type: "not", description: "not missing", trueCount: 1 - trueCount, trueKeys: trueCount ? [] : [""], children: [missing] };
}

/** Records evaluations 1..3 of "reports/daily", one minute apart; the second requests a run. */
async function recordHistory(): Promise<void> {
  const storage = served.target.storage;
  for (let id = 1; id <= 3; id++) {
    const requested = id === 2 ? [""] : [];
    const evaluation: NewAssetEvaluation = { assetKey: "reports/daily", evaluationId: id, evaluatedAt: T0 + id * 60_000, requestedCount: requested.length, requestedKeys: requested, tree: tree(id === 2 ? 0 : 1) };
    const result = await storage.recordAutomationTick({
      previousEvaluationId: id - 1,
      cursor: { evaluationId: id, evaluatedAt: T0 + id * 60_000, lastEventId: 0 },
      assetStates: [],
      deleteAssetStates: [],
      evaluations: [evaluation],
      launches: id === 2 ? [{ run: { runId: "run-of-evaluation-2", jobName: "__asset_job", selection: ["reports/daily"] }, assetKeys: ["reports/daily"] }] : [],
    });
    expect(result.recorded).toBe(true);
  }
}

async function get(path: string): Promise<{ status: number; body: AssetAutomationJson & { error?: { code: string; message: string; path?: string } } }> {
  const res = await served.app.request(`/api${path}`, { headers: { host: "127.0.0.1:3000" } });
  return { status: res.status, body: (await res.json()) as AssetAutomationJson & { error?: { code: string; message: string; path?: string } } };
}

beforeAll(async () => {
  served = await inProcessApp(defs);
  await recordHistory();
});

afterAll(async () => {
  await served.dispose();
});

describe("GET /api/assets/:key/automation", () => {
  it("gives the condition and the kept evaluations newest first, with the runs they requested", async () => {
    const { status, body } = await get("/assets/reports/daily/automation");
    expect(status).toBe(200);
    expect(body.assetKey).toBe("reports/daily");
    expect(body.partitioned).toBe(false);
    expect(body.condition).toMatchObject({ type: "and", label: "eager" });
    expect(body.condition!.children.map((c) => c.type)).toEqual(["in_latest_time_window", "since", "not", "not", "not"]);
    expect(body.evaluations.map((e) => e.evaluationId)).toEqual([3, 2, 1]);
    const second = body.evaluations[1]!;
    expect(second).toMatchObject({ evaluatedAt: new Date(T0 + 120_000).toISOString(), requestedCount: 1, requestedKeys: [""], runIds: ["run-of-evaluation-2"] });
    expect(second.tree).toMatchObject({ type: "not", trueCount: 1, candidateCount: 1, children: [{ type: "missing", trueCount: 0 }] });
    expect(body.nextBefore).toBeNull();
  });

  it("pages by id with limit and before", async () => {
    const first = await get("/assets/reports/daily/automation?limit=2");
    expect(first.body.evaluations.map((e) => e.evaluationId)).toEqual([3, 2]);
    expect(first.body.nextBefore).toBe(first.body.evaluations[1]!.id);
    const next = await get(`/assets/reports/daily/automation?limit=2&before=${first.body.nextBefore}`);
    expect(next.body.evaluations.map((e) => e.evaluationId)).toEqual([1]);
    expect(next.body.nextBefore).toBeNull();
  });

  it("finds the evaluation at or before a time, given as ISO 8601 or epoch ms", async () => {
    const iso = await get(`/assets/reports/daily/automation?limit=1&at=${encodeURIComponent(new Date(T0 + 150_000).toISOString())}`);
    expect(iso.body.evaluations.map((e) => e.evaluationId)).toEqual([2]);
    const ms = await get(`/assets/reports/daily/automation?limit=1&at=${T0 + 60_000}`);
    expect(ms.body.evaluations.map((e) => e.evaluationId)).toEqual([1]);
    const before = await get(`/assets/reports/daily/automation?at=${T0}`);
    expect(before.body.evaluations).toEqual([]);
  });

  it("answers an asset without a condition with condition null and no evaluations", async () => {
    const { status, body } = await get("/assets/source/automation");
    expect(status).toBe(200);
    expect(body).toEqual({ assetKey: "source", condition: null, partitioned: false, evaluations: [], nextBefore: null });
  });

  it("answers 404 naming an unknown asset", async () => {
    const { status, body } = await get("/assets/nope/automation");
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: "NOT_FOUND", path: "params.key", message: expect.stringContaining('Asset "nope" is not defined') });
  });

  it.each([
    ["limit=0", "query.limit"],
    ["limit=abc", "query.limit"],
    ["before=-1", "query.before"],
    ["before=1e400", "query.before"],
    ["at=yesterday", "query.at"],
    ["at=2026-02-30T00:00:00Z", "query.at"],
    [`at=${"9".repeat(41)}`, "query.at"],
    ["unknown=1", "query.unknown"],
  ])("refuses %s with a 400 naming %s", async (query, path) => {
    const { status, body } = await get(`/assets/reports/daily/automation?${query}`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "INVALID_INPUT", path });
  });

  it("cuts a larger page to the limit of 100 rather than refusing it", async () => {
    const { status, body } = await get("/assets/reports/daily/automation?limit=100000");
    expect(status).toBe(200);
    expect(body.evaluations).toHaveLength(3);
  });

  it("refuses an asset key over the name limit", async () => {
    const { status, body } = await get(`/assets/${"k".repeat(5000)}/automation`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "INVALID_INPUT", path: "params.key" });
  });
});

describe("GET /api/automation/preview", () => {
  async function preview(query = ""): Promise<{ status: number; body: AutomationPreviewJson & { error?: { code: string; path?: string } } }> {
    const res = await served.app.request(`/api/automation/preview${query}`, { headers: { host: "127.0.0.1:3000" } });
    return { status: res.status, body: (await res.json()) as AutomationPreviewJson & { error?: { code: string; path?: string } } };
  }

  it("evaluates from the stored cursor, requests nothing while the upstream is missing, and records nothing", async () => {
    const { status, body } = await preview();
    expect(status).toBe(200);
    expect(body).toMatchObject({ evaluationId: 4, evaluatedAssets: 1, requests: [], assets: [] });
    expect((await served.target.storage.getAutomationCursor())?.evaluationId).toBe(3);
  });

  it("shows the run it would request and the requested asset's tree once the upstream is materialized", async () => {
    // The run the second evaluation requested is still queued: in progress, so nothing is requested.
    expect((await preview()).body.requests).toEqual([]);
    await served.target.storage.storeEvent({ runId: "run-of-evaluation-2", type: EventType.RunCanceled });
    await new AutomationHarness(served.target.storage, defs).materialize(["source"]);
    const { body } = await preview();
    expect(body.requests).toEqual([{ assetKeys: ["reports/daily"], partition: null }]);
    expect(body.assets).toHaveLength(1);
    expect(body.assets[0]).toMatchObject({ assetKey: "reports/daily", partitioned: false, requestedCount: 1, tree: { label: "eager", trueCount: 1, candidateCount: 1 } });
    // Still nothing recorded: no run, no new kept evaluation, the same cursor.
    expect(await served.target.storage.listRuns()).toHaveLength(2);
    expect((await served.target.storage.getAutomationCursor())?.evaluationId).toBe(3);
    expect((await get("/assets/reports/daily/automation")).body.evaluations).toHaveLength(3);
    // A selection without the requested asset shows no request.
    const selected = await preview("?select=source");
    expect(selected.body).toMatchObject({ requests: [], assets: [] });
  });

  it("refuses an unknown parameter, a selection that matches nothing, and one over the length limit", async () => {
    expect((await preview("?x=1")).body.error).toMatchObject({ code: "INVALID_INPUT", path: "query.x" });
    expect((await preview("?select=nope")).body.error).toMatchObject({ code: "SELECTION_ERROR" });
    expect((await preview(`?select=${"a".repeat(10_001)}`)).body.error).toMatchObject({ code: "INVALID_INPUT", path: "query.select" });
  });
});
