import { describe, expect, it } from "vitest";
import type { NewRun, SensorRunRequest, SerializedError } from "../records.js";
import type { Storage } from "../storage.js";
import { caught, expectSluiceError, freezeTime, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/** A run request for a new run `runId`, with a run key or none. */
function request(runId: string, runKey: string | null, extra: Partial<NewRun> = {}): SensorRunRequest {
  return { run: { ...queuedRecord(runId), ...extra }, runKey };
}

/** A successful tick of `name` with these requests and cursor. */
function tick(storage: Storage, name: string, requests: SensorRunRequest[], cursor: string | null, tickTime = 1_000) {
  return storage.recordSensorTick(name, { tickTime, status: "SUCCESS", requests, cursor });
}

/** Contract of recordSensorTick: run keys used at most once per sensor, cursor, atomicity. */
export function describeSensorContract(s: StorageFixture): void {
  describe("sensor ticks", () => {
    it("records the tick, its runs and the cursor, creating the sensor's state RUNNING", async () => {
      freezeTime(3_000);
      const result = await tick(
        s(),
        "new_files",
        [request("r-a", "file-a", { tags: { file: "a" } }), request("r-none", null), request("r-b", "file-b")],
        "offset-2",
        2_500,
      );
      expect(result.createdRuns.map((r) => [r.runId, r.status, r.createdAt])).toEqual([
        ["r-a", "QUEUED", 3_000],
        ["r-none", "QUEUED", 3_000],
        ["r-b", "QUEUED", 3_000],
      ]);
      expect(await s().getRun("r-a")).toEqual(result.createdRuns[0]);
      expect((await s().listRuns({ tags: { file: "a" } })).map((r) => r.runId)).toEqual(["r-a"]);
      expect(result.tick).toEqual({
        id: expect.any(Number),
        instigatorName: "new_files",
        type: "SENSOR",
        tickTime: 2_500,
        status: "SUCCESS",
        runIds: ["r-a", "r-none", "r-b"],
        skippedRunKeys: [],
        skipReason: null,
        error: null,
        cursor: "offset-2",
        createdAt: 3_000,
        updatedAt: 3_000,
      });
      expect(await s().listTicks("new_files")).toEqual([result.tick]);
      expect(await s().getInstigatorState("new_files")).toEqual({
        name: "new_files",
        type: "SENSOR",
        status: "RUNNING",
        cursor: "offset-2",
        updatedAt: 3_000,
      });
    });

    it("skips a request whose run key already ran, in a later tick or the same one", async () => {
      await tick(s(), "sensor", [request("r1", "k1")], "c1");
      const second = await tick(
        s(),
        "sensor",
        [request("r1-again", "k1"), request("r2", "k2"), request("r2-dup", "k2"), request("r-none", null)],
        "c2",
      );
      expect(second.createdRuns.map((r) => r.runId)).toEqual(["r2", "r-none"]);
      expect(second.tick).toMatchObject({ runIds: ["r2", "r-none"], skippedRunKeys: ["k1", "k2"], cursor: "c2" });
      expect(await s().getRun("r1-again")).toBeUndefined();
      expect(await s().getRun("r2-dup")).toBeUndefined();
      const third = await tick(s(), "sensor", [request("r3", "k1"), request("r4", "k2")], "c3");
      expect(third.createdRuns).toEqual([]);
      expect(third.tick.skippedRunKeys).toEqual(["k1", "k2"]);
      // Keys belong to one sensor: another may use the same key.
      const other = await tick(s(), "other_sensor", [request("o1", "k1")], null);
      expect(other.createdRuns.map((r) => r.runId)).toEqual(["o1"]);
      expect((await s().listRuns()).length).toBe(4);
    });

    it("keeps a stopped sensor stopped, and its cursor across status changes", async () => {
      await s().setInstigatorStatus("sensor", "SENSOR", "STOPPED");
      await tick(s(), "sensor", [], "c1");
      expect(await s().getInstigatorState("sensor")).toMatchObject({ status: "STOPPED", cursor: "c1" });
      await s().setInstigatorStatus("sensor", "SENSOR", "RUNNING");
      expect(await s().getInstigatorState("sensor")).toMatchObject({ status: "RUNNING", cursor: "c1" });
      await tick(s(), "sensor", [], null);
      expect((await s().getInstigatorState("sensor"))?.cursor).toBeNull();
    });

    it("records skipped and failed ticks with their reason or error", async () => {
      const error: SerializedError = { className: "TypeError", message: "bad", stack: null, cause: null };
      const skipped = await s().recordSensorTick("sensor", {
        tickTime: 1_000,
        status: "SKIPPED",
        requests: [],
        cursor: "c1",
        skipReason: "No new files",
      });
      const failed = await s().recordSensorTick("sensor", {
        tickTime: 1_000,
        status: "FAILURE",
        requests: [],
        cursor: "c1",
        error,
      });
      expect(skipped.tick).toMatchObject({ status: "SKIPPED", skipReason: "No new files", error: null, runIds: [] });
      expect(failed.tick).toMatchObject({ status: "FAILURE", skipReason: null, error });
      // Sensors may tick twice at one time: only schedule ticks are unique per time.
      expect((await s().listTicks("sensor")).map((t) => t.id)).toEqual([failed.tick.id, skipped.tick.id]);
      expect((await s().listTicks("sensor", { statuses: ["FAILURE"] })).map((t) => t.id)).toEqual([failed.tick.id]);
    });

    it("stores nothing of a tick whose transaction fails: no tick, runs, run keys or cursor", async () => {
      freezeTime(1_000);
      await tick(s(), "sensor", [request("r1", "k1")], "c1");
      await s().createRun(queuedRecord("taken"));
      freezeTime(2_000);
      const err = await caught(
        tick(s(), "sensor", [request("fresh", "k-fresh"), request("keyless", null), request("taken", "k-taken")], "c2"),
      );
      expectSluiceError(err, "STORAGE_ERROR", /Run "taken" already exists/);
      expect(await s().getRun("fresh")).toBeUndefined();
      expect(await s().getRun("keyless")).toBeUndefined();
      expect(await s().getInstigatorState("sensor")).toMatchObject({ cursor: "c1", updatedAt: 1_000 });
      expect((await s().listTicks("sensor")).length).toBe(1);
      // The keys of the failed tick were not used up: a retry creates their runs.
      const retry = await tick(s(), "sensor", [request("fresh", "k-fresh"), request("taken-2", "k-taken")], "c2");
      expect(retry.createdRuns.map((r) => r.runId)).toEqual(["fresh", "taken-2"]);
      expect(retry.tick.skippedRunKeys).toEqual([]);
    });

    it("creates each run key's run once when two storages record ticks at once", async () => {
      const other = await s.openAnother();
      const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
      const [a, b] = await Promise.all([
        tick(s(), "sensor", keys.map((k) => request(`a-${k}`, k)), "from-a"),
        tick(other, "sensor", keys.map((k) => request(`b-${k}`, k)), "from-b"),
      ]);
      // Every key ran exactly once (in one tick or the other) and was skipped by the other tick.
      const createdKeys = [...a.createdRuns, ...b.createdRuns].map((r) => r.runId.slice(2));
      expect(createdKeys.sort()).toEqual([...keys].sort());
      expect([...a.tick.skippedRunKeys, ...b.tick.skippedRunKeys].sort()).toEqual([...keys].sort());
      expect((await s().listRuns()).length).toBe(10);
    });
  });
}
