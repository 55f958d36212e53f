import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { multiAsset } from "../definitions/multi-asset.js";
import { snapshotOf } from "../instance/snapshot.js";
import { z } from "zod";
import { materializeAssets } from "../runs/materialize-assets.js";
import { newRun } from "../runs/new-run.js";
import { EventType, RunStatus } from "../storage/records.js";
import type { AssetDetailJson } from "./api-types.js";
import { inProcessApp, type InProcessApp } from "./testing/in-process-app.js";

let failing = true;
const orders = asset({ key: "orders", run: () => [1, 2, 3] });
const split = multiAsset({
  name: "split_orders",
  outs: { small: { key: "orders/small" }, large: { key: "orders/large" } },
  ins: { orders },
  run: ({ orders: rows }) => {
    if (failing) throw new Error("split failed");
    return { small: rows.filter((n) => n < 2), large: rows.filter((n) => n >= 2) };
  },
});
const subsettable = multiAsset({ name: "pick", canSubset: true, outs: { x: { key: "pick/x" }, y: { key: "pick/y" } }, run: (_i, c) => Object.fromEntries(c.selectedOutputs.map((o) => [o, 1])) });
const total = asset({ key: "total", ins: { large: split.assets.large }, run: ({ large }) => large.length });
const defs = defineDefinitions({ assets: [orders, split, subsettable, total] });

let server: InProcessApp;
beforeAll(async () => {
  server = await inProcessApp(defs);
});
afterAll(async () => {
  await server.dispose();
});

async function detail(key: string): Promise<AssetDetailJson> {
  const res = await server.app.request(`/api/assets/${key}`);
  expect(res.status).toBe(200);
  return (await res.json()) as AssetDetailJson;
}

describe("multi-assets in the API", () => {
  it("tells, per asset, the multi-asset that computes it with its siblings (null for an asset of its own)", async () => {
    expect((await detail("orders/large")).asset!.multiAsset).toEqual({ name: "split_orders", outName: "large", canSubset: false, assetKeys: ["orders/small", "orders/large"] });
    expect((await detail("pick/y")).asset!.multiAsset).toEqual({ name: "pick", outName: "y", canSubset: true, assetKeys: ["pick/x", "pick/y"] });
    expect((await detail("total")).asset!.multiAsset).toBeNull();
    expect((await detail("total")).asset!.deps).toEqual(["orders/large"]);
  });

  it("names a multi-asset's config by the multi-asset in a job's run config schema", () => {
    const configured = multiAsset({ name: "tuned", outs: { p: { key: "tuned/p" }, q: { key: "tuned/q" } }, config: z.object({ k: z.number().default(1) }), run: () => ({ p: 1, q: 2 }) });
    const snap = snapshotOf(defineDefinitions({ assets: [configured], jobs: [assetJob({ name: "tune", selection: "*" })] }));
    const job = snap.jobs.find((j) => j.name === "tune")!;
    expect(job.steps.map((s) => s.key)).toEqual(["tuned/p", "tuned/q"]);
    const ops = (job.runConfigSchema as { properties: { ops: { properties: Record<string, unknown> } } }).properties.ops.properties;
    expect(Object.keys(ops)).toEqual(["tuned"]);
  });

  it("derives each output's status from the multi-asset's step: failed, then queued with a sibling, in progress, materialized", async () => {
    const { storage } = server.target;
    const failed = await materializeAssets(server.target, defs, { selection: ["orders", "orders/small", "orders/large"] });
    expect(failed.status).toBe(RunStatus.Failure);
    expect((await detail("orders/small")).status).toBe("FAILED");
    expect((await detail("orders/large")).status).toBe("FAILED");

    // A run selecting one output computes both: both show it.
    const queued = await storage.createRun(newRun({ defs, target: { assets: ["orders/small"] } }));
    expect((await detail("orders/large")).status).toBe("QUEUED");
    expect((await detail("orders/large")).recentRuns.map((r) => r.runId)).toContain(queued.runId);
    await storage.setRunStatus(queued.runId, RunStatus.Started);
    await storage.storeEvent({ runId: queued.runId, type: EventType.StepStart, stepKey: "split_orders", data: { attempt: 1, assetKeys: ["orders/small", "orders/large"] } });
    expect((await detail("orders/small")).status).toBe("IN_PROGRESS");
    await storage.storeEvent({ runId: queued.runId, type: EventType.StepSuccess, stepKey: "split_orders", data: { attempt: 1 } });
    expect((await detail("orders/large")).status).toBe("MATERIALIZED");
    await storage.storeEvent({ runId: queued.runId, type: EventType.RunSuccess });

    failing = false;
    const ok = await materializeAssets(server.target, defs, { selection: ["orders/large"] });
    expect(ok.status).toBe(RunStatus.Success);
    const large = await detail("orders/large");
    expect(large.status).toBe("MATERIALIZED");
    expect(large.latestMaterialization?.runId).toBe(ok.runId);
    // A subsettable multi-asset's sibling is not in a run that did not select it.
    await materializeAssets(server.target, defs, { selection: ["pick/x"] });
    expect((await detail("pick/x")).status).toBe("MATERIALIZED");
    expect((await detail("pick/y")).status).toBe("NEVER_MATERIALIZED");
  });
});
