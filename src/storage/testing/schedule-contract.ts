import { describe, expect, it } from "vitest";
import type { SerializedError, TickRecord } from "../records.js";
import { caught, expectSluiceError, freezeTime, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/**
 * Contract of schedule and sensor state, schedule ticks (one per schedule and scheduled time, one
 * run per tick), tick listing, and daemon heartbeats.
 */
export function describeScheduleContract(s: StorageFixture): void {
  describe("instigator state", () => {
    it("is absent until set, then upserted and listed by name, optionally by type", async () => {
      expect(await s().getInstigatorState("nightly")).toBeUndefined();
      freezeTime(1_000);
      const started = await s().setInstigatorStatus("nightly", "SCHEDULE", "RUNNING");
      expect(started).toEqual({ name: "nightly", type: "SCHEDULE", status: "RUNNING", cursor: null, updatedAt: 1_000 });
      expect(await s().getInstigatorState("nightly")).toEqual(started);
      freezeTime(2_000);
      await s().setInstigatorStatus("nightly", "SCHEDULE", "STOPPED");
      await s().setInstigatorStatus("new_files", "SENSOR", "RUNNING");
      await s().setInstigatorStatus("hourly", "SCHEDULE", "RUNNING");
      expect(await s().getInstigatorState("nightly")).toMatchObject({ status: "STOPPED", updatedAt: 2_000 });
      expect((await s().listInstigatorStates()).map((i) => [i.name, i.status])).toEqual([
        ["hourly", "RUNNING"],
        ["new_files", "RUNNING"],
        ["nightly", "STOPPED"],
      ]);
      expect((await s().listInstigatorStates("SENSOR")).map((i) => i.name)).toEqual(["new_files"]);
      expect((await s().listInstigatorStates("SCHEDULE")).map((i) => i.name)).toEqual(["hourly", "nightly"]);
    });
  });

  describe("schedule ticks", () => {
    it("creates a STARTED tick once per (schedule, time) and returns it again after", async () => {
      freezeTime(5_000);
      const tick = await s().claimScheduleTick("nightly", 86_400_000);
      expect(tick).toEqual({
        id: expect.any(Number),
        instigatorName: "nightly",
        type: "SCHEDULE",
        tickTime: 86_400_000,
        status: "STARTED",
        runIds: [],
        skippedRunKeys: [],
        skipReason: null,
        error: null,
        cursor: null,
        createdAt: 5_000,
        updatedAt: 5_000,
      } satisfies TickRecord);
      freezeTime(6_000);
      expect(await s().claimScheduleTick("nightly", 86_400_000)).toEqual(tick);
      const next = await s().claimScheduleTick("nightly", 2 * 86_400_000);
      const otherSchedule = await s().claimScheduleTick("hourly", 86_400_000);
      expect(new Set([tick.id, next.id, otherSchedule.id]).size).toBe(3);
      expect((await s().listTicks("nightly")).map((t) => t.id)).toEqual([next.id, tick.id]);
    });

    it("gives racing claimers of one tick the same tick, stored once", async () => {
      const storages = [s(), await s.openAnother(), await s.openAnother()];
      const ticks = await Promise.all(
        storages.flatMap((storage) => [storage.claimScheduleTick("s", 60_000), storage.claimScheduleTick("s", 60_000)]),
      );
      expect(new Set(ticks.map((t) => t.id)).size).toBe(1);
      expect((await s().listTicks("s")).length).toBe(1);
    });

    it("creates a tick's run once: a second call returns the first run", async () => {
      const tick = await s().claimScheduleTick("nightly", 1_000);
      freezeTime(7_000);
      const [run] = await s().createRunsForTick(tick.id, [{ ...queuedRecord("first"), tags: { "sluice/schedule": "nightly" } }]);
      expect(run).toMatchObject({
        runId: "first",
        status: "QUEUED",
        createdAt: 7_000,
        tags: { "sluice/schedule": "nightly" },
      });
      expect(await s().createRunsForTick(tick.id, [queuedRecord("second")])).toEqual([run]);
      expect(await s().getRun("second")).toBeUndefined();
      expect((await s().listTicks("nightly"))[0]).toMatchObject({ runIds: ["first"], status: "STARTED", updatedAt: 7_000 });
    });

    it("creates several runs for one tick, once, and gives them back in the tick's order", async () => {
      const tick = await s().claimScheduleTick("nightly", 1_000);
      const made = await s().createRunsForTick(tick.id, [queuedRecord("r-b"), queuedRecord("r-a"), queuedRecord("r-c")]);
      expect(made.map((r) => r.runId)).toEqual(["r-b", "r-a", "r-c"]);
      const again = await s().createRunsForTick(tick.id, [queuedRecord("r-x")]);
      expect(again).toEqual(made);
      expect(await s().getRun("r-x")).toBeUndefined();
      expect((await s().listTicks("nightly"))[0]?.runIds).toEqual(["r-b", "r-a", "r-c"]);
      expectSluiceError(await caught(s().createRunsForTick(tick.id, [])), "STORAGE_ERROR", /empty list/);
    });

    it("creates one run when a restarted and a live daemon race for a tick", async () => {
      const other = await s.openAnother();
      const tick = await s().claimScheduleTick("nightly", 1_000);
      const [a, b] = await Promise.all([
        s().createRunsForTick(tick.id, [queuedRecord("from-a")]),
        other.createRunsForTick(tick.id, [queuedRecord("from-b")]),
      ]);
      expect(a).toEqual(b);
      expect((await s().listRuns()).map((r) => r.runId)).toEqual([a![0]!.runId]);
      expect((await s().listTicks("nightly"))[0]?.runIds).toEqual([a![0]!.runId]);
    });

    it("changes nothing when a tick's run cannot be created, and refuses unknown ticks", async () => {
      await s().createRun(queuedRecord("taken"));
      const tick = await s().claimScheduleTick("nightly", 1_000);
      const err = await caught(s().createRunsForTick(tick.id, [queuedRecord("new-one"), queuedRecord("taken")]));
      expectSluiceError(err, "STORAGE_ERROR", /Run "taken" already exists/);
      expect((await s().listTicks("nightly"))[0]?.runIds).toEqual([]);
      expect(await s().getRun("new-one"), "all of a tick's runs or none").toBeUndefined();
      expect((await s().createRunsForTick(tick.id, [queuedRecord("fresh")]))[0]!.runId).toBe("fresh");
      const unknown = await caught(s().createRunsForTick(tick.id + 1_000, [queuedRecord("other")]));
      expectSluiceError(unknown, "STORAGE_ERROR", /Tick \d+ does not exist/);
      expect(await s().getRun("other")).toBeUndefined();
    });

    it("finishes a tick with its status, skip reason or error", async () => {
      const error: SerializedError = { className: "Error", message: "cron broke", stack: null, cause: null };
      const a = await s().claimScheduleTick("nightly", 1_000);
      const b = await s().claimScheduleTick("nightly", 2_000);
      freezeTime(9_000);
      expect(await s().finishTick(a.id, { status: "SKIPPED", skipReason: "should_execute returned false" })).toEqual({
        ...a,
        status: "SKIPPED",
        skipReason: "should_execute returned false",
        updatedAt: 9_000,
      });
      expect(await s().finishTick(b.id, { status: "FAILURE", error })).toMatchObject({
        status: "FAILURE",
        error,
        skipReason: null,
      });
      const unknown = await caught(s().finishTick(b.id + 1_000, { status: "SUCCESS" }));
      expectSluiceError(unknown, "STORAGE_ERROR", /Tick \d+ does not exist/);
    });

    it("lists ticks newest first, filtered by status, with a limit", async () => {
      const made: TickRecord[] = [];
      for (let i = 0; i < 6; i++) made.push(await s().claimScheduleTick("nightly", i * 1_000));
      await s().claimScheduleTick("other", 0);
      for (const [i, tick] of made.entries()) {
        if (i % 3 === 0) await s().finishTick(tick.id, { status: "SUCCESS" });
        if (i % 3 === 1) await s().finishTick(tick.id, { status: "SKIPPED" });
      }
      const newestFirst = made.map((t) => t.id).reverse();
      expect((await s().listTicks("nightly")).map((t) => t.id)).toEqual(newestFirst);
      expect((await s().listTicks("nightly", { limit: 2 })).map((t) => t.tickTime)).toEqual([5_000, 4_000]);
      expect((await s().listTicks("nightly", { statuses: ["SUCCESS"] })).map((t) => t.tickTime)).toEqual([3_000, 0]);
      const startedOrSkipped = await s().listTicks("nightly", { statuses: ["STARTED", "SKIPPED"], limit: 3 });
      expect(startedOrSkipped.map((t) => t.tickTime)).toEqual([5_000, 4_000, 2_000]);
      expect(await s().listTicks("nightly", { statuses: [] })).toEqual([]);
      expect(await s().listTicks("never")).toEqual([]);
    });
  });

  describe("daemon heartbeats", () => {
    it("keeps the latest heartbeat per daemon type and id", async () => {
      const error: SerializedError = { className: "Error", message: "tick failed", stack: "at x", cause: null };
      expect(await s().getDaemonHeartbeats()).toEqual([]);
      await s().recordDaemonHeartbeat({ daemonType: "scheduler", daemonId: "d1", timestamp: 1_000, errors: [] });
      await s().recordDaemonHeartbeat({ daemonType: "run_coordinator", daemonId: "d1", timestamp: 1_000, errors: [] });
      await s().recordDaemonHeartbeat({ daemonType: "scheduler", daemonId: "d2", timestamp: 1_500, errors: [] });
      await s().recordDaemonHeartbeat({ daemonType: "scheduler", daemonId: "d1", timestamp: 2_000, errors: [error] });
      expect(await s().getDaemonHeartbeats()).toEqual([
        { daemonType: "run_coordinator", daemonId: "d1", timestamp: 1_000, errors: [] },
        { daemonType: "scheduler", daemonId: "d1", timestamp: 2_000, errors: [error] },
        { daemonType: "scheduler", daemonId: "d2", timestamp: 1_500, errors: [] },
      ]);
    });
  });
}
