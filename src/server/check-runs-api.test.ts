/** POST /api/runs with asset checks: check keys in a selection, status: answered from the instance, bad input as 400. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import { inProcessApp, type InProcessApp } from "./testing/in-process-app.js";

const orders = asset({ key: "orders", run: () => [] as number[], checks: [{ name: "not_empty", run: (rows) => ({ passed: rows.length > 0 }) }] });
const other = asset({ key: "other", run: () => 1 });
const defs = defineDefinitions({ assets: [orders, other] });

let served: InProcessApp;
beforeAll(async () => {
  served = await inProcessApp(defs);
});
afterAll(async () => {
  await served.dispose();
});

async function launch(selection: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await served.app.request("/api/runs", {
    method: "POST",
    headers: { host: "127.0.0.1:3000", "content-type": "application/json" },
    body: JSON.stringify({ selection }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("POST /api/runs with asset checks", () => {
  it("queues a run of checks alone, and one of what status: selects now", async () => {
    const checksOnly = await launch(["orders:not_empty"]);
    expect(checksOnly.status).toBe(201);
    expect(JSON.stringify(checksOnly.body)).toContain('"selection":["orders:not_empty"]');

    const none = await launch("status:check_failed");
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({ code: "SELECTION_ERROR", path: "body.selection" });
    expect(none.body.error.message).toContain('Selection "status:check_failed" matched no assets');

    await materializeAssets(served.target, defs);
    const failed = await launch("status:check_failed");
    expect(failed.status).toBe(201);
    expect(JSON.stringify(failed.body)).toContain('"selection":["orders"]');
  });

  it("refuses an unknown check key and an unknown status with 400 at body.selection", async () => {
    const unknown = await launch(["orders:nope"]);
    expect([unknown.status, unknown.body.error.path, unknown.body.error.message]).toEqual([400, "body.selection", 'Check "orders:nope" is not in these definitions. List them with: sluice check list']);
    const bad = await launch("status:broken");
    expect([bad.status, bad.body.error.path]).toEqual([400, "body.selection"]);
    expect(bad.body.error.message).toContain('unknown status "broken"');
  });
});
