/**
 * The asset checks endpoints in-process: an asset's checks with their latest evaluation (worst over
 * partitions), a check's history in pages, the check summaries of the asset list and detail, check
 * runs launched through POST /api/runs, and refusals (unknown asset or check, bad paging input).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { assetCheck } from "../definitions/asset-check.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { staticPartitions } from "../definitions/partitions.js";
import type { CheckEvaluationData } from "../storage/records.js";
import type { AssetChecksJson, AssetDetailJson, AssetsJson, CheckEvaluationsPageJson, RunAnswerJson } from "./api-types.js";
import { inProcessApp, type InProcessApp } from "./testing/in-process-app.js";

const orders = asset({
  key: "shop/orders",
  run: () => [{ id: 1 }],
  checks: [
    { name: "row_count", description: "At least one order", blocking: true, run: () => ({ passed: true }) },
    { name: "no_nulls", run: () => ({ passed: true }) },
  ],
});
const regions = staticPartitions(["eu", "us", "asia"]);
const sales = asset({ key: "sales", partitions: regions, run: () => 1 });
const salesPositive = assetCheck({ asset: sales, name: "positive", run: () => ({ passed: true }) });
const plain = asset({ key: "plain", run: () => 2 });
const defs = defineDefinitions({ assets: [orders, sales, plain], assetChecks: [salesPositive] });

const HOST = { host: "127.0.0.1:3000" };

describe("asset checks API", () => {
  let world: InProcessApp;
  let eventTime = 1_000;

  /** Records an evaluation event in run `runId` (created when new), as a check step would. */
  async function evaluate(runId: string, assetKey: string, checkName: string, outcome: Partial<CheckEvaluationData> & { partition?: string }): Promise<number> {
    const storage = world.target.storage;
    if (!(await storage.getRun(runId))) await storage.createRun({ runId, jobName: "__asset_job", selection: [`${assetKey}:${checkName}`] });
    const passed = outcome.passed ?? true;
    const event = await storage.storeEvent({
      runId,
      type: "ASSET_CHECK_EVALUATION",
      stepKey: `${assetKey}:${checkName}`,
      assetKey,
      partition: outcome.partition ?? null,
      timestamp: (eventTime += 1000),
      data: {
        checkName,
        status: outcome.status ?? (passed ? "PASSED" : "FAILED"),
        passed,
        severity: outcome.severity ?? "ERROR",
        description: outcome.description ?? null,
        metadata: outcome.metadata ?? {},
      },
    });
    return event.id;
  }

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await world.app.request(`/api${path}`, { headers: HOST });
    return { status: res.status, body: (await res.json()) as T };
  };
  const post = async <T>(path: string, body: unknown): Promise<{ status: number; body: T }> => {
    const res = await world.app.request(`/api${path}`, { method: "POST", headers: { ...HOST, "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    world = await inProcessApp(defs);
  });
  afterAll(async () => {
    await world?.dispose();
  });

  it("lists an asset's checks, never evaluated, and gives assets without checks no summary", async () => {
    const { status, body } = await get<AssetChecksJson>("/assets/shop/orders/checks");
    expect(status).toBe(200);
    expect(body.assetKey).toBe("shop/orders");
    expect(body.checks.map((c) => [c.name, c.description, c.blocking, c.latest, c.latestByPartition])).toEqual([
      ["row_count", "At least one order", true, null, null],
      ["no_nulls", null, false, null, null],
    ]);
    expect(body.summary).toEqual({ passed: 0, failed: 0, warning: 0, missing: 2, executionFailed: 0 });
    const list = await get<AssetsJson>("/assets");
    const summaryOf = (key: string) => list.body.assets.find((a) => a.key === key)!.checkSummary;
    expect(summaryOf("shop/orders")).toEqual({ passed: 0, failed: 0, warning: 0, missing: 2, executionFailed: 0 });
    expect(summaryOf("plain")).toBeNull();
    expect((await get<AssetChecksJson>("/assets/plain/checks")).body.checks).toEqual([]);
  });

  it("shows each check's latest evaluation and counts them in the list, the detail and the checks endpoint", async () => {
    await evaluate("run-a", "shop/orders", "row_count", { passed: false, description: "0 rows", metadata: { rows: { type: "int", value: 0 } } });
    await evaluate("run-b", "shop/orders", "row_count", { passed: true, metadata: { rows: { type: "int", value: 12 } } });
    await evaluate("run-b", "shop/orders", "no_nulls", { passed: false, severity: "WARN", description: "2 null ids" });
    const { body } = await get<AssetChecksJson>("/assets/shop/orders/checks");
    const [rowCount, noNulls] = body.checks;
    expect(rowCount!.latest).toMatchObject({ runId: "run-b", status: "PASSED", passed: true, assetKey: "shop/orders", checkName: "row_count", metadata: { rows: { type: "int", value: 12 } } });
    expect(rowCount!.latest!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(noNulls!.latest).toMatchObject({ status: "FAILED", severity: "WARN", description: "2 null ids" });
    const expected = { passed: 1, failed: 0, warning: 1, missing: 0, executionFailed: 0 };
    expect(body.summary).toEqual(expected);
    expect((await get<AssetDetailJson>("/assets/shop/orders")).body.checkSummary).toEqual(expected);
    expect((await get<AssetsJson>("/assets")).body.assets.find((a) => a.key === "shop/orders")!.checkSummary).toEqual(expected);
  });

  it("counts a partitioned asset's check by its worst partition and lists the latest per partition", async () => {
    await evaluate("run-p1", "sales", "positive", { partition: "eu", passed: false });
    await evaluate("run-p2", "sales", "positive", { partition: "us", passed: true });
    await evaluate("run-p3", "sales", "positive", { partition: "eu", status: "EXECUTION_FAILED", passed: false, description: "boom" });
    await evaluate("run-p4", "sales", "positive", { partition: "asia", passed: true });
    const { body } = await get<AssetChecksJson>("/assets/sales/checks");
    const check = body.checks[0]!;
    expect(check.latest).toMatchObject({ partition: "asia", runId: "run-p4" });
    expect(check.worst).toMatchObject({ partition: "eu", status: "EXECUTION_FAILED", runId: "run-p3" });
    expect(check.latestByPartition!.map((e) => e.partition)).toEqual(["asia", "eu", "us"]);
    expect(check.evaluatedPartitions).toBe(3);
    expect(body.summary).toEqual({ passed: 0, failed: 0, warning: 0, missing: 0, executionFailed: 1 });
  });

  it("pages a check's history newest first, and filters it by partition", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await evaluate(`run-h${i}`, "shop/orders", "no_nulls", { passed: i % 2 === 0 }));
    const first = await get<CheckEvaluationsPageJson>("/assets/shop/orders/checks/no_nulls/evaluations?limit=4");
    expect(first.status).toBe(200);
    expect(first.body.evaluations.map((e) => e.runId)).toEqual(["run-h4", "run-h3", "run-h2", "run-h1"]);
    expect(first.body.nextBefore).toBe(ids[1]);
    const second = await get<CheckEvaluationsPageJson>(`/assets/shop/orders/checks/no_nulls/evaluations?limit=4&before=${first.body.nextBefore}`);
    expect(second.body.evaluations.map((e) => e.runId)).toEqual(["run-h0", "run-b"]);
    expect(second.body.nextBefore).toBeNull();
    const eu = await get<CheckEvaluationsPageJson>("/assets/sales/checks/positive/evaluations?partition=eu");
    expect(eu.body.evaluations.map((e) => e.runId)).toEqual(["run-p3", "run-p1"]);
    // A page larger than the limit is cut to it rather than refused.
    const big = await get<CheckEvaluationsPageJson>("/assets/shop/orders/checks/no_nulls/evaluations?limit=100000");
    expect(big.status).toBe(200);
    expect(big.body.evaluations).toHaveLength(6);
  });

  it("answers 404 for an unknown asset or check, naming it and the asset's checks", async () => {
    const asset = await get<{ error: { code: string; message: string; path: string } }>("/assets/nope/checks");
    expect(asset.status).toBe(404);
    expect(asset.body.error).toMatchObject({ code: "NOT_FOUND", path: "params.key", message: expect.stringContaining('Asset "nope" is not defined') });
    const check = await get<{ error: { code: string; message: string; path: string } }>("/assets/shop/orders/checks/nope/evaluations");
    expect(check.status).toBe(404);
    expect(check.body.error.path).toBe("params.name");
    expect(check.body.error.message).toBe(
      'Asset "shop/orders" has no check "nope"; its checks are "row_count", "no_nulls". List them with GET /api/assets/shop/orders/checks.',
    );
  });

  it("answers 400 for bad paging input, a partition of an unpartitioned asset, or an over-long key", async () => {
    for (const query of ["limit=0", "limit=x", "before=-1", "bogus=1"]) {
      const res = await get<{ error: { code: string; path: string } }>(`/assets/shop/orders/checks/no_nulls/evaluations?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe("INVALID_INPUT");
    }
    const partition = await get<{ error: { message: string; path: string } }>("/assets/shop/orders/checks/no_nulls/evaluations?partition=eu");
    expect(partition.status).toBe(400);
    expect(partition.body.error).toMatchObject({ path: "query.partition", message: expect.stringContaining('Asset "shop/orders" is not partitioned') });
    const long = await get<{ error: { path: string } }>(`/assets/${"k".repeat(2000)}/checks`);
    expect(long.status).toBe(400);
    expect(long.body.error.path).toBe("params.key");
  });

  it("queues a run of checks alone from check keys in POST /api/runs, and refuses an unknown check key", async () => {
    const launched = await post<RunAnswerJson>("/runs", { selection: ["shop/orders:row_count", "shop/orders:no_nulls"] });
    expect(launched.status).toBe(201);
    expect(launched.body.run.status).toBe("QUEUED");
    expect([...launched.body.run.selection].sort()).toEqual(["shop/orders:no_nulls", "shop/orders:row_count"]);
    // The asset's page lists it among the asset's runs.
    const detail = await get<AssetDetailJson>("/assets/shop/orders");
    expect(detail.body.recentRuns.map((r) => r.runId)).toContain(launched.body.run.runId);
    const partitioned = await post<RunAnswerJson>("/runs", { selection: ["sales:positive"], partition: "us" });
    expect(partitioned.status).toBe(201);
    expect(partitioned.body.run.partition).toBe("us");
    const before = (await world.target.storage.listRuns()).length;
    const unknown = await post<{ error: { code: string; path: string; message: string } }>("/runs", { selection: ["shop/orders:nope"] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "SELECTION_ERROR", path: "body.selection", message: expect.stringContaining("nope") });
    expect(await world.target.storage.listRuns()).toHaveLength(before);
  });
});
