import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { assetSpec } from "../definitions/asset-spec.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { PartitionError, UsageError } from "../definitions/errors.js";
import { observableSourceAsset } from "../definitions/observable-source-asset.js";
import { staticPartitions } from "../definitions/partitions/static-partitions.js";
import { EventType, RUNLESS_RUN_ID, RunStatus } from "../storage/records.js";
import { planBackfill } from "./backfill-request.js";
import { materializeAssets } from "./materialize-assets.js";
import { observeAssets } from "./observe-assets.js";
import { reportMaterialization } from "./report-materialization.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const feed = assetSpec({ key: "vendor/feed" });
let version = "v1";
const file = observableSourceAsset({ key: "src/file", observe: (ctx) => ({ dataVersion: version, metadata: { attempt: ctx.attempt } }) });
const seen: unknown[] = [];
const clean = asset({
  key: "clean",
  deps: [feed, file],
  run: (inputs) => {
    seen.push(inputs);
    return 42;
  },
});
const defs = defineDefinitions({ assets: [feed, file, clean] });

describe("observing", () => {
  it("records the data version observe() returns as an ASSET_OBSERVATION, not a materialization", async () => {
    version = "v1";
    const first = await observeAssets(target, defs, { selection: "*" });
    expect(first.status).toBe(RunStatus.Success);
    expect((await target.storage.getRun(first.runId))?.selection).toEqual(["src/file"]);
    version = "v2";
    await observeAssets(target, defs);
    const latest = await target.storage.getLatestObservations(["src/file"]);
    expect(latest.map((o) => [o.dataVersion, o.metadata.attempt])).toEqual([["v2", { type: "int", value: 1 }]]);
    expect((await target.storage.getObservations("src/file")).map((e) => e.data.dataVersion)).toEqual(["v2", "v1"]);
    expect(await target.storage.getAssetIndex(["src/file"])).toEqual([]);
    const events = await target.storage.getEvents(first.runId, { types: [EventType.AssetObservation] });
    expect(events[0]?.message).toBe('Observed asset "src/file": data version v1.');
  });

  it("fails the step, recording no observation, when observe() returns no data version", async () => {
    const bad = observableSourceAsset({ key: "bad", observe: () => ({ dataVersion: "" }) });
    const result = await observeAssets(target, defineDefinitions({ assets: [bad] }));
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.failures[0]?.error.message).toContain('Observable source asset "bad": observe() returned no data version (got an object with keys ["dataVersion"])');
    expect(await target.storage.getLatestObservations()).toEqual([]);
  });

  it("observes one partition of a partitioned observable asset", async () => {
    const parts = staticPartitions(["eu", "us"]);
    const regional = observableSourceAsset({ key: "regional", partitions: parts, observe: (ctx) => `hash-${ctx.partitionKey}` });
    await observeAssets(target, defineDefinitions({ assets: [regional] }), { partitionKey: "us" });
    expect((await target.storage.getLatestObservations()).map((o) => [o.partition, o.dataVersion])).toEqual([["us", "hash-us"]]);
    // Observing a partition neither materializes it nor leaves it in progress.
    expect(await target.storage.getAssetPartitionStatuses("regional")).toEqual([]);
  });

  it("refuses a selection without an observable source asset, creating no run", async () => {
    await expect(observeAssets(target, defs, { selection: "clean" })).rejects.toThrow(UsageError);
    expect(await target.storage.listRuns()).toEqual([]);
  });
});

describe("materializing around external and observable assets", () => {
  it("leaves external assets out, observes observable ones, and passes nothing of theirs downstream", async () => {
    seen.length = 0;
    version = "v3";
    const result = await materializeAssets(target, defs, { selection: "*" });
    expect(result.status).toBe(RunStatus.Success);
    expect((await target.storage.getRun(result.runId))?.selection).toEqual(["src/file", "clean"]);
    expect(seen).toEqual([{}]);
    expect((await target.storage.getAssetIndex()).map((r) => r.assetKey)).toEqual(["clean"]);
    expect((await target.storage.getLatestObservations()).map((o) => o.dataVersion)).toEqual(["v3"]);
  });

  it("refuses external or observable assets alone, creating no run", async () => {
    await expect(materializeAssets(target, defs, { selection: ["vendor/feed"] })).rejects.toThrow(/is an external asset: Sluice cannot materialize it/);
    await expect(materializeAssets(target, defs, { selection: ["src/file"] })).rejects.toThrow(/is an observable source asset/);
    expect(await target.storage.listRuns()).toEqual([]);
  });
});

describe("reportMaterialization", () => {
  it("records a run-less materialization that the asset index and downstream inputs see", async () => {
    const upstream = assetSpec({ key: "up" });
    const down = asset({ key: "down", deps: [upstream], run: () => 1 });
    const d = defineDefinitions({ assets: [upstream, down] });
    const event = await reportMaterialization(target, { assetKey: "up", metadata: { rows: 120 }, description: "nightly drop", definitions: d });
    expect(event.runId).toBe(RUNLESS_RUN_ID);
    expect(event.data).toEqual({ metadata: { rows: { type: "int", value: 120 } }, reported: true, description: "nightly drop" });
    const index = await target.storage.getAssetIndex(["up"]);
    expect(index.map((r) => [r.runId, r.metadata.rows])).toEqual([[RUNLESS_RUN_ID, { type: "int", value: 120 }]]);
    expect(await target.storage.listRuns()).toEqual([]);
  });

  it("reports a materialization of a partition, which the partition status index counts", async () => {
    const parts = staticPartitions(["eu", "us"]);
    const regional = assetSpec({ key: "regional", partitions: parts });
    const d = defineDefinitions({ assets: [regional] });
    await reportMaterialization(target.storage, { assetKey: "regional", partition: "eu", definitions: d });
    expect((await target.storage.countAssetPartitionStatuses(["regional"])).get("regional")).toEqual({ materialized: 1, failed: 0, inProgress: 0 });
  });

  it("refuses an unknown key or a partition the asset does not have, recording nothing", async () => {
    const parts = staticPartitions(["eu", "us"]);
    const d = defineDefinitions({ assets: [assetSpec({ key: "regional", partitions: parts }), feed] });
    await expect(reportMaterialization(target, { assetKey: "nope", definitions: d })).rejects.toThrow(/Asset "nope" is not defined, so there is nothing to report/);
    await expect(reportMaterialization(target, { assetKey: "regional", partition: "asia", definitions: d })).rejects.toThrow(PartitionError);
    await expect(reportMaterialization(target, { assetKey: "regional", definitions: d })).rejects.toThrow(/Asset "regional" is partitioned .*--partition KEY/);
    await expect(reportMaterialization(target, { assetKey: "vendor/feed", partition: "eu", definitions: d })).rejects.toThrow('Asset "vendor/feed" is not partitioned, but the report names partition "eu"');
    expect(await target.storage.getAssetIndex()).toEqual([]);
  });
});

describe("backfills around external assets", () => {
  const parts = staticPartitions(["eu", "us"]);
  const exported = assetSpec({ key: "vendor/export", partitions: parts });
  const loaded = asset({ key: "loaded", partitions: parts, deps: [exported], run: () => 1 });
  const d = defineDefinitions({ assets: [exported, loaded] });

  it("leave the external assets of the selection out", async () => {
    const plan = await planBackfill(target.storage, { defs: d, target: { selection: "*" }, partitionSet: { kind: "all" }, launchedBy: "test" });
    expect(plan.backfill.target.assetKeys).toEqual(["loaded"]);
    expect(plan.partitionCount).toBe(2);
  });

  it("refuse a selection of external assets only", async () => {
    await expect(planBackfill(target.storage, { defs: d, target: { selection: ["vendor/export"] }, partitionSet: { kind: "all" }, launchedBy: "test" })).rejects.toThrow(
      /is an external asset: Sluice cannot materialize it/,
    );
  });
});
