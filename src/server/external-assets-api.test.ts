import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { assetSpec } from "../definitions/asset-spec.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { observableSourceAsset } from "../definitions/observable-source-asset.js";
import { staticPartitions } from "../definitions/partitions.js";
import { RUNLESS_RUN_ID } from "../storage/records.js";
import type { AssetDetailJson, AssetObservationsJson, AssetsJson, ReportedMaterializationJson, RunAnswerJson, RunsPageJson } from "./api-types.js";
import { inProcessApp, type InProcessApp } from "./testing/in-process-app.js";

const regions = staticPartitions(["eu", "us"]);
const feed = assetSpec({ key: "vendor/feed", group: "ingest" });
const regional = assetSpec({ key: "vendor/regional", partitions: regions });
const file = observableSourceAsset({ key: "src/file", observe: () => "v-1" });
const clean = asset({ key: "clean", deps: [feed, file], run: () => 1 });
const defs = defineDefinitions({ assets: [feed, regional, file, clean] });

let server: InProcessApp;
beforeAll(async () => {
  server = await inProcessApp(defs);
});
afterAll(async () => {
  await server.dispose();
});

const post = (path: string, body: unknown) =>
  server.app.request(`/api${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const get = async <T>(path: string): Promise<T> => (await (await server.app.request(`/api${path}`)).json()) as T;

describe("POST /api/assets/:key/reports", () => {
  it("records a reported materialization that the asset shows as materialized, labelled reported", async () => {
    const res = await post("/assets/vendor/feed/reports", { metadata: { rows: 7 }, description: "vendor drop" });
    expect(res.status).toBe(201);
    const answer = (await res.json()) as ReportedMaterializationJson;
    expect(answer.materialization).toMatchObject({ runId: RUNLESS_RUN_ID, partition: null, reported: true, metadata: { rows: { type: "int", value: 7 } } });
    const detail = await get<AssetDetailJson>("/assets/vendor/feed");
    expect(detail.status).toBe("MATERIALIZED");
    expect(detail.asset?.kind).toBe("external");
    expect(detail.materializations[0]).toMatchObject({ reported: true, runId: RUNLESS_RUN_ID });
    expect(detail.latestMaterialization).toMatchObject({ reported: true });
    // No run was made, and none is listed.
    expect((await get<RunsPageJson>("/runs")).runs).toEqual([]);
    const list = await get<AssetsJson>("/assets");
    expect(list.assets.map((a) => [a.key, a.kind])).toEqual([["vendor/feed", "external"], ["vendor/regional", "external"], ["src/file", "observable"], ["clean", "materializable"]]);
  });

  it("reports a partition, counted by the partition health", async () => {
    expect((await post("/assets/vendor/regional/reports", { partition: "us" })).status).toBe(201);
    const detail = await get<AssetDetailJson>("/assets/vendor/regional");
    expect(detail.partitionCounts).toMatchObject({ materialized: 1, missing: 1, total: 2 });
  });

  it("answers 400, recording nothing, for an unknown key, a partition the asset lacks, bad or oversized fields", async () => {
    const before = (await server.target.storage.getMaterializations("vendor/regional")).length;
    const cases: [string, unknown, RegExp][] = [
      ["/assets/nope/reports", {}, /Asset "nope" is not defined/],
      ["/assets/vendor/regional/reports", { partition: "asia" }, /asia/],
      ["/assets/vendor/regional/reports", {}, /is partitioned/],
      ["/assets/vendor/feed/reports", { partition: "eu" }, /is not partitioned/],
      ["/assets/vendor/feed/reports", { metadata: { blob: "x".repeat(300_000) } }, /body\.metadata is .* bytes/],
      ["/assets/vendor/feed/reports", { surprise: 1 }, /surprise/],
    ];
    for (const [path, body, message] of cases) {
      const res = await post(path, body);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    expect((await server.target.storage.getMaterializations("vendor/regional")).length).toBe(before);
  });
});

describe("observing over HTTP", () => {
  it("POST /api/runs with observe: true queues a run of the observable assets; materializing them alone is a 400", async () => {
    const res = await post("/runs", { selection: "*", observe: true });
    expect(res.status).toBe(201);
    expect(((await res.json()) as RunAnswerJson).run.selection).toEqual(["src/file"]);
    const refused = await post("/runs", { selection: ["src/file"] });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/observable source asset/);
    const external = await post("/runs", { selection: ["vendor/feed"] });
    expect(external.status).toBe(400);
    expect(((await external.json()) as { error: { message: string } }).error.message).toMatch(/sluice asset report vendor\/feed/);
  });

  it("GET /api/assets/:key/observations gives the latest data version and the history", async () => {
    await server.target.storage.storeEvent({ runId: RUNLESS_RUN_ID, type: "ASSET_OBSERVATION", assetKey: "src/file", data: { dataVersion: "abc", metadata: {} } });
    const body = await get<AssetObservationsJson>("/assets/src/file/observations");
    expect(body.latest.map((o) => o.dataVersion)).toEqual(["abc"]);
    expect(body.history.map((o) => o.dataVersion)).toEqual(["abc"]);
  });
});
