import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { AutomationCondition } from "../definitions/automation/automation-condition.js";
import { defineDefinitions } from "../definitions/definitions.js";
import type { AutomationJson } from "./api-types.js";
import { inProcessApp, type InProcessApp } from "./testing/in-process-app.js";

const raw = asset({ key: "raw", automation: AutomationCondition.onMissing(), run: () => 1 });
const plain = asset({ key: "plain", run: () => 2 });
const defs = defineDefinitions({ assets: [raw, plain] });
const HOST = { host: "127.0.0.1:3000" };

let served: InProcessApp;
beforeAll(async () => {
  served = await inProcessApp(defs);
  writeFileSync(path.join(served.target.dir, "sluice.yaml"), "automation:\n  evaluation_interval_seconds: 5\n");
});
afterAll(() => served.dispose());

async function get(): Promise<AutomationJson> {
  const res = await served.app.request("/api/automation", { headers: HOST });
  expect(res.status).toBe(200);
  return (await res.json()) as AutomationJson;
}

function post(action: string, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Response> {
  return Promise.resolve(served.app.request(`/api/automation/${action}`, { method: "POST", headers: { ...HOST, ...headers } }));
}

describe("/api/automation", () => {
  it("GET: stopped by default, the interval of sluice.yaml, the automated assets, no evaluation yet", async () => {
    expect(await get()).toEqual({ status: "STOPPED", isDefault: true, updatedAt: null, intervalSeconds: 5, automatedAssets: ["raw"], cursor: null, ticks: [] });
  });

  it("POST start and stop store the status (no longer the default); the cursor and ticks of recorded evaluations follow", async () => {
    const started = await post("start");
    expect(started.status).toBe(200);
    expect(await started.json()).toMatchObject({ status: "RUNNING", isDefault: false, updatedAt: expect.any(String) });
    expect((await get()).status).toBe("RUNNING");

    await served.target.storage.recordAutomationTick({
      previousEvaluationId: 0,
      cursor: { evaluationId: 1, evaluatedAt: Date.UTC(2026, 0, 1), lastEventId: 7 },
      assetStates: [],
      deleteAssetStates: [],
      evaluations: [],
      launches: [{ run: { runId: "auto-1", jobName: "__asset_job", selection: ["raw"] }, assetKeys: ["raw"] }],
    });
    const body = await get();
    expect(body.cursor).toEqual({ evaluationId: 1, evaluatedAt: "2026-01-01T00:00:00.000Z", lastEventId: 7 });
    expect(body.ticks.map((t) => [t.status, t.cursor, t.runIds])).toEqual([["SUCCESS", "1", ["auto-1"]]]);

    expect(await (await post("stop")).json()).toMatchObject({ status: "STOPPED", isDefault: false });
    expect((await get()).status).toBe("STOPPED");
  });

  it("refuses a cross-site POST (no JSON content type, or an opaque origin) and changes nothing", async () => {
    const before = (await get()).status;
    expect((await post("start", { "content-type": "text/plain" })).status).toBe(415);
    expect((await post("start", { "content-type": "application/json", origin: "null" })).status).toBe(403);
    expect((await get()).status).toBe(before);
    expect((await post("pause")).status).toBe(404);
  });
});
