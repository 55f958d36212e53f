import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { freshnessSensor } from "../definitions/sensor.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import type { AssetDetailJson, AssetsJson } from "./api-types.js";
import { inProcessApp, type InProcessApp } from "./testing/in-process-app.js";

const orders = asset({ key: "orders", freshness: { maximumLag: "1h" }, run: () => 1 });
const report = asset({ key: "report", ins: { orders }, freshness: { cron: "0 9 * * *", cronTimezone: "Europe/Paris", maximumLag: "2h" }, run: () => 2 });
const plain = asset({ key: "plain", run: () => 3 });
const alerts = freshnessSensor({ name: "report_alerts", monitoredSelection: "report", statuses: ["OVERDUE", "FRESH"], evaluate: () => undefined });
const defs = defineDefinitions({ assets: [orders, report, plain], sensors: [alerts] });

let served: InProcessApp;
beforeAll(async () => {
  served = await inProcessApp(defs);
  await materializeAssets(served.target, defs, { selection: "orders" });
});
afterAll(() => served.dispose());

describe("freshness in the assets API", () => {
  it("GET /api/assets gives each asset's freshness, null without a policy", async () => {
    const body = (await (await served.app.request("/api/assets")).json()) as AssetsJson;
    const byKey = new Map(body.assets.map((a) => [a.key, a.freshness]));
    expect(byKey.get("orders")).toMatchObject({ assetKey: "orders", status: "FRESH", policy: { maximumLagMs: 3_600_000, cron: null, description: "at most 1h old" } });
    expect(byKey.get("report")).toMatchObject({ status: "UNKNOWN", lastMaterializationAt: null, lagMs: null, policy: { cron: "0 9 * * *", cronTimezone: "Europe/Paris" } });
    expect(byKey.get("plain")).toBeNull();
  });

  it("GET /api/assets/:key gives the status, last materialization, lag and deadline", async () => {
    const body = (await (await served.app.request("/api/assets/orders")).json()) as AssetDetailJson;
    const f = body.freshness!;
    expect(f.lastMaterializationAt).toBe(body.latestMaterialization!.timestamp);
    expect(Date.parse(f.nextDeadline)).toBe(Date.parse(f.lastMaterializationAt!) + 3_600_000);
    expect(f.lagMs).toBeGreaterThanOrEqual(0);
    const plainBody = (await (await served.app.request("/api/assets/plain")).json()) as AssetDetailJson;
    expect(plainBody.freshness).toBeNull();
  });

  it("GET /api/sensors/:name says what a freshness sensor watches", async () => {
    const body = (await (await served.app.request("/api/sensors/report_alerts")).json()) as { sensor: { type: string; freshness: unknown } };
    expect(body.sensor.type).toBe("freshness");
    expect(body.sensor.freshness).toEqual({ monitoredSelection: "report", statuses: ["OVERDUE", "FRESH"] });
  });
});
