import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { staticPartitions } from "../definitions/partitions/static-partitions.js";
import { dailyPartitions } from "../definitions/partitions/time-partition-factories.js";
import { caught, expectSluiceError } from "../storage/testing/contract-helpers.js";
import { launchBackfill, retryFailedBackfill } from "./backfill-control.js";
import { parsePartitionsArg, planBackfill } from "./backfill-request.js";
import { BACKFILL_TAG, PARENT_BACKFILL_TAG } from "./new-run.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

const days = dailyPartitions({ start: "2024-01-01", end: "2024-01-11" });
const regions = staticPartitions(["eu", "us", "asia"]);
const raw = asset({ key: "raw", partitions: days, run: () => 1 });
const clean = asset({ key: "clean", partitions: days, ins: { raw }, run: ({ raw: r }) => r });
const byRegion = asset({ key: "by_region", partitions: regions, run: () => 1 });
const plain = asset({ key: "plain", run: () => 1 });
const defs = defineDefinitions({ assets: [raw, clean, byRegion, plain], jobs: [assetJob({ name: "daily_job", selection: "raw or clean" })] });

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const plan = (partitionSet: Parameters<typeof planBackfill>[1]["partitionSet"], selection: string | string[] = "raw+") =>
  planBackfill(target.storage, { defs, target: { selection }, partitionSet, launchedBy: "test" });

describe("parsePartitionsArg", () => {
  it("reads a range, a list, and refuses empty parts", () => {
    expect(parsePartitionsArg("2024-01-01...2024-01-03")).toEqual({ kind: "range", first: "2024-01-01", last: "2024-01-03" });
    expect(parsePartitionsArg("eu, us")).toEqual({ kind: "keys", keys: ["eu", "us"] });
    for (const bad of ["", "...b", "a...", "a...b...c", "a,,b"]) {
      let err: unknown;
      try {
        parsePartitionsArg(bad);
      } catch (e) {
        err = e;
      }
      expectSluiceError(err, "USAGE_ERROR", /--partitions/);
    }
  });
});

describe("planBackfill", () => {
  it("plans a range in the definition's order, one group, one run per key", async () => {
    const p = await plan({ kind: "range", first: "2024-01-02", last: "2024-01-04" });
    expect(p.backfill.groups[0]!.partitionKeys).toEqual(["2024-01-02", "2024-01-03", "2024-01-04"]);
    expect(p.backfill.groups).toEqual([{ name: "", assetKeys: ["raw", "clean"], upstream: [], partitionKeys: ["2024-01-02", "2024-01-03", "2024-01-04"], runCount: 3 }]);
    expect(p.backfill.target).toEqual({ kind: "assets", selection: "raw+", assetKeys: ["raw", "clean"] });
    expect([p.partitionCount, p.runCount]).toEqual([3, 3]);
    const all = await plan({ kind: "all" });
    expect(all.partitionCount).toBe(10);
    const keys = await plan({ kind: "keys", keys: ["us", "eu", "us"] }, "by_region");
    expect(keys.backfill.groups[0]!.partitionKeys).toEqual(["eu", "us"]);
    const job = await planBackfill(target.storage, { defs, target: { job: "daily_job" }, partitionSet: { kind: "all" }, launchedBy: "test" });
    expect(job.backfill.target).toEqual({ kind: "job", jobName: "daily_job", assetKeys: ["raw", "clean"] });
  });

  it("refuses bad input with the assets, the key and the valid range, recording nothing", async () => {
    const valid = /Valid partitions: "2024-01-01" to "2024-01-10" \(10 of daily partitions/;
    const unknown = await caught(plan({ kind: "range", first: "2023-12-01", last: "2024-01-03" }));
    expectSluiceError(unknown, "PARTITION_ERROR", /selection "raw\+".*"2023-12-01"/s);
    expectSluiceError(unknown, "PARTITION_ERROR", valid);
    expectSluiceError(await caught(plan({ kind: "range", first: "2024-01-05", last: "2024-01-02" })), "PARTITION_ERROR", /reversed: "2024-01-05" comes after "2024-01-02"/);
    expectSluiceError(await caught(plan({ kind: "keys", keys: ["2024-02-30"] })), "PARTITION_ERROR", valid);
    expectSluiceError(await caught(plan({ kind: "keys", keys: ["mars"] }, "by_region")), "PARTITION_ERROR", /"mars".*Valid partitions: "eu" to "asia"/s);
    expectSluiceError(await caught(plan({ kind: "keys", keys: [] })), "PARTITION_ERROR", /no partition key/);
    expectSluiceError(await caught(plan({ kind: "all" }, "plain")), "PARTITION_ERROR", /has no partitioned asset/);
    expectSluiceError(await caught(plan({ kind: "all" }, ["raw", "plain"])), "PARTITION_ERROR", /unpartitioned ones \("plain"\)/);
    expectSluiceError(await caught(plan({ kind: "all" }, ["raw", "by_region"])), "PARTITION_ERROR", /"raw" \(daily partitions.*"by_region" \(static.*neither reads the other.*Backfill them separately/s);
    expectSluiceError(await caught(planBackfill(target.storage, { defs, target: { job: "nope" }, partitionSet: { kind: "all" }, launchedBy: "t" })), "USAGE_ERROR", /nope/);
    expectSluiceError(await caught(plan({ kind: "all" }, "nothing_here")), "SELECTION_ERROR", /matched no assets/);
    expect(await target.storage.listBackfills()).toEqual([]);
    expect(await target.storage.countRuns()).toBe(0);
  });

  it("bounds the request: too many keys are refused before they are listed", async () => {
    const many = Array.from({ length: 100_001 }, (_, i) => `k${i}`);
    expectSluiceError(await caught(plan({ kind: "keys", keys: many }, "by_region")), "INPUT_TOO_LARGE", /100,001 partitions, more than the 100,000/);
    const hourlyForever = asset({ key: "h", partitions: dailyPartitions({ start: "1700-01-01" }), run: () => 1 });
    const big = defineDefinitions({ assets: [hourlyForever] });
    expectSluiceError(await caught(planBackfill(target.storage, { defs: big, target: { selection: "h" }, partitionSet: { kind: "all" }, launchedBy: "t" })), "INPUT_TOO_LARGE", /split it into ranges/);
  });

  it("plans --missing and --failed from the per-partition status index", async () => {
    const s = target.storage;
    await s.createRun({ runId: "r", jobName: "j", selection: [] });
    for (const partition of ["2024-01-01", "2024-01-02", "2024-01-03"]) {
      await s.storeEvent({ runId: "r", type: "ASSET_MATERIALIZATION", assetKey: "raw", stepKey: "raw", partition });
    }
    await s.storeEvent({ runId: "r", type: "ASSET_MATERIALIZATION", assetKey: "clean", stepKey: "clean", partition: "2024-01-01" });
    await s.storeEvent({ runId: "r", type: "STEP_START", assetKey: "clean", stepKey: "clean", partition: "2024-01-02" });
    await s.storeEvent({ runId: "r", type: "STEP_FAILURE", assetKey: "clean", stepKey: "clean", partition: "2024-01-02" });
    const missing = await plan({ kind: "missing" });
    expect(missing.backfill.groups[0]!.partitionKeys).toEqual(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08", "2024-01-09", "2024-01-10"]);
    expect((await plan({ kind: "missing" }, "raw")).partitionCount).toBe(7);
    expect((await plan({ kind: "failed" })).backfill.groups[0]!.partitionKeys).toEqual(["2024-01-02"]);
    expectSluiceError(await caught(plan({ kind: "failed" }, "raw")), "PARTITION_ERROR", /no partition is failed/);
  });
});

describe("retry-failed", () => {
  it("backfills the failed partitions of a finished backfill again, tagged with its parent", async () => {
    const s = target.storage;
    const { backfill } = await launchBackfill(s, { defs, target: { selection: "raw+" }, partitionSet: { kind: "range", first: "2024-01-01", last: "2024-01-03" }, tags: { team: "data" }, launchedBy: "test" });
    expectSluiceError(await caught(retryFailedBackfill(s, defs, backfill.backfillId, "test")), "USAGE_ERROR", /once it has finished/);
    await s.updateBackfillPartitions(backfill.backfillId, [{ group: "", partition: "2024-01-02", status: "failed" }], { onlyFrom: ["pending"] });
    await s.setBackfillStatus(backfill.backfillId, "FAILED");
    const retry = await retryFailedBackfill(s, defs, backfill.backfillId, "test");
    expect(retry.backfill).toMatchObject({ parentBackfillId: backfill.backfillId, partitionCount: 1, tags: { team: "data", [PARENT_BACKFILL_TAG]: backfill.backfillId } });
    expect(retry.plan.backfill.groups[0]!.partitionKeys).toEqual(["2024-01-02"]);
    expect(BACKFILL_TAG).toBe("sluice/backfill");
  });
});
