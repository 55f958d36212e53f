import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob, job } from "../definitions/job.js";
import { op } from "../definitions/op.js";
import { EventType } from "../storage/records.js";
import { executeJob } from "./execute-job.js";
import { runInForeground } from "./foreground-run.js";
import { reexecutionOf } from "./reexecution.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

function billingDefs(calls: string[], failNotify: { on: boolean }) {
  const fetchUsage = op({
    name: "fetch_usage",
    config: z.object({ target_date: z.string() }),
    run: (_i, { config }) => (calls.push("fetch_usage"), { date: config.target_date, gb: 12 }),
  });
  const bill = op({ name: "bill_storage_credits", ins: { usage: fetchUsage }, run: ({ usage }) => (calls.push("bill"), usage.gb * 2) });
  const notify = op({
    name: "notify",
    ins: { amount: bill },
    run: ({ amount }) => {
      calls.push("notify");
      if (failNotify.on) throw new Error("mail server down");
      return `billed ${amount}`;
    },
  });
  const cleanup = op({ name: "cleanup", deps: [notify], run: () => void calls.push("cleanup") });
  const monthly = job({ name: "monthly_credit_allocation_job", ops: [cleanup, notify, bill, fetchUsage], tags: { team: "billing" } });
  return defineDefinitions({ jobs: [monthly] });
}

describe("executeJob", () => {
  it("runs an op job in dependency order with op config, recording the run under the job's name", async () => {
    const calls: string[] = [];
    const defs = billingDefs(calls, { on: false });
    const result = await executeJob(target, defs, "monthly_credit_allocation_job", {
      config: { ops: { fetch_usage: { config: { target_date: "2025-12-15" } } } },
    });
    expect(result.status).toBe("SUCCESS");
    expect(calls).toEqual(["fetch_usage", "bill", "notify", "cleanup"]);
    expect(result.outputOf("notify")).toBe("billed 24");
    const run = (await target.storage.getRun(result.runId))!;
    expect(run.jobName).toBe("monthly_credit_allocation_job");
    expect(run.selection).toEqual(["fetch_usage", "bill_storage_credits", "notify", "cleanup"]);
    expect(run.tags).toMatchObject({ team: "billing" });
    const types = (await target.storage.getEvents(result.runId)).map((e) => e.type);
    expect(types).toContain(EventType.StepOutput);
    expect(types).not.toContain(EventType.AssetMaterialization);
  });

  it("refuses bad op config before recording a run, naming the path", async () => {
    const defs = billingDefs([], { on: false });
    await expect(executeJob(target, defs, "monthly_credit_allocation_job", { config: { ops: { fetch_usage: { config: {} } } } })).rejects.toMatchObject({
      code: "CONFIG_ERROR",
      path: "ops.fetch_usage.config.target_date",
    });
    await expect(executeJob(target, defs, "nope")).rejects.toMatchObject({ code: "USAGE_ERROR" });
    expect(await target.storage.listRuns()).toEqual([]);
  });

  it("re-executes from failure: only failed and skipped ops run, succeeded outputs are loaded from the parent run", async () => {
    const calls: string[] = [];
    const failing = { on: true };
    const defs = billingDefs(calls, failing);
    const config = { ops: { fetch_usage: { config: { target_date: "2025-12-15" } } } };
    const first = await executeJob(target, defs, "monthly_credit_allocation_job", { config });
    expect(first.status).toBe("FAILURE");
    expect(first.skipped).toEqual(["cleanup"]);
    failing.on = false;
    calls.length = 0;
    const child = await reexecutionOf(target.storage, first.runId, { fromFailure: true });
    expect(child.selection).toEqual(["notify", "cleanup"]);
    const second = await runInForeground(target, defs, child);
    expect(second.status).toBe("SUCCESS");
    expect(calls).toEqual(["notify", "cleanup"]);
    expect(second.outputOf("notify")).toBe("billed 24");
    const record = (await target.storage.getRun(second.runId))!;
    expect(record.parentRunId).toBe(first.runId);
    expect(record.rootRunId).toBe(first.runId);
    expect(record.tags["sluice/reexecution"]).toBe("from_failure");
    await expect(reexecutionOf(target.storage, second.runId, { fromFailure: true })).rejects.toMatchObject({ code: "USAGE_ERROR" });
  });

  it("keeps the parent's selection expression for a full re-execution only", async () => {
    await target.storage.createRun({ runId: "parent", status: "FAILURE", jobName: "__asset_job", selection: ["a", "b"], selectionExpression: "*" });
    expect((await reexecutionOf(target.storage, "parent", { fromFailure: false })).selectionExpression).toBe("*");
    const subset = await reexecutionOf(target.storage, "parent", { fromFailure: true });
    expect(subset.selection).toEqual(["a", "b"]);
    expect(subset.selectionExpression, "the steps left are not what `*` selects").toBeNull();
  });

  it("runs an asset job over its selection", async () => {
    const a = asset({ key: "a", group: "g", run: () => 1 });
    const b = asset({ key: "b", ins: { a }, run: ({ a: v }) => v + 1 });
    const c = asset({ key: "c", run: () => 0 });
    const defs = defineDefinitions({ assets: [a, b, c], jobs: [assetJob({ name: "refresh", selection: "group:g+" })] });
    const result = await executeJob(target, defs, "refresh");
    expect(result.succeeded).toEqual(["a", "b"]);
    expect((await target.storage.getRun(result.runId))?.jobName).toBe("refresh");
  });
});
