import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "../definitions/asset.js";
import { defineDefinitions, type Definitions } from "../definitions/definitions.js";
import { job } from "../definitions/job.js";
import { op } from "../definitions/op.js";
import { skip } from "../definitions/run-request.js";
import { schedule, type ScheduleSpec } from "../definitions/schedule.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { InstigatorStatus, InstigatorType, RunStatus, TickStatus, type RunRecord } from "../storage/records.js";
import { SCHEDULE_NAME_TAG, SCHEDULED_TIME_TAG } from "./run-requests.js";
import { dueTicks, Scheduler } from "./scheduler.js";
import { CronSchedule } from "../definitions/cron/cron-schedule.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const say = op({ name: "say", config: z.object({ word: z.string().default("hi") }), run: (_in, { config }) => config.word });
const sayJob = job({ name: "say_job", ops: [say], tags: { team: "billing" }, config: { ops: { say: { config: { word: "default" } } } } });
const a = asset({ key: "a", run: () => 1 });

function defsWith(...specs: Omit<ScheduleSpec, "job">[]): Definitions {
  return defineDefinitions({
    assets: [a],
    jobs: [sayJob],
    schedules: specs.map((s) => schedule({ job: sayJob, ...s })),
  });
}

/** A clock the test moves by hand. */
function clock(iso: string): { now: () => Date; set: (iso: string) => void; advance: (ms: number) => void } {
  let t = new Date(iso).getTime();
  return { now: () => new Date(t), set: (next) => void (t = new Date(next).getTime()), advance: (ms) => void (t += ms) };
}

async function runsOf(name: string): Promise<RunRecord[]> {
  return (await target.storage.listRuns({ tags: { [SCHEDULE_NAME_TAG]: name } })).reverse();
}

const scheduledTimes = async (name: string) => (await runsOf(name)).map((r) => r.tags[SCHEDULED_TIME_TAG]);

describe("Scheduler", () => {
  it("launches one QUEUED run per cron time, however often it iterates", async () => {
    const c = clock("2024-01-01T00:00:30Z");
    const defs = defsWith({ name: "every5", cron: "*/5 * * * *", defaultStatus: "RUNNING", tags: { source: "cron" } });
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    await scheduler.tick();
    expect(await runsOf("every5")).toEqual([]);
    c.set("2024-01-01T00:05:00Z");
    await scheduler.tick();
    await scheduler.tick();
    c.set("2024-01-01T00:07:00Z");
    await scheduler.tick();
    c.set("2024-01-01T00:10:00.500Z");
    await scheduler.tick();
    await scheduler.tick();

    const runs = await runsOf("every5");
    expect(runs.map((r) => r.tags[SCHEDULED_TIME_TAG])).toEqual(["2024-01-01T00:05:00.000Z", "2024-01-01T00:10:00.000Z"]);
    const run = runs[0]!;
    expect(run.status).toBe(RunStatus.Queued);
    expect(run.jobName).toBe("say_job");
    expect(run.selection).toEqual(["say"]);
    expect(run.config).toEqual({ ops: { say: { config: { word: "default" } } } });
    expect(run.tags).toMatchObject({ team: "billing", source: "cron", [SCHEDULE_NAME_TAG]: "every5" });
    const ticks = await target.storage.listTicks("every5");
    expect(ticks.map((t) => [new Date(t.tickTime).toISOString(), t.status, t.runIds.length])).toEqual([
      ["2024-01-01T00:10:00.000Z", TickStatus.Success, 1],
      ["2024-01-01T00:05:00.000Z", TickStatus.Success, 1],
    ]);
    // A new daemon process does not repeat what the last one did.
    const restarted = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    await restarted.tick();
    expect(await runsOf("every5")).toHaveLength(2);
  });

  it("materializes a selection through the asset job", async () => {
    const c = clock("2024-01-01T00:00:30Z");
    const defs = defineDefinitions({ assets: [a], schedules: [schedule({ name: "sel", cron: "* * * * *", selection: "a", defaultStatus: "RUNNING" })] });
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.advance(60_000);
    await scheduler.tick();
    const [run] = await runsOf("sel");
    expect(run).toMatchObject({ jobName: "__asset_job", selection: ["a"], selectionExpression: "a", status: RunStatus.Queued });
  });

  it("a stopped schedule does not tick; started by hand, it ticks from then on", async () => {
    // Start and stop are stamped with the real clock, so this test's clock runs ahead of it.
    const base = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;
    const at = (minutes: number) => new Date(base + minutes * 60_000);
    let now = at(10);
    const defs = defsWith({ name: "minutely", cron: "* * * * *" });
    const scheduler = new Scheduler({ storage: target.storage, defs, now: () => now });
    await scheduler.tick();
    expect(await runsOf("minutely")).toEqual([]);

    await target.storage.setInstigatorStatus("minutely", InstigatorType.Schedule, InstigatorStatus.Running);
    await scheduler.tick();
    // Started before `base`: the ticks since then are missed ones, of which only the latest runs.
    expect(await scheduledTimes("minutely")).toEqual([at(10).toISOString()]);
    now = at(11);
    await scheduler.tick();
    expect(await scheduledTimes("minutely")).toEqual([at(10).toISOString(), at(11).toISOString()]);

    await target.storage.setInstigatorStatus("minutely", InstigatorType.Schedule, InstigatorStatus.Stopped);
    now = at(15);
    await scheduler.tick();
    expect(await runsOf("minutely")).toHaveLength(2);
  });

  it("after downtime launches only the latest missed tick by default, or the last catchUpTicks", async () => {
    const c = clock("2024-01-01T00:00:30Z");
    const defs = defsWith(
      { name: "latest_only", cron: "* * * * *", defaultStatus: "RUNNING" },
      { name: "three", cron: "* * * * *", defaultStatus: "RUNNING", catchUpTicks: 3 },
    );
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    await scheduler.tick();
    c.set("2024-01-01T00:10:30Z"); // ten ticks missed: 00:01 ... 00:10
    await scheduler.tick();
    expect(await scheduledTimes("latest_only")).toEqual(["2024-01-01T00:10:00.000Z"]);
    expect(await scheduledTimes("three")).toEqual(["2024-01-01T00:08:00.000Z", "2024-01-01T00:09:00.000Z", "2024-01-01T00:10:00.000Z"]);
    const threeTicks = (await target.storage.listTicks("three")).map((t) => t.tickTime);
    expect(threeTicks).toEqual([...threeTicks].sort((x, y) => y - x)); // created in time order
  });

  it("catches up after years of downtime without walking every missed tick", async () => {
    const c = clock("2000-01-01T00:00:30Z");
    const defs = defsWith({ name: "old", cron: "* * * * *", defaultStatus: "RUNNING", catchUpTicks: 2 });
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.set("2030-06-01T12:00:10Z");
    const started = Date.now();
    await scheduler.tick();
    expect(Date.now() - started).toBeLessThan(5_000); // walking 16 million minutes would take far longer
    expect(await scheduledTimes("old")).toEqual(["2030-06-01T11:59:00.000Z", "2030-06-01T12:00:00.000Z"]);
  });

  it("dueTicks keeps the last `max` ticks in order, and none at or before `after`", () => {
    const cron = CronSchedule.parse("*/15 * * * *", "UTC");
    const t = (iso: string) => new Date(iso).getTime();
    const iso = (xs: number[]) => xs.map((x) => new Date(x).toISOString().slice(11, 16));
    expect(iso(dueTicks(cron, t("2024-01-01T00:00:00Z"), t("2024-01-01T01:00:00Z"), 2))).toEqual(["00:45", "01:00"]);
    expect(iso(dueTicks(cron, t("2024-01-01T00:30:00Z"), t("2024-01-01T01:00:00Z"), 5))).toEqual(["00:45", "01:00"]);
    expect(dueTicks(cron, t("2024-01-01T00:50:00Z"), t("2024-01-01T00:59:59Z"), 1)).toEqual([]);
  });

  it("uses what execute returns: run config, a skip, or a failure that does not stop other schedules", async () => {
    const c = clock("2024-01-01T00:00:30Z");
    let throws = 0;
    const defs = defsWith(
      { name: "a_throws", cron: "* * * * *", defaultStatus: "RUNNING", execute: () => { throws++; throw new Error("boom"); } },
      {
        name: "b_config",
        cron: "* * * * *",
        defaultStatus: "RUNNING",
        execute: ({ scheduledTime }) => ({ ops: { say: { config: { word: scheduledTime.toISOString() } } } }),
      },
      { name: "c_skip", cron: "* * * * *", defaultStatus: "RUNNING", execute: () => skip("holiday") },
      { name: "d_bad_config", cron: "* * * * *", defaultStatus: "RUNNING", execute: () => ({ ops: { say: { config: { word: 42 } } } }) },
      {
        name: "e_request",
        cron: "* * * * *",
        defaultStatus: "RUNNING",
        execute: async () => ({ runConfig: { ops: { say: { config: { word: "req" } } } }, tags: { extra: "yes" } }),
      },
    );
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.set("2024-01-01T00:01:00Z");
    await scheduler.tick();
    c.set("2024-01-01T00:02:00Z");
    await scheduler.tick();

    const [failed] = await target.storage.listTicks("a_throws", { limit: 1 });
    expect(failed?.status).toBe(TickStatus.Failure);
    expect(failed?.error?.message).toContain("boom");
    expect(failed?.error?.cause?.message).toBe("boom");
    expect(throws).toBe(2); // its next tick was evaluated too
    expect(await runsOf("a_throws")).toEqual([]);

    const configured = await runsOf("b_config");
    expect(configured.map((r) => r.config)).toEqual([
      { ops: { say: { config: { word: "2024-01-01T00:01:00.000Z" } } } },
      { ops: { say: { config: { word: "2024-01-01T00:02:00.000Z" } } } },
    ]);

    const skipped = await target.storage.listTicks("c_skip");
    expect(skipped.map((t) => [t.status, t.skipReason])).toEqual([
      [TickStatus.Skipped, "holiday"],
      [TickStatus.Skipped, "holiday"],
    ]);
    expect(await runsOf("c_skip")).toEqual([]);

    const [bad] = await target.storage.listTicks("d_bad_config", { limit: 1 });
    expect(bad?.status).toBe(TickStatus.Failure);
    expect(bad?.error?.code).toBe("CONFIG_ERROR");
    expect(await runsOf("d_bad_config")).toEqual([]);

    const [requested] = await runsOf("e_request");
    expect(requested?.config).toEqual({ ops: { say: { config: { word: "req" } } } });
    expect(requested?.tags).toMatchObject({ extra: "yes", team: "billing" });
  });

  it("fails a tick whose execute never settles, after the timeout", async () => {
    const c = clock("2024-01-01T00:00:30Z");
    const defs = defsWith({ name: "hangs", cron: "* * * * *", defaultStatus: "RUNNING", execute: () => new Promise(() => undefined) });
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now(), evaluationTimeoutMs: 50 });
    c.advance(60_000);
    await scheduler.tick();
    const [tick] = await target.storage.listTicks("hangs");
    expect(tick?.status).toBe(TickStatus.Failure);
    expect(tick?.error?.message).toMatch(/did not finish within/);
  });

  it("ticks a time-zone schedule at the right UTC instants across daylight-saving changes", async () => {
    const c = clock("2024-03-09T00:00:00Z");
    const defs = defsWith(
      { name: "spring", cron: "30 2 * * *", timezone: "America/Los_Angeles", defaultStatus: "RUNNING" },
      { name: "fall", cron: "30 1 * * *", timezone: "America/Los_Angeles", defaultStatus: "RUNNING" },
    );
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    const step = async (untilIso: string) => {
      const until = new Date(untilIso).getTime();
      while (c.now().getTime() < until) {
        c.advance(15 * 60_000);
        await scheduler.tick();
      }
    };
    await step("2024-03-12T00:00:00Z");
    // 02:30 does not exist on 2024-03-10 in Los Angeles: it runs at 03:00 PDT.
    expect(await scheduledTimes("spring")).toEqual(["2024-03-09T10:30:00.000Z", "2024-03-10T10:00:00.000Z", "2024-03-11T09:30:00.000Z"]);

    c.set("2024-11-02T00:00:00Z");
    await target.storage.setInstigatorStatus("spring", InstigatorType.Schedule, InstigatorStatus.Stopped);
    await step("2024-11-05T00:00:00Z");
    // 01:30 happens twice on 2024-11-03: a daily schedule runs once, at the second (PST) one.
    expect((await scheduledTimes("fall")).slice(-3)).toEqual(["2024-11-02T08:30:00.000Z", "2024-11-03T09:30:00.000Z", "2024-11-04T09:30:00.000Z"]);
  });

  it("resumes a tick a crashed daemon left: exactly one run", async () => {
    const c = clock("2024-01-01T00:00:30Z");
    const defs = defsWith({ name: "every5", cron: "*/5 * * * *", defaultStatus: "RUNNING" });
    const t5 = new Date("2024-01-01T00:05:00Z").getTime();

    // Died after creating the run, before finishing the tick.
    const tick = await target.storage.claimScheduleTick("every5", t5);
    const [manual] = await target.storage.createRunsForTick(tick.id, [{ runId: "run-before-crash", jobName: "say_job", selection: ["say"], tags: { [SCHEDULE_NAME_TAG]: "every5" } }]);
    expect(manual!.runId).toBe("run-before-crash");
    c.set("2024-01-01T00:05:10Z");
    await new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() }).tick();
    expect((await runsOf("every5")).map((r) => r.runId)).toEqual(["run-before-crash"]);
    expect((await target.storage.listTicks("every5")).map((t) => [t.status, t.runIds])).toEqual([[TickStatus.Success, ["run-before-crash"]]]);

    // Died right after claiming the 00:10 tick; restarted at 00:16, past the next tick too.
    await target.storage.claimScheduleTick("every5", t5 + 5 * 60_000);
    c.set("2024-01-01T00:16:00Z");
    const restarted = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    await restarted.tick();
    await restarted.tick();
    expect(await scheduledTimes("every5")).toEqual([undefined, "2024-01-01T00:10:00.000Z", "2024-01-01T00:15:00.000Z"]);
    const ticks = await target.storage.listTicks("every5");
    expect(ticks.map((t) => [t.status, t.runIds.length])).toEqual([
      [TickStatus.Success, 1],
      [TickStatus.Success, 1],
      [TickStatus.Success, 1],
    ]);
  });

  it("ticks 1,000 schedules in one iteration, each once", async () => {
    const c = clock("2024-01-01T00:00:30Z");
    const specs = Array.from({ length: 1000 }, (_, i) => ({ name: `s${i}`, cron: "* * * * *", defaultStatus: "RUNNING" as const }));
    const defs = defsWith(...specs);
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    await scheduler.tick();
    c.set("2024-01-01T00:01:00.100Z");
    await scheduler.tick();
    await scheduler.tick();
    const runs = await target.storage.listRuns({ jobName: "say_job" });
    expect(runs).toHaveLength(1000);
    expect(new Set(runs.map((r) => r.tags[SCHEDULE_NAME_TAG])).size).toBe(1000);
    expect(new Set(runs.map((r) => r.tags[SCHEDULED_TIME_TAG]))).toEqual(new Set(["2024-01-01T00:01:00.000Z"]));
  });
});
