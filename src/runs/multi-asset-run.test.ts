import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { asset, type AssetDefinition } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { multiAsset } from "../definitions/multi-asset.js";
import { output } from "../definitions/output.js";
import { dailyPartitions } from "../definitions/partitions.js";
import { singleRun } from "../definitions/partitions/backfill-policy.js";
import { EventType, RunStatus } from "../storage/records.js";
import { assetJob } from "../definitions/job.js";
import { executeJob } from "./execute-job.js";
import { materializeAssets } from "./materialize-assets.js";
import { reexecutionOf } from "./reexecution.js";
import { runInForeground } from "./foreground-run.js";
import { hasStoredValue, storedValue } from "./testing/stored-value.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

/** orders → split_orders (orders/paid, orders/open) → revenue (reads paid) and backlog (reads open). */
function shop(options: { canSubset?: boolean; fail?: { times: number }; extra?: AssetDefinition<any>[] } = {}) {
  const calls: { selected: readonly string[]; keys: readonly string[]; config: unknown }[] = [];
  const orders = asset({ key: "orders", run: () => [{ id: 1, amount: 10, paid: true }, { id: 2, amount: 5, paid: false }, { id: 3, amount: 7, paid: true }] });
  const split = multiAsset({
    name: "split_orders",
    outs: { paid: { key: "orders/paid", group: "sales" }, open: { key: "orders/open", group: "sales" } },
    ins: { orders },
    config: z.object({ minAmount: z.number().default(0) }),
    canSubset: options.canSubset ?? false,
    run: ({ orders: rows }, context) => {
      calls.push({ selected: context.selectedOutputs, keys: context.selectedAssetKeys, config: context.config });
      if (options.fail && options.fail.times-- > 0) throw new Error("warehouse unreachable");
      const big = rows.filter((o) => o.amount >= context.config.minAmount);
      const values = { paid: output(big.filter((o) => o.paid), { rowCount: 2 }), open: big.filter((o) => !o.paid) };
      return context.selectedOutputs.length === 2 ? values : context.selectedOutputs.includes("paid") ? { paid: values.paid } : { open: values.open };
    },
  });
  const revenue = asset({ key: "revenue", ins: { paid: split.assets.paid }, run: ({ paid }) => (paid ?? []).reduce((sum, o) => sum + o.amount, 0) });
  const backlog = asset({ key: "backlog", ins: { open: split.assets.open }, run: ({ open }) => (open ?? []).length });
  return { calls, defs: defineDefinitions({ assets: [orders, split, revenue, backlog, ...(options.extra ?? [])] }) };
}

async function materializations(runId: string): Promise<[string | null, string | null][]> {
  const events = await target.storage.getEvents(runId, { types: [EventType.AssetMaterialization] });
  return events.map((e) => [e.assetKey, e.stepKey]);
}

describe("multi-asset runs", () => {
  it("computes every output in one step: one materialization each, stored values, downstream values in memory", async () => {
    const { defs, calls } = shop();
    const result = await materializeAssets(target, defs);
    expect(result.status).toBe(RunStatus.Success);
    expect(result.succeeded).toEqual(["orders", "split_orders", "revenue", "backlog"]);
    expect(result.materialized).toEqual(["orders", "orders/paid", "orders/open", "revenue", "backlog"]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.selected).toEqual(["paid", "open"]);
    expect(calls[0]!.keys).toEqual(["orders/paid", "orders/open"]);
    expect(result.outputOf("revenue")).toBe(17);
    expect(result.outputOf("backlog")).toBe(1);
    expect(await materializations(result.runId)).toEqual([
      ["orders", "orders"],
      ["orders/paid", "split_orders"],
      ["orders/open", "split_orders"],
      ["revenue", "revenue"],
      ["backlog", "backlog"],
    ]);
    const paidEvent = (await target.storage.getEvents(result.runId, { types: [EventType.AssetMaterialization] })).find((e) => e.assetKey === "orders/paid")!;
    expect(paidEvent.message).toBe('Materialized asset "orders/paid" (output "paid" of multi-asset "split_orders").');
    expect(paidEvent.data.metadata?.["sluice/row_count"]).toMatchObject({ value: 2 });
    expect(await storedValue(target, "orders/open")).toEqual([{ id: 2, amount: 5, paid: false }]);
    const steps = await target.storage.getStepStats(result.runId);
    expect(steps.map((s) => [s.key, s.status])).toEqual([
      ["orders", "SUCCESS"],
      ["split_orders", "SUCCESS"],
      ["revenue", "SUCCESS"],
      ["backlog", "SUCCESS"],
    ]);
    expect((await target.storage.getAssetIndex(["orders/paid", "orders/open"])).map((r) => r.assetKey).sort()).toEqual(["orders/open", "orders/paid"]);
  });

  it("loads an output through its IO manager in a later run, and takes its config under ops.NAME", async () => {
    const { defs, calls } = shop();
    await materializeAssets(target, defs, { selection: ["orders", "orders/paid", "orders/open"], config: { ops: { split_orders: { config: { minAmount: 6 } } } } });
    expect(calls[0]!.config).toEqual({ minAmount: 6 });
    const later = await materializeAssets(target, defs, { selection: ["revenue"] });
    expect(later.status).toBe(RunStatus.Success);
    expect(later.outputOf("revenue")).toBe(17);
    expect(calls).toHaveLength(1);
    await expect(materializeAssets(target, defs, { selection: ["revenue"], config: { ops: { "orders/paid": { config: { minAmount: 1 } } } } })).rejects.toMatchObject({ code: "CONFIG_ERROR" });
  });

  it("computes every output when the run selects some and the multi-asset cannot subset, and says so", async () => {
    const { defs, calls } = shop();
    const result = await materializeAssets(target, defs, { selection: ["orders", "orders/paid", "revenue"] });
    expect(result.status).toBe(RunStatus.Success);
    expect(calls[0]!.selected).toEqual(["paid", "open"]);
    expect((await materializations(result.runId)).map(([k]) => k)).toEqual(["orders", "orders/paid", "orders/open", "revenue"]);
    const logs = await target.storage.getEvents(result.runId, { types: [EventType.Log] });
    expect(logs.find((e) => e.stepKey === "split_orders")?.message).toContain('also materializes "orders/open", which the run did not select');
  });

  it("runs in an asset job that selects one of its outputs, as one step", async () => {
    const orders = asset({ key: "orders", run: () => [1, 2] });
    const m = multiAsset({ name: "stats", outs: { min: { key: "stats/min" }, max: { key: "stats/max" } }, ins: { orders }, run: ({ orders: o }) => ({ min: Math.min(...o), max: Math.max(...o) }) });
    const defs = defineDefinitions({ assets: [orders, m], jobs: [assetJob({ name: "stats_job", selection: ["orders", "stats/max"] })] });
    const result = await executeJob(target, defs, "stats_job");
    expect(result.status).toBe(RunStatus.Success);
    expect(result.succeeded).toEqual(["orders", "stats"]);
    expect(result.outputOf("stats/min")).toBe(1);
    expect(result.outputOf("stats/max")).toBe(2);
  });

  it("with canSubset, computes and materializes only the selected outputs", async () => {
    const { defs, calls } = shop({ canSubset: true });
    const result = await materializeAssets(target, defs, { selection: ["orders", "orders/open", "backlog"] });
    expect(result.status).toBe(RunStatus.Success);
    expect(calls[0]!.selected).toEqual(["open"]);
    expect(calls[0]!.keys).toEqual(["orders/open"]);
    expect((await materializations(result.runId)).map(([k]) => k)).toEqual(["orders", "orders/open", "backlog"]);
    expect(await hasStoredValue(target, "orders/paid")).toBe(false);
  });

  it("with canSubset, fails the step when the function returns an output the run did not select", async () => {
    const m = multiAsset({ name: "greedy", canSubset: true, outs: { x: { key: "g/x" }, y: { key: "g/y" } }, run: () => ({ x: 1, y: 2 }) });
    const result = await materializeAssets(target, defineDefinitions({ assets: [m] }), { selection: ["g/y"] });
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.failures[0]).toMatchObject({ stepKey: "greedy" });
    expect(result.failures[0]!.error.message).toBe(
      'Multi-asset "greedy" returned "x", which is not an output this run computes (selected: "y"). Return only the outputs in context.selectedOutputs, and declare every output in outs.',
    );
    expect(await materializations(result.runId)).toEqual([]);
  });

  it("fails the step, naming the output, when a selected output is missing or an unknown one is returned; nothing is materialized", async () => {
    const missing = multiAsset({ name: "pair", outs: { a: { key: "a" }, b: { key: "b" } }, run: () => ({ a: 1 }) as { a: number; b?: number } });
    const extra = multiAsset({ name: "extra", outs: { c: { key: "c" } }, run: () => ({ c: 1, d: 2 }) });
    const defs = defineDefinitions({ assets: [missing, extra] });
    const result = await materializeAssets(target, defs);
    expect(result.status).toBe(RunStatus.Failure);
    const byStep = new Map(result.failures.map((f) => [f.stepKey, f.error.message]));
    expect(byStep.get("pair")).toBe(
      'Multi-asset "pair" did not return "b" (asset "b"), which this run selected. Return a value for every output in context.selectedOutputs (undefined stores nothing but still records the materialization).',
    );
    expect(byStep.get("extra")).toContain('Multi-asset "extra" returned "d", which is not an output this run computes (selected: "c")');
    expect(await materializations(result.runId)).toEqual([]);
    expect(await hasStoredValue(target, "a")).toBe(false);
  });

  it("skips downstream steps of a failed multi-asset, and re-executes it from failure", async () => {
    const { defs, calls } = shop({ fail: { times: 1 } });
    const first = await materializeAssets(target, defs);
    expect(first.status).toBe(RunStatus.Failure);
    expect(first.failures.map((f) => f.stepKey)).toEqual(["split_orders"]);
    expect(first.failures[0]!.error.message).toBe("warehouse unreachable");
    expect(first.skipped.sort()).toEqual(["backlog", "revenue"]);
    const skippedEvents = await target.storage.getEvents(first.runId, { types: [EventType.StepSkipped] });
    expect(skippedEvents.map((e) => e.message)).toContain('Skipped step "revenue" because upstream step "split_orders" failed.');

    const retry = await reexecutionOf(target.storage, first.runId, { fromFailure: true });
    expect(retry.selection).toEqual(["orders/paid", "orders/open", "revenue", "backlog"]);
    const second = await runInForeground(target, defs, retry);
    expect(second.status).toBe(RunStatus.Success);
    expect(calls).toHaveLength(2);
    expect(second.succeeded).toEqual(["split_orders", "revenue", "backlog"]);
  });

  it("does not run a multi-asset again when re-executing from a failure downstream of it", async () => {
    let fail = true;
    const flaky = asset({
      key: "report",
      ins: { paid: "orders/paid" },
      run: () => {
        if (fail) throw new Error("report service down");
        return "ok";
      },
    });
    const { defs, calls } = shop({ extra: [flaky] });
    const first = await materializeAssets(target, defs);
    expect(first.failures.map((f) => f.stepKey)).toEqual(["report"]);
    fail = false;
    const retry = await reexecutionOf(target.storage, first.runId, { fromFailure: true });
    expect(retry.selection).toEqual(["report"]);
    const second = await runInForeground(target, defs, retry);
    expect(second.status).toBe(RunStatus.Success);
    expect(calls).toHaveLength(1);
  });

  it("materializes one partition of a partitioned multi-asset, read by a partitioned asset in memory", async () => {
    const days = dailyPartitions({ start: "2025-01-01" });
    const seen: (string | null)[] = [];
    const m = multiAsset({
      name: "daily_split",
      outs: { even: { key: "daily/even" }, odd: { key: "daily/odd" } },
      partitions: days,
      run: (_inputs, context) => {
        seen.push(context.partitionKey);
        const day = Number(context.partitionKey.slice(-2));
        return { even: day % 2 === 0 ? [day] : [], odd: day % 2 === 1 ? [day] : [] };
      },
    });
    const down = asset({ key: "daily/odd_count", partitions: days, ins: { odd: m.assets.odd }, run: ({ odd }) => odd.length });
    const defs = defineDefinitions({ assets: [m, down] });
    const result = await materializeAssets(target, defs, { partitionKey: "2025-01-03" });
    expect(result.status).toBe(RunStatus.Success);
    expect(seen).toEqual(["2025-01-03"]);
    expect(result.outputOf("daily/odd_count")).toBe(1);
    const events = await target.storage.getEvents(result.runId, { types: [EventType.AssetMaterialization] });
    expect(events.map((e) => [e.assetKey, e.partition])).toEqual([
      ["daily/even", "2025-01-03"],
      ["daily/odd", "2025-01-03"],
      ["daily/odd_count", "2025-01-03"],
    ]);
    expect(await storedValue(target, "daily/odd", "2025-01-03")).toEqual([3]);
    const statuses = await target.storage.getAssetPartitionStatuses("daily/even");
    expect(statuses.map((s) => [s.partition, s.status])).toEqual([["2025-01-03", "MATERIALIZED"]]);
  });

  it("marks the partition failed for every output when a partitioned multi-asset's step fails", async () => {
    const m = multiAsset({
      name: "broken",
      outs: { a: { key: "broken/a" }, b: { key: "broken/b" } },
      partitions: dailyPartitions({ start: "2025-01-01" }),
      run: (): { a: number; b: number } => {
        throw new Error("source down");
      },
    });
    const result = await materializeAssets(target, defineDefinitions({ assets: [m] }), { partitionKey: "2025-01-02" });
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.failures[0]!.error.message).toBe("source down");
    for (const key of ["broken/a", "broken/b"]) {
      expect((await target.storage.getAssetPartitionStatuses(key)).map((s) => [s.partition, s.status])).toEqual([["2025-01-02", "FAILED"]]);
    }
  });

  it("materializes a range of partitions in one step under a backfill policy", async () => {
    const days = dailyPartitions({ start: "2025-01-01" });
    const m = multiAsset({
      name: "range_split",
      outs: { first: { key: "range/first" }, last: { key: "range/last" } },
      partitions: days,
      backfillPolicy: singleRun(),
      run: (_inputs, context) => ({ first: context.partitionKeysInRun[0], last: context.partitionKeysInRun.at(-1) }),
    });
    const defs = defineDefinitions({ assets: [m] });
    const result = await materializeAssets(target, defs, { partitionRange: { start: "2025-01-02", end: "2025-01-04" } });
    expect(result.status).toBe(RunStatus.Success);
    const events = await target.storage.getEvents(result.runId, { types: [EventType.AssetMaterialization] });
    expect(events.map((e) => `${e.assetKey}@${e.partition}`)).toEqual([
      "range/first@2025-01-02",
      "range/first@2025-01-03",
      "range/first@2025-01-04",
      "range/last@2025-01-02",
      "range/last@2025-01-03",
      "range/last@2025-01-04",
    ]);
    expect(await storedValue(target, "range/last", "2025-01-03")).toBe("2025-01-04");
  });
});
