import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { job } from "../definitions/job.js";
import { op } from "../definitions/op.js";
import { skip } from "../definitions/run-request.js";
import { assetSensor, runStatusSensor, sensor, type FinishedRun, type SensorContext, type SensorDefinition, type SensorReturn } from "../definitions/sensor.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { EventType, InstigatorStatus, InstigatorType, TickStatus, type RunRecord } from "../storage/records.js";
import { RUN_KEY_TAG, SENSOR_NAME_TAG } from "./run-requests.js";
import { evaluateSensorOnce, SensorDaemon } from "./sensor-daemon.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const work = op({ name: "work", run: () => 1 });
const workJob = job({ name: "work_job", ops: [work] });
const otherJob = job({ name: "other_job", ops: [op({ name: "other", run: () => 2 })] });
const a = asset({ key: "a", run: () => 1 });
const b = asset({ key: "b", run: () => 2 });

const defsWith = (...sensors: SensorDefinition[]) => defineDefinitions({ assets: [a, b], jobs: [workJob, otherJob], sensors });

function clock(iso: string): { now: () => Date; advance: (seconds: number) => void } {
  let t = new Date(iso).getTime();
  return { now: () => new Date(t), advance: (seconds) => void (t += seconds * 1000) };
}

/**
 * Waits until the clock has moved past the current millisecond, so that whatever happens next is
 * stamped later than every event before (the sensor tells history from news by timestamp).
 */
async function pastThisMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() <= now) await new Promise((resolve) => setImmediate(resolve));
}

async function runsOf(name: string): Promise<RunRecord[]> {
  return (await target.storage.listRuns({ tags: { [SENSOR_NAME_TAG]: name } })).reverse();
}

/** A standard sensor whose answers the test scripts, one per evaluation. */
function scripted(name: string, answers: ((ctx: SensorContext) => SensorReturn | Promise<SensorReturn>)[], extra: { minimumIntervalSeconds?: number } = {}) {
  const seen: SensorContext[] = [];
  const def = sensor({
    name,
    job: workJob,
    defaultStatus: "RUNNING",
    minimumIntervalSeconds: extra.minimumIntervalSeconds ?? 30,
    evaluate: (ctx) => {
      seen.push(ctx);
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      return answer(ctx);
    },
  });
  return { def, seen };
}

describe("SensorDaemon", () => {
  it("evaluates a running sensor once per minimum interval, also across daemon restarts", async () => {
    const c = clock("2024-01-01T00:00:00Z");
    const { def, seen } = scripted("every30", [() => skip("nothing yet")]);
    const defs = defsWith(def);
    const daemon = new SensorDaemon({ storage: target.storage, defs, now: c.now });
    await daemon.tick();
    c.advance(10);
    await daemon.tick();
    expect(seen).toHaveLength(1);
    c.advance(20);
    await daemon.tick();
    expect(seen).toHaveLength(2);
    expect(seen[1]!.lastTickAt?.toISOString()).toBe("2024-01-01T00:00:00.000Z");

    c.advance(10);
    await new SensorDaemon({ storage: target.storage, defs, now: c.now }).tick();
    expect(seen).toHaveLength(2); // the last tick in storage was 10 s ago
    c.advance(20);
    await new SensorDaemon({ storage: target.storage, defs, now: c.now }).tick();
    expect(seen).toHaveLength(3);
  });

  it("does not evaluate a stopped sensor (STOPPED by default, or stopped by hand)", async () => {
    const c = clock("2024-01-01T00:00:00Z");
    const stopped = sensor({ name: "off", job: workJob, evaluate: () => [{}] });
    const running = scripted("on", [() => [{}]]);
    const daemon = new SensorDaemon({ storage: target.storage, defs: defsWith(stopped, running.def), now: c.now });
    await daemon.tick();
    expect(await target.storage.listTicks("off")).toEqual([]);
    await target.storage.setInstigatorStatus("on", InstigatorType.Sensor, InstigatorStatus.Stopped);
    c.advance(60);
    await daemon.tick();
    expect(running.seen).toHaveLength(1);
    expect(await runsOf("on")).toHaveLength(1);
  });

  it("launches a run key once, ever, and stores the cursor with the tick", async () => {
    const c = clock("2024-01-01T00:00:00Z");
    const { def, seen } = scripted("keyed", [
      () => ({ runRequests: [{ runKey: "k1" }, { runKey: "k2", tags: { row: "2" } }], cursor: "c1" }),
      () => ({ runRequests: [{ runKey: "k2" }, { runKey: "k3", runConfig: { ops: { work: {} } } }], cursor: "c2" }),
    ]);
    const daemon = new SensorDaemon({ storage: target.storage, defs: defsWith(def), now: c.now });
    await daemon.tick();
    c.advance(30);
    await daemon.tick();

    expect(seen.map((ctx) => ctx.cursor)).toEqual([null, "c1"]);
    const runs = await runsOf("keyed");
    expect(runs.map((r) => r.tags[RUN_KEY_TAG])).toEqual(["k1", "k2", "k3"]);
    expect(runs[1]!.tags).toMatchObject({ row: "2", [SENSOR_NAME_TAG]: "keyed" });
    expect(runs.every((r) => r.status === "QUEUED" && r.jobName === "work_job")).toBe(true);
    expect((await target.storage.getInstigatorState("keyed"))?.cursor).toBe("c2");
    const [latest] = await target.storage.listTicks("keyed", { limit: 1 });
    expect(latest).toMatchObject({ status: TickStatus.Success, cursor: "c2", skippedRunKeys: ["k2"] });
    expect(latest?.runIds).toHaveLength(1);
  });

  it("records skip reasons, and a throwing evaluation as FAILURE with the cursor unchanged", async () => {
    const c = clock("2024-01-01T00:00:00Z");
    const { def, seen } = scripted("flaky", [
      () => ({ skipReason: "no rows", cursor: "c1" }),
      () => {
        throw new Error("database down");
      },
      () => skip("still nothing"),
    ]);
    const daemon = new SensorDaemon({ storage: target.storage, defs: defsWith(def), now: c.now });
    for (let i = 0; i < 3; i++) {
      await daemon.tick();
      c.advance(30);
    }
    const ticks = (await target.storage.listTicks("flaky")).reverse();
    expect(ticks.map((t) => [t.status, t.skipReason, t.cursor])).toEqual([
      [TickStatus.Skipped, "no rows", "c1"],
      [TickStatus.Failure, null, "c1"],
      [TickStatus.Skipped, "still nothing", "c1"],
    ]);
    expect(ticks[1]!.error?.message).toContain("database down");
    expect(seen.map((ctx) => ctx.cursor)).toEqual([null, "c1", "c1"]);
    expect((await target.storage.getInstigatorState("flaky"))?.cursor).toBe("c1");
  });

  it("takes one run request returned on its own, and fails an answer with fields it does not know", async () => {
    const c = clock("2024-01-01T00:00:00Z");
    const single = scripted("single", [() => ({ runKey: "only", tags: { row: "1" } })]);
    // A typo of runRequests must not pass as "nothing to do".
    const typo = scripted("typo", [() => ({ runRequest: [{ runKey: "lost" }] }) as unknown as SensorReturn]);
    await new SensorDaemon({ storage: target.storage, defs: defsWith(single.def, typo.def), now: c.now }).tick();

    const runs = await runsOf("single");
    expect(runs.map((r) => [r.tags[RUN_KEY_TAG], r.tags.row])).toEqual([["only", "1"]]);
    const [failed] = await target.storage.listTicks("typo");
    expect(failed?.status).toBe(TickStatus.Failure);
    expect(failed?.error?.message).toContain('returned an object with "runRequest"');
    expect(await runsOf("typo")).toEqual([]);
  });

  it("fails an evaluation that does not settle in time, and one whose run config is invalid", async () => {
    const c = clock("2024-01-01T00:00:00Z");
    const hangs = scripted("hangs", [() => new Promise<SensorReturn>(() => undefined)]);
    const badConfig = scripted("bad_config", [() => [{ runKey: "x", runConfig: { ops: { nope: {} } } }]]);
    const daemon = new SensorDaemon({ storage: target.storage, defs: defsWith(hangs.def, badConfig.def), now: c.now, evaluationTimeoutMs: 50 });
    await daemon.tick();
    const [hung] = await target.storage.listTicks("hangs");
    expect(hung?.status).toBe(TickStatus.Failure);
    expect(hung?.error?.message).toMatch(/did not finish within/);
    const [bad] = await target.storage.listTicks("bad_config");
    expect(bad?.status).toBe(TickStatus.Failure);
    expect(bad?.error?.code).toBe("CONFIG_ERROR");
    expect(await runsOf("bad_config")).toEqual([]);
  });

  it("an asset sensor fires once per materialization after it started, never for history", async () => {
    await materializeAssets(target, defsWith(), { selection: "a" }); // history
    await materializeAssets(target, defsWith(), { selection: "b" }); // another asset
    await pastThisMillisecond();
    const c = clock("2024-01-01T00:00:00Z");
    const watch = assetSensor({ name: "on_a", asset: a, job: workJob, defaultStatus: "RUNNING", minimumIntervalSeconds: 1 });
    const defs = defsWith(watch);
    const daemon = new SensorDaemon({ storage: target.storage, defs, now: c.now });
    await daemon.tick();
    expect(await runsOf("on_a")).toEqual([]);

    const first = await materializeAssets(target, defs, { selection: "a" });
    const second = await materializeAssets(target, defs, { selection: "a+" });
    await materializeAssets(target, defs, { selection: "b" });
    c.advance(1);
    await daemon.tick();
    c.advance(1);
    await daemon.tick();

    const materializations = await target.storage.getEventsAcrossRuns({ types: [EventType.AssetMaterialization], assetKeys: ["a"] });
    const fresh = materializations.filter((e) => e.runId === first.runId || e.runId === second.runId).map((e) => String(e.id));
    const runs = await runsOf("on_a");
    expect(runs.map((r) => r.tags[RUN_KEY_TAG])).toEqual(fresh);
    expect(fresh).toHaveLength(2);
    expect((await target.storage.getInstigatorState("on_a"))?.cursor).toBe(fresh[1]);
  });

  it("hands the materialization to the asset sensor's function", async () => {
    const c = clock("2024-01-01T00:00:00Z");
    const got: { runId: string; assetKey: string }[] = [];
    const watch = assetSensor({
      name: "on_b",
      asset: "b",
      selection: "a",
      defaultStatus: "RUNNING",
      minimumIntervalSeconds: 1,
      evaluate: (_ctx, event) => {
        got.push({ runId: event.runId, assetKey: event.assetKey });
        return { runKey: `b-${event.eventId}`, tags: { from: event.runId } };
      },
    });
    const defs = defsWith(watch);
    const daemon = new SensorDaemon({ storage: target.storage, defs, now: c.now, startedAt: new Date(Date.now() - 1000) });
    const result = await materializeAssets(target, defs, { selection: "b" });
    await daemon.tick();
    expect(got).toEqual([{ runId: result.runId, assetKey: "b" }]);
    const [run] = await runsOf("on_b");
    expect(run).toMatchObject({ jobName: "__asset_job", selection: ["a"], tags: { from: result.runId } });
  });

  it("an asset sensor that failed on its first evaluation still fires for that materialization later", async () => {
    const c = clock("2024-01-01T00:00:00Z");
    let calls = 0;
    const watch = assetSensor({
      name: "flaky_on_a",
      asset: a,
      job: workJob,
      defaultStatus: "RUNNING",
      minimumIntervalSeconds: 1,
      evaluate: (_ctx, event) => {
        if (++calls === 1) throw new Error("not yet");
        return { runKey: String(event.eventId) };
      },
    });
    const defs = defsWith(watch);
    const daemon = new SensorDaemon({ storage: target.storage, defs, now: c.now, startedAt: new Date(Date.now() - 1000) });
    await materializeAssets(target, defs, { selection: "a" });
    await pastThisMillisecond();
    await daemon.tick(); // fails, and creates the sensor's stored state (stamped after the materialization)
    c.advance(1);
    await daemon.tick();
    const ticks = (await target.storage.listTicks("flaky_on_a")).reverse();
    expect(ticks.map((t) => t.status)).toEqual([TickStatus.Failure, TickStatus.Success]);
    expect(await runsOf("flaky_on_a")).toHaveLength(1);
  });

  it("a run-status sensor fires for failed runs of the jobs it watches", async () => {
    const fail = async (jobName: string, message: string) => {
      const run = await target.storage.createRun({ runId: `${jobName}-${Math.random()}`, jobName, selection: [] });
      await target.storage.storeEvent({ runId: run.runId, type: EventType.RunStart });
      await target.storage.storeEvent({ runId: run.runId, type: EventType.RunFailure, message });
      return run.runId;
    };
    const succeed = async (jobName: string) => {
      const run = await target.storage.createRun({ runId: `${jobName}-${Math.random()}`, jobName, selection: [] });
      await target.storage.storeEvent({ runId: run.runId, type: EventType.RunSuccess });
    };
    await fail("work_job", "before the sensor started");
    await pastThisMillisecond();

    const c = clock("2024-01-01T00:00:00Z");
    const seen: FinishedRun[] = [];
    const onFailure = runStatusSensor({
      name: "on_failure",
      status: "FAILURE",
      monitoredJobs: [workJob],
      job: otherJob,
      defaultStatus: "RUNNING",
      minimumIntervalSeconds: 1,
      evaluate: (_ctx, run) => {
        seen.push(run);
        return { runKey: run.runId, tags: { failed_run: run.runId } };
      },
    });
    const alerts: string[] = [];
    const alertOnly = runStatusSensor({
      name: "alert_only",
      status: "FAILURE",
      defaultStatus: "RUNNING",
      minimumIntervalSeconds: 1,
      evaluate: (_ctx, run) => void alerts.push(run.jobName),
    });
    const daemon = new SensorDaemon({ storage: target.storage, defs: defsWith(onFailure, alertOnly), now: c.now });
    await daemon.tick();
    const failed = await fail("work_job", "step work failed");
    await fail("other_job", "not watched");
    await succeed("work_job");
    c.advance(1);
    await daemon.tick();
    c.advance(1);
    await daemon.tick();

    expect(seen.map((r) => [r.runId, r.jobName, r.status, r.message])).toEqual([[failed, "work_job", "FAILURE", "step work failed"]]);
    const runs = await runsOf("on_failure");
    expect(runs.map((r) => [r.jobName, r.tags.failed_run])).toEqual([["other_job", failed]]);
    // Watching every job (none given): both failures, but not history; it launches nothing.
    expect(alerts.sort()).toEqual(["other_job", "work_job"]);
    expect((await target.storage.listTicks("alert_only")).every((t) => t.status !== TickStatus.Failure)).toBe(true);
  });

  it("evaluateSensorOnce previews from a given cursor and writes nothing", async () => {
    const { def, seen } = scripted("preview_me", [(ctx) => ({ runRequests: [{ runKey: `after-${ctx.cursor}` }], cursor: "next" })]);
    const defs = defsWith(def);
    const evaluation = await evaluateSensorOnce(target.storage, defs, def, "c9");
    expect(seen[0]?.cursor).toBe("c9");
    expect(evaluation).toMatchObject({ status: TickStatus.Success, cursor: "next", skipReason: null, error: null });
    expect(evaluation.requests.map((r) => [r.runKey, r.run.jobName, r.run.tags?.[RUN_KEY_TAG]])).toEqual([["after-c9", "work_job", "after-c9"]]);
    expect(await target.storage.listRuns()).toEqual([]);
    expect(await target.storage.listTicks("preview_me")).toEqual([]);
    expect(await target.storage.getInstigatorState("preview_me")).toBeUndefined();
  });
});
