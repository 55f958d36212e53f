import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset, type AssetContext } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { dailyPartitions, multiPartitions, staticPartitions } from "../definitions/partitions.js";
import { EventType, RunStatus } from "../storage/records.js";
import { executeJob } from "./execute-job.js";
import { materializeAssets } from "./materialize-assets.js";
import { reexecutionOf } from "./reexecution.js";
import { runInForeground } from "./foreground-run.js";
import { PARTITION_TAG } from "../execution/run-partition.js";
import { hasStoredValue, storedValue } from "./testing/stored-value.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const days = dailyPartitions({ start: "2025-01-01" });

/** What a step saw of its partition. */
type Seen = Pick<AssetContext, "partitionKey" | "partitionTimeWindow" | "partitionKeys">;

function chain() {
  const seen = new Map<string, Seen>();
  const remember = (key: string, ctx: AssetContext<any, any>): void => {
    seen.set(`${key}@${ctx.partitionKey}`, { partitionKey: ctx.partitionKey, partitionTimeWindow: ctx.partitionTimeWindow, partitionKeys: ctx.partitionKeys });
  };
  const events = asset({
    key: "raw/events",
    partitions: days,
    run: (_in, ctx) => {
      remember("raw/events", ctx);
      return [{ day: ctx.partitionKey, n: Number(ctx.partitionKey!.slice(-2)) }];
    },
  });
  const daily = asset({
    key: "daily_totals",
    partitions: dailyPartitions({ start: "2025-01-01" }), // equal by value to `days`
    ins: { events },
    run: ({ events: rows }, ctx) => {
      remember("daily_totals", ctx);
      return { day: ctx.partitionKey, total: rows.reduce((sum, r) => sum + r.n, 0) };
    },
  });
  const summary = asset({
    key: "summary",
    ins: { totals: daily },
    run: ({ totals }, ctx) => {
      remember("summary", ctx);
      return totals;
    },
  });
  return { seen, defs: defineDefinitions({ assets: [events, daily, summary], jobs: [assetJob({ name: "daily_job", selection: ["raw/events", "daily_totals"] })] }) };
}

describe("partitioned runs", () => {
  it("materializes one partition: context, stored values, run record, events and the asset index", async () => {
    const { defs, seen } = chain();
    const result = await materializeAssets(target, defs, { selection: ["raw/events", "daily_totals"], partitionKey: "2025-01-03" });
    expect(result.status).toBe(RunStatus.Success);
    expect(result.outputOf("daily_totals")).toEqual({ day: "2025-01-03", total: 3 });
    expect(seen.get("daily_totals@2025-01-03")).toEqual({
      partitionKey: "2025-01-03",
      partitionTimeWindow: { start: new Date("2025-01-03T00:00:00Z"), end: new Date("2025-01-04T00:00:00Z") },
      partitionKeys: null,
    });
    expect(await storedValue(target, "raw/events", "2025-01-03")).toEqual([{ day: "2025-01-03", n: 3 }]);
    const run = (await target.storage.getRun(result.runId))!;
    expect(run.partition).toBe("2025-01-03");
    expect(run.tags[PARTITION_TAG]).toBe("2025-01-03");
    const events = await target.storage.getEvents(result.runId);
    const materializations = events.filter((e) => e.type === EventType.AssetMaterialization);
    expect(materializations.map((e) => [e.assetKey, e.partition])).toEqual([
      ["raw/events", "2025-01-03"],
      ["daily_totals", "2025-01-03"],
    ]);
    expect(events.find((e) => e.type === EventType.RunSuccess)?.partition).toBe("2025-01-03");
    const index = await target.storage.getAssetIndex(["daily_totals"]);
    expect(index.map((r) => r.partition)).toEqual(["2025-01-03"]);
  });

  it("loads the same partition of an upstream asset from an earlier run, and fails clearly for one never materialized", async () => {
    const { defs } = chain();
    await materializeAssets(target, defs, { selection: ["raw/events"], partitionKey: "2025-01-02" });
    const ok = await materializeAssets(target, defs, { selection: ["daily_totals"], partitionKey: "2025-01-02" });
    expect(ok.outputOf("daily_totals")).toEqual({ day: "2025-01-02", total: 2 });

    const missing = await materializeAssets(target, defs, { selection: ["daily_totals"], partitionKey: "2025-01-04" });
    expect(missing.status).toBe(RunStatus.Failure);
    expect(missing.failures[0]!.error.message).toContain('partition "2025-01-04" of asset "raw/events"');
    expect(missing.failures[0]!.error.message).toContain("never been materialized");
  });

  it("gives an unpartitioned downstream asset every materialized partition, in partition order", async () => {
    const { defs, seen } = chain();
    for (const day of ["2025-01-05", "2025-01-02"]) {
      await materializeAssets(target, defs, { selection: ["raw/events", "daily_totals"], partitionKey: day });
    }
    const result = await materializeAssets(target, defs, { selection: ["summary"] });
    expect(result.status).toBe(RunStatus.Success);
    const value = result.outputOf("summary") as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(["2025-01-02", "2025-01-05"]);
    expect(value["2025-01-05"]).toEqual({ day: "2025-01-05", total: 5 });
    expect(seen.get("summary@null")?.partitionKey).toBeNull();
    const run = (await target.storage.getRun(result.runId))!;
    expect(run.partition).toBeNull();
  });

  it("runs an unpartitioned asset in a partitioned run unpartitioned, after its partition of upstream", async () => {
    const { defs } = chain();
    await materializeAssets(target, defs, { selection: ["raw/events", "daily_totals"], partitionKey: "2025-01-01" });
    const result = await materializeAssets(target, defs, { selection: ["raw/events", "daily_totals", "summary"], partitionKey: "2025-01-03" });
    expect(result.status).toBe(RunStatus.Success);
    expect(Object.keys(result.outputOf("summary") as object)).toEqual(["2025-01-01", "2025-01-03"]);
    const materialized = (await target.storage.getEvents(result.runId, { types: [EventType.AssetMaterialization] })).map((e) => [e.assetKey, e.partition]);
    expect(materialized).toContainEqual(["summary", null]);
    expect(await hasStoredValue(target, "summary")).toBe(true);
  });

  it("refuses, before recording a run: no key for partitioned assets, a key that does not exist, a key for unpartitioned assets", async () => {
    const { defs } = chain();
    await expect(materializeAssets(target, defs, { selection: ["raw/events", "daily_totals"] })).rejects.toMatchObject({
      code: "PARTITION_ERROR",
      message: expect.stringMatching(/Assets "raw\/events", "daily_totals" are partitioned \(daily partitions from "2025-01-01" \(UTC\)\), so a run needs a partition key/),
    });
    await expect(materializeAssets(target, defs, { selection: ["raw/events"], partitionKey: "2024-12-31" })).rejects.toMatchObject({
      code: "PARTITION_ERROR",
      partitionKey: "2024-12-31",
      message: expect.stringContaining('Valid keys run from "2025-01-01" to'),
    });
    await expect(materializeAssets(target, defs, { selection: ["summary"], partitionKey: "2025-01-01" })).rejects.toMatchObject({
      code: "PARTITION_ERROR",
      message: expect.stringContaining('Partition "2025-01-01" was given, but asset "summary" is not partitioned'),
    });
    expect(await target.storage.listRuns()).toEqual([]);
  });

  it("executes an asset job for a partition, and re-executes a partitioned run with its partition", async () => {
    const { defs } = chain();
    const result = await executeJob(target, defs, "daily_job", { partitionKey: "2025-01-07" });
    expect(result.status).toBe(RunStatus.Success);
    expect((await target.storage.getRun(result.runId))!.partition).toBe("2025-01-07");
    await expect(executeJob(target, defs, "daily_job")).rejects.toMatchObject({
      code: "PARTITION_ERROR",
      message: expect.stringContaining('Job "daily_job" materializes partitioned assets "raw/events", "daily_totals"'),
    });
    const again = await runInForeground(target, defs, await reexecutionOf(target.storage, result.runId, { fromFailure: false }));
    expect(again.status).toBe(RunStatus.Success);
    expect((await target.storage.getRun(again.runId))!.partition).toBe("2025-01-07");
  });

  it("gives multi-partitioned steps the key of each dimension and the time window of the time dimension", async () => {
    const byDayAndDevice = multiPartitions({ device: staticPartitions(["dev-1", "dev-2"]), date: days });
    let seen: Seen | undefined;
    const readings = asset({
      key: "readings",
      partitions: byDayAndDevice,
      run: (_in, ctx) => {
        seen = { partitionKey: ctx.partitionKey, partitionTimeWindow: ctx.partitionTimeWindow, partitionKeys: ctx.partitionKeys };
        return ctx.partitionKeys;
      },
    });
    const defs = defineDefinitions({ assets: [readings] });
    const result = await materializeAssets(target, defs, { partitionKey: "2025-01-02|dev-2" });
    expect(result.status).toBe(RunStatus.Success);
    expect(seen).toEqual({
      partitionKey: "2025-01-02|dev-2",
      partitionTimeWindow: { start: new Date("2025-01-02T00:00:00Z"), end: new Date("2025-01-03T00:00:00Z") },
      partitionKeys: { date: "2025-01-02", device: "dev-2" },
    });
    const run = (await target.storage.getRun(result.runId))!;
    expect(run.tags).toMatchObject({ "sluice/partition": "2025-01-02|dev-2", "sluice/partition/date": "2025-01-02", "sluice/partition/device": "dev-2" });
    expect(await hasStoredValue(target, "readings", "2025-01-02|dev-2")).toBe(true);
    await expect(materializeAssets(target, defs, { partitionKey: "2025-01-02|dev-9" })).rejects.toThrow(/dimension "device": Partition "dev-9" is not one of the 2 keys/);
  });
});
