import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "../definitions/asset.js";
import { assetCheck } from "../definitions/asset-check.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { dailyPartitions, singleRun, staticPartitions } from "../definitions/partitions.js";
import { resource } from "../definitions/resource.js";
import { EventType, RunStatus } from "../storage/records.js";
import { assetJob } from "../definitions/job.js";
import { executeJob } from "./execute-job.js";
import { materializeAssets } from "./materialize-assets.js";
import { assetStatusLookup } from "./asset-statuses.js";
import { runInForeground } from "./foreground-run.js";
import { reexecutionOf } from "./reexecution.js";
import { checkKeysOf } from "./run-target.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const stepsOf = async (runId: string) => (await target.storage.getStepStats(runId)).map((s) => [s.key, s.status]);

describe("asset checks in runs", () => {
  it("runs an asset's checks after it, on its value, and records each evaluation", async () => {
    const seen: unknown[] = [];
    const orders = asset({
      key: "orders",
      run: () => [{ id: 1 }, { id: 2 }],
      checks: [
        {
          name: "has_rows",
          description: "at least one row",
          run: (rows, context) => {
            seen.push(rows, context.checkName, context.assetKey, context.partitionKey);
            return { passed: rows.length > 0, metadata: { rows: rows.length } };
          },
        },
      ],
    });
    const defs = defineDefinitions({ assets: [orders] });
    const result = await materializeAssets(target, defs);
    expect(result.status).toBe(RunStatus.Success);
    expect(seen).toEqual([[{ id: 1 }, { id: 2 }], "has_rows", "orders", null]);
    expect(await stepsOf(result.runId)).toEqual([
      ["orders", "SUCCESS"],
      ["orders:has_rows", "SUCCESS"],
    ]);
    const [evaluation] = await target.storage.getLatestCheckEvaluations();
    expect(evaluation).toMatchObject({
      assetKey: "orders",
      checkName: "has_rows",
      partition: null,
      runId: result.runId,
      status: "PASSED",
      passed: true,
      severity: "ERROR",
      description: null,
      metadata: { rows: { type: "int", value: 2 } },
    });
    const event = (await target.storage.getEvents(result.runId, { types: [EventType.AssetCheckEvaluation] }))[0];
    expect(event).toMatchObject({ stepKey: "orders:has_rows", assetKey: "orders", message: 'Check "orders:has_rows" passed.' });
    // The check's step is not an attempt at the asset: its partition status and index are the asset's alone.
    expect((await target.storage.getAssetIndex()).map((r) => r.assetKey)).toEqual(["orders"]);
  });

  it("lets downstream assets run after a failed non-blocking check, and the run succeeds", async () => {
    const a = asset({ key: "a", run: () => 0, checks: [{ name: "positive", run: (n) => ({ passed: n > 0, description: `got ${n}` }) }] });
    const b = asset({ key: "b", ins: { a }, run: ({ a: n }) => n + 1 });
    const result = await materializeAssets(target, defineDefinitions({ assets: [a, b] }));
    expect(result.status).toBe(RunStatus.Success);
    expect(await stepsOf(result.runId)).toContainEqual(["b", "SUCCESS"]);
    expect(await target.storage.getLatestCheckEvaluations(["a"])).toMatchObject([{ status: "FAILED", passed: false, severity: "ERROR", description: "got 0" }]);
  });

  it("skips the steps downstream of an asset whose blocking check fails with ERROR, and fails the run", async () => {
    let downstreamRan = false;
    const a = asset({ key: "a", run: () => [] as number[], checks: [{ name: "not_empty", blocking: true, run: (rows) => ({ passed: rows.length > 0, description: "no rows" }) }] });
    const b = asset({ key: "b", ins: { a }, run: () => (downstreamRan = true) });
    const c = asset({ key: "c", deps: [b], run: () => 1 });
    const other = asset({ key: "other", run: () => 1 });
    const result = await materializeAssets(target, defineDefinitions({ assets: [a, b, c, other] }));
    expect(result.status).toBe(RunStatus.Failure);
    expect(downstreamRan).toBe(false);
    expect(result.failures.map((f) => [f.stepKey, f.error.className])).toEqual([["a:not_empty", "CheckFailedError"]]);
    expect(result.failures[0]?.error.message).toBe('blocking check "a:not_empty" failed: no rows; steps downstream of its asset are skipped.');
    expect(result.skipped).toEqual(["b", "c"]);
    expect(result.succeeded).toEqual(["a", "other"]);
    // The asset itself was materialized: the check judges it, it does not undo it.
    expect((await target.storage.getAssetIndex()).map((r) => r.assetKey)).toEqual(["a", "other"]);
  });

  it("re-executes from failure the failed blocking check with the steps it skipped, which wait for it again", async () => {
    let rows: number[] = [];
    const a = asset({ key: "a", run: () => rows, checks: [{ name: "not_empty", blocking: true, run: (r) => ({ passed: r.length > 0 }) }] });
    const b = asset({ key: "b", ins: { a }, run: ({ a: r }) => r.length });
    const defs = defineDefinitions({ assets: [a, b] });
    const failed = await materializeAssets(target, defs);
    expect(failed.skipped).toEqual(["b"]);
    const again = await runInForeground(target, defs, await reexecutionOf(target.storage, failed.runId, { fromFailure: true }));
    expect((await target.storage.getRun(again.runId))?.selection).toEqual(["b", "a:not_empty"]);
    // The stored value of a is still empty: the check fails again and b is skipped again.
    expect([again.status, again.skipped]).toEqual([RunStatus.Failure, ["b"]]);
    rows = [1];
    const fixed = await materializeAssets(target, defs, { selection: ["a"] });
    expect(fixed.status).toBe(RunStatus.Success);
    const last = await runInForeground(target, defs, await reexecutionOf(target.storage, again.runId, { fromFailure: true }));
    expect([last.status, last.succeeded]).toEqual([RunStatus.Success, ["a:not_empty", "b"]]);
  });

  it("runs the checks of an asset job's assets in its runs, and re-executes a job's failed check", async () => {
    const a = asset({ key: "a", run: () => 0, checks: [{ name: "positive", blocking: true, run: (n) => ({ passed: n > 0 }) }] });
    const b = asset({ key: "b", ins: { a }, run: ({ a: n }) => n });
    const defs = defineDefinitions({ assets: [a, b], jobs: [assetJob({ name: "both", selection: "*" })] });
    const run = await executeJob(target, defs, "both");
    expect([run.status, run.failures.map((f) => f.stepKey), run.skipped]).toEqual([RunStatus.Failure, ["a:positive"], ["b"]]);
    const again = await runInForeground(target, defs, await reexecutionOf(target.storage, run.runId, { fromFailure: true }));
    expect((await target.storage.getRun(again.runId))).toMatchObject({ jobName: "both", selection: ["b", "a:positive"] });
    expect(again.failures.map((f) => f.stepKey)).toEqual(["a:positive"]);
  });

  it("lets downstream steps run when a blocking check fails with WARN only", async () => {
    const a = asset({ key: "a", run: () => 1, checks: [{ name: "soft", blocking: true, run: () => ({ passed: false, severity: "WARN" }) }] });
    const b = asset({ key: "b", ins: { a }, run: ({ a: n }) => n });
    const result = await materializeAssets(target, defineDefinitions({ assets: [a, b] }));
    expect(result.status).toBe(RunStatus.Success);
    expect(await target.storage.getLatestCheckEvaluations()).toMatchObject([{ status: "FAILED", severity: "WARN" }]);
  });

  it("fails the step of a check that throws, or returns no result, recording EXECUTION_FAILED", async () => {
    const a = asset({
      key: "a",
      run: () => 1,
      checks: [
        { name: "throws", run: () => Promise.reject(new Error("database is down")) },
        { name: "bool", run: (() => true) as never },
      ],
    });
    const result = await materializeAssets(target, defineDefinitions({ assets: [a] }));
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.failures.map((f) => f.stepKey)).toEqual(["a:throws", "a:bool"]);
    const latest = await target.storage.getLatestCheckEvaluations();
    expect(latest.map((e) => [e.checkName, e.status, e.passed, e.description])).toEqual([
      ["bool", "EXECUTION_FAILED", false, 'TypeError: Check "a:bool" returned boolean true, not a check result. Return { passed: boolean, severity?: "WARN" | "ERROR", description?: string, metadata?: {...} }.'],
      ["throws", "EXECUTION_FAILED", false, "Error: database is down"],
    ]);
  });

  it("runs checks alone, on the stored value, and refuses when the asset was never materialized", async () => {
    let assetRuns = 0;
    const orders = asset({ key: "orders", run: () => (assetRuns++, [5, 6]), checks: [{ name: "sum", run: (v) => ({ passed: v.reduce((x, y) => x + y, 0) === 11 }) }] });
    const defs = defineDefinitions({ assets: [orders] });
    expect(checkKeysOf(defs, ["orders"])).toEqual(["orders:sum"]);

    const before = await materializeAssets(target, defs, { selection: ["orders:sum"] });
    expect(before.status).toBe(RunStatus.Failure);
    expect(before.failures[0]?.error.message).toBe(
      `Check "orders:sum" has nothing to check: asset "orders" has never been materialized. Materialize it first (sluice materialize --select 'key:"orders"'), or run the check with its asset.`,
    );
    expect(await target.storage.getLatestCheckEvaluations()).toMatchObject([{ status: "EXECUTION_FAILED" }]);

    await materializeAssets(target, defs, { selection: ["orders"] });
    const alone = await materializeAssets(target, defs, { selection: ["orders:sum"] });
    expect(alone.status).toBe(RunStatus.Success);
    expect(assetRuns).toBe(1);
    expect((await target.storage.getRun(alone.runId))?.selection).toEqual(["orders:sum"]);
    expect(await stepsOf(alone.runId)).toEqual([["orders:sum", "SUCCESS"]]);
    expect((await target.storage.getLatestCheckEvaluations())[0]).toMatchObject({ runId: alone.runId, passed: true });
  });

  it("refuses an unknown check key before creating a run", async () => {
    const defs = defineDefinitions({ assets: [asset({ key: "orders", run: () => 1 })] });
    await expect(materializeAssets(target, defs, { selection: ["orders:nope"] })).rejects.toThrow('Check "orders:nope" is not in these definitions. List them with: sluice check list');
    expect(await target.storage.listRuns()).toEqual([]);
  });

  it("checks the run's partition, and each key of a range run", async () => {
    const regions = staticPartitions(["eu", "us"]);
    const sales = asset({ key: "sales", partitions: regions, run: (_i, { partitionKey }) => partitionKey.length, checks: [{ name: "two", run: (n, { partitionKey }) => ({ passed: n === 2, description: partitionKey ?? "" }) }] });
    const defs = defineDefinitions({ assets: [sales] });
    const run = await materializeAssets(target, defs, { partitionKey: "eu" });
    expect(run.status).toBe(RunStatus.Success);
    expect(await target.storage.getLatestCheckEvaluations()).toMatchObject([{ partition: "eu", passed: true, description: "eu" }]);
    const missing = await materializeAssets(target, defs, { selection: ["sales:two"], partitionKey: "us" });
    expect(missing.failures[0]?.error.message).toMatch(/^Check "sales:two" has nothing to check: partition "us" of asset "sales" has never been materialized/);

    const days = dailyPartitions({ start: "2025-01-01" });
    const daily = asset({ key: "daily", partitions: days, backfillPolicy: singleRun(), run: () => 3, checks: [{ name: "three", run: (n, { partitionKey }) => ({ passed: n === 3, description: partitionKey ?? "" }) }] });
    const rangeDefs = defineDefinitions({ assets: [daily] });
    const range = await materializeAssets(target, rangeDefs, { partitionRange: { start: "2025-01-01", end: "2025-01-03" } });
    expect(range.status).toBe(RunStatus.Success);
    const evaluations = await target.storage.getCheckEvaluations("daily", "three");
    expect(evaluations.map((e) => [e.partition, e.passed, e.description])).toEqual([
      ["2025-01-03", true, "2025-01-03"],
      ["2025-01-02", true, "2025-01-02"],
      ["2025-01-01", true, "2025-01-01"],
    ]);
  });

  it("gives assetCheck() its config and resources", async () => {
    const orders = asset({ key: "orders", run: () => [1, 2, 3] });
    const limits = resource({ config: z.object({ max: z.number() }), setup: ({ max }) => ({ max }) });
    const underMax = assetCheck({
      asset: orders,
      name: "under_max",
      resources: { limits },
      config: z.object({ factor: z.number().default(1) }),
      run: (rows, { resources, config }) => ({ passed: rows.length * config.factor <= resources.limits.max }),
    });
    const defs = defineDefinitions({ assets: [orders], assetChecks: [underMax], resources: { limits: { max: 5 } } });
    expect((await materializeAssets(target, defs)).status).toBe(RunStatus.Success);
    await materializeAssets(target, defs, { selection: ["orders:under_max"], config: { ops: { "orders:under_max": { config: { factor: 2 } } } } });
    const history = await target.storage.getCheckEvaluations("orders", "under_max");
    expect(history.map((e) => e.passed)).toEqual([false, true]);
  });

  it("answers status: from the latest evaluations, and materializes what it selects", async () => {
    let rows = 0;
    const ok = asset({ key: "ok", run: () => 1, checks: [{ name: "fine", run: () => ({ passed: true }) }] });
    const bad = asset({ key: "bad", run: () => rows, checks: [{ name: "has_rows", run: (n) => ({ passed: n > 0 }) }] });
    const warn = asset({ key: "warn", run: () => 1, checks: [{ name: "soft", run: () => ({ passed: false, severity: "WARN" }) }] });
    const partly = asset({ key: "partly", run: () => 1, checks: [{ name: "one", run: () => ({ passed: true }) }] });
    const never = assetCheck({ asset: partly, name: "two", run: () => ({ passed: true }) });
    const plain = asset({ key: "plain", run: () => 1 });
    const defs = defineDefinitions({ assets: [ok, bad, warn, partly, plain], assetChecks: [never] });
    await materializeAssets(target, defs, { selection: ["ok", "bad", "warn", "partly"] });
    const statuses = async () => {
      const statusOf = await assetStatusLookup(defs, target.storage, ["check_passed", "check_failed", "check_warning", "check_missing"]);
      return Object.fromEntries(["check_passed", "check_failed", "check_warning", "check_missing"].map((v) => [v, [...statusOf(v as never)].sort()]));
    };
    expect(await statuses()).toEqual({ check_passed: ["ok", "partly"], check_failed: ["bad"], check_warning: ["warn"], check_missing: [] });

    // Wiping forgets the evaluations: partly's checks are missing, until they run again.
    await target.storage.wipeAssets(["partly"]);
    expect((await statuses()).check_missing).toEqual(["partly"]);
    await materializeAssets(target, defs, { selection: ["partly:one"] });
    expect((await statuses()).check_missing).toEqual(["partly"]);
    await materializeAssets(target, defs, { selection: ["partly"] });
    expect((await statuses()).check_passed).toEqual(["ok", "partly"]);

    rows = 4;
    const fix = await materializeAssets(target, defs, { selection: "status:check_failed" });
    expect((await target.storage.getRun(fix.runId))).toMatchObject({ selection: ["bad"], selectionExpression: "status:check_failed" });
    expect((await statuses()).check_failed).toEqual([]);
  });
});
