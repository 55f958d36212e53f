import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { staticPartitions } from "../definitions/partitions.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import type { AssetDetailJson, AssetsJson } from "./api-types.js";
import { inProcessApp, type InProcessApp } from "./testing/in-process-app.js";

let cleanVersion = "v1";
function defs() {
  const raw = asset({ key: "raw/orders", run: () => [1, 2] });
  const clean = asset({ key: "clean", codeVersion: cleanVersion, ins: { raw }, run: ({ raw: rows }) => rows.length });
  const regions = asset({ key: "regions", partitions: staticPartitions(["eu", "us"]), deps: [raw], codeVersion: "g1", run: () => 1 });
  const never = asset({ key: "never", deps: [clean], run: () => 0 });
  return defineDefinitions({ assets: [raw, clean, regions, never] });
}

let served: InProcessApp;
beforeEach(async () => {
  cleanVersion = "v1";
  served = await inProcessApp(defs);
});
afterEach(async () => {
  await served.dispose();
});

const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await served.app.request(path, { headers: { host: "127.0.0.1:3000" } });
  return { status: res.status, body: (await res.json()) as T };
};
const materialize = async (selection: string[], partitionKey?: string) => {
  const result = await materializeAssets(served.target, served.location.current!.defs, { selection, ...(partitionKey ? { partitionKey } : {}) });
  expect(result.status).toBe("SUCCESS");
};

describe("staleness in the assets API", () => {
  it("shows each asset's staleness in GET /api/assets: missing, up to date, then stale with reasons", async () => {
    await materialize(["raw/orders", "clean"]);
    await materialize(["regions"], "eu");
    await materialize(["regions"], "us");
    let byKey = new Map((await get<AssetsJson>("/api/assets")).body.assets.map((a) => [a.key, a.staleness]));
    expect(byKey.get("never")).toEqual({ status: "MISSING", reasons: [], stalePartitionCount: 0, stalePartitions: [] });
    expect(byKey.get("clean")!.status).toBe("UP_TO_DATE");
    expect(byKey.get("regions")!.status).toBe("UP_TO_DATE");

    await materialize(["raw/orders"]);
    byKey = new Map((await get<AssetsJson>("/api/assets")).body.assets.map((a) => [a.key, a.staleness]));
    expect(byKey.get("clean")).toEqual({
      status: "STALE",
      reasons: [{ kind: "upstream_data", upstream: "raw/orders", message: "upstream raw/orders updated" }],
      stalePartitionCount: 0,
      stalePartitions: [],
    });
    expect(byKey.get("regions")).toMatchObject({ status: "STALE", stalePartitionCount: 2, stalePartitions: ["eu", "us"] });
  });

  it("shows the staleness, code version and latest data version in GET /api/assets/:key, and follows a reload", async () => {
    await materialize(["raw/orders", "clean"]);
    let detail = (await get<AssetDetailJson>("/api/assets/clean")).body;
    expect(detail.staleness!.status).toBe("UP_TO_DATE");
    expect(detail.asset!.codeVersion).toBe("v1");
    expect(detail.latestMaterialization).toMatchObject({ codeVersion: "v1", dataVersion: expect.stringMatching(/^[0-9a-f]{24}$/) });
    expect(detail.materializations[0]).toMatchObject({ codeVersion: "v1", dataVersion: detail.latestMaterialization!.dataVersion });

    cleanVersion = "v2";
    await served.location.load();
    detail = (await get<AssetDetailJson>("/api/assets/clean")).body;
    expect(detail.asset!.codeVersion).toBe("v2");
    expect(detail.staleness).toEqual({
      status: "STALE",
      reasons: [{ kind: "code_version", from: "v1", to: "v2", message: "code version changed (v1 → v2)" }],
      stalePartitionCount: 0,
      stalePartitions: [],
    });
  });
});
