import { describe, expect, it } from "vitest";
import type { NewBackfill } from "../backfill-records.js";
import { caught, expectSluiceError, newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/** A one-group backfill of `keys` (asset `a`). */
export function newBackfill(backfillId: string, keys: readonly string[], extra: Partial<NewBackfill> = {}): NewBackfill {
  return {
    backfillId,
    target: { kind: "assets", selection: "a", assetKeys: ["a"] },
    groups: [{ name: "", assetKeys: ["a"], upstream: [], partitionKeys: keys }],
    partitionSet: { kind: "keys", keys: [...keys] },
    launchedBy: "test",
    ...extra,
  };
}

/** Daily keys from 2020-01-01, `n` of them. */
function days(n: number): string[] {
  return Array.from({ length: n }, (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10));
}

/** Contract of the per-partition status index and of backfills. */
export function describeBackfillContract(s: StorageFixture): void {
  describe("per-partition status index", () => {
    const step = (runId: string, type: Parameters<typeof newEvent>[1], partition: string | null, assetKey = "a") =>
      newEvent(runId, type, { stepKey: assetKey, assetKey, partition });

    it("follows a partition's step: in progress, materialized, failed, and a later success clears the failure", async () => {
      await s().createRun(queuedRecord("r1"));
      await s().createRun(queuedRecord("r2"));
      await s().createRun(queuedRecord("r3"));
      await s().storeEvent(step("r1", "STEP_START", "p1"));
      await s().storeEvent(step("r1", "STEP_START", "p2"));
      expect((await s().getAssetPartitionStatuses("a")).map((r) => [r.partition, r.status, r.runId])).toEqual([
        ["p1", "IN_PROGRESS", "r1"],
        ["p2", "IN_PROGRESS", "r1"],
      ]);
      await s().storeEvent(step("r1", "ASSET_MATERIALIZATION", "p1"));
      await s().storeEvent(step("r1", "STEP_FAILURE", "p2"));
      expect((await s().getAssetPartitionStatuses("a")).map((r) => [r.partition, r.status])).toEqual([
        ["p1", "MATERIALIZED"],
        ["p2", "FAILED"],
      ]);
      // A step that failed after materializing its partition leaves it materialized.
      await s().storeEvent(step("r1", "STEP_FAILURE", "p1"));
      expect((await s().getAssetPartitionStatuses("a", { statuses: ["MATERIALIZED"] })).map((r) => r.partition)).toEqual(["p1"]);
      // A new attempt fails a materialized partition; a later materialization clears a failure.
      await s().storeEvent(step("r2", "STEP_START", "p1"));
      await s().storeEvent(step("r2", "STEP_FAILURE", "p1"));
      await s().storeEvent(step("r3", "STEP_START", "p2"));
      await s().storeEvent(step("r3", "ASSET_MATERIALIZATION", "p2"));
      expect((await s().getAssetPartitionStatuses("a")).map((r) => [r.partition, r.status, r.runId])).toEqual([
        ["p1", "FAILED", "r2"],
        ["p2", "MATERIALIZED", "r3"],
      ]);
      expect(await s().getAssetPartitionStatuses("a", { statuses: [] })).toEqual([]);
    });

    it("fails the partitions whose run ended before they materialized, and skipped ones", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvent(newEvent("r", "RUN_START"));
      await s().storeEvent(step("r", "STEP_START", "p1", "up"));
      await s().storeEvent(step("r", "STEP_SKIPPED", "p1", "down"));
      await s().storeEvent(newEvent("r", "RUN_FAILURE"));
      expect((await s().getAssetPartitionStatuses("up")).map((r) => r.status)).toEqual(["FAILED"]);
      expect((await s().getAssetPartitionStatuses("down")).map((r) => r.status)).toEqual(["FAILED"]);
    });

    it("follows a multi-asset's step (no asset key of its own) for each asset its events name in data.assetKeys", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvent(newEvent("r", "RUN_START"));
      const multi = (type: Parameters<typeof newEvent>[1], partition: string, data: Record<string, unknown> = {}) =>
        newEvent("r", type, { stepKey: "split", assetKey: null, partition, data: { assetKeys: ["m/a", "m/b"], ...data } });
      await s().storeEvent(multi("STEP_START", "p1"));
      await s().storeEvent(multi("STEP_START", "p2"));
      expect((await s().getAssetPartitionStatuses("m/b")).map((r) => [r.partition, r.status])).toEqual([
        ["p1", "IN_PROGRESS"],
        ["p2", "IN_PROGRESS"],
      ]);
      await s().storeEvent(newEvent("r", "ASSET_MATERIALIZATION", { stepKey: "split", assetKey: "m/a", partition: "p1" }));
      await s().storeEvent(newEvent("r", "ASSET_MATERIALIZATION", { stepKey: "split", assetKey: "m/b", partition: "p1" }));
      // The run ends while p2's step still runs: the event that ends the step fails both its assets.
      await s().storeEvent(newEvent("r", "RUN_FAILURE"));
      for (const key of ["m/a", "m/b"]) {
        expect((await s().getAssetPartitionStatuses(key)).map((r) => [r.partition, r.status])).toEqual([
          ["p1", "MATERIALIZED"],
          ["p2", "FAILED"],
        ]);
      }
      expect(Object.fromEntries(await s().countAssetPartitionStatuses(["split"]))).toEqual({ split: { materialized: 0, failed: 0, inProgress: 0 } });
    });

    it("ignores unpartitioned assets and ops, counts per asset, and is wiped with the asset", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvents([
        step("r", "STEP_START", null),
        step("r", "ASSET_MATERIALIZATION", null),
        newEvent("r", "STEP_START", { stepKey: "op", partition: "p1" }),
        step("r", "ASSET_MATERIALIZATION", "p1"),
        step("r", "ASSET_MATERIALIZATION", "p2"),
        step("r", "STEP_START", "p3"),
        step("r", "STEP_START", "p4"),
        step("r", "STEP_FAILURE", "p4"),
        step("r", "ASSET_MATERIALIZATION", "p1", "b"),
      ]);
      expect((await s().getAssetPartitionStatuses("a")).map((r) => r.partition)).toEqual(["p1", "p2", "p3", "p4"]);
      const counts = await s().countAssetPartitionStatuses(["a", "b", "none"]);
      expect(Object.fromEntries(counts)).toEqual({
        a: { materialized: 2, failed: 1, inProgress: 1 },
        b: { materialized: 1, failed: 0, inProgress: 0 },
        none: { materialized: 0, failed: 0, inProgress: 0 },
      });
      await s().wipeAssets(["a"]);
      expect(await s().getAssetPartitionStatuses("a")).toEqual([]);
      expect((await s().getAssetPartitionStatuses("b")).length).toBe(1);
    });
  });

  describe("backfills", () => {
    it("creates a 10,000-partition backfill in well under 2 s, and reads it back in order", async () => {
      const keys = days(10_000);
      const started = performance.now();
      const created = await s().createBackfill(newBackfill("bf", keys, { tags: { team: "data" } }));
      const elapsed = performance.now() - started;
      expect(elapsed, `created in ${elapsed.toFixed(0)} ms`).toBeLessThan(2000);
      expect(created).toMatchObject({ backfillId: "bf", status: "REQUESTED", partitionCount: 10_000, tags: { team: "data" }, launchedBy: "test", parentBackfillId: null, error: null, endedAt: null });
      expect(await s().getBackfill("bf")).toEqual(created);
      expect(await s().getBackfill("nope")).toBeUndefined();
      expect(await s().countBackfillPartitions("bf")).toEqual({ pending: 10_000, launched: 0, succeeded: 0, failed: 0, canceled: 0 });
      const page = await s().getBackfillPartitions("bf", { offset: 9_998, limit: 5 });
      expect(page.map((p) => p.partition)).toEqual(keys.slice(9_998));
      expect(page[0]).toEqual({ group: "", partition: keys[9_998], status: "pending", runId: null, runStatus: null, reason: null });
      expect((await s().getBackfillPartitions("bf", { limit: 2 })).map((p) => p.partition)).toEqual(keys.slice(0, 2));
      expect((await s().getBackfillPartitions("bf", { offset: 9_999 })).map((p) => p.partition)).toEqual([keys[9_999]]);
    });

    it("refuses a duplicate id or an empty backfill, storing nothing", async () => {
      await s().createBackfill(newBackfill("bf", ["a"]));
      expectSluiceError(await caught(s().createBackfill(newBackfill("bf", ["b"]))), "STORAGE_ERROR", /already exists/);
      expectSluiceError(await caught(s().createBackfill(newBackfill("empty", []))), "STORAGE_ERROR", /no partition/);
      expect((await s().listBackfills()).map((b) => b.backfillId)).toEqual(["bf"]);
      expect((await s().getBackfillPartitions("bf")).map((p) => p.partition)).toEqual(["a"]);
      expectSluiceError(await caught(s().getBackfillPartitions("nope")), "BACKFILL_NOT_FOUND", /"nope" was not found/);
    });

    it("lists newest first, by status, a page at a time", async () => {
      for (const id of ["b1", "b2", "b3"]) await s().createBackfill(newBackfill(id, ["k"]));
      await s().setBackfillStatus("b2", "CANCELED");
      expect((await s().listBackfills()).map((b) => b.backfillId)).toEqual(["b3", "b2", "b1"]);
      expect((await s().listBackfills({ statuses: ["REQUESTED"] })).map((b) => b.backfillId)).toEqual(["b3", "b1"]);
      expect(await s().listBackfills({ statuses: [] })).toEqual([]);
      expect((await s().listBackfills({ limit: 1 })).map((b) => b.backfillId)).toEqual(["b3"]);
      expect((await s().listBackfills({ before: "b3", limit: 1 })).map((b) => b.backfillId)).toEqual(["b2"]);
      expectSluiceError(await caught(s().listBackfills({ before: "gone" })), "BACKFILL_NOT_FOUND", /gone/);
    });

    it("launches a pending partition once: the run and the launch in one transaction", async () => {
      await s().createBackfill(newBackfill("bf", ["k1", "k2"]));
      const run = await s().launchBackfillPartition("bf", "", "k1", { ...queuedRecord("run-1"), partition: "k1" });
      expect(run?.runId).toBe("run-1");
      // A second launch of the same partition (a restarted daemon) creates nothing.
      expect(await s().launchBackfillPartition("bf", "", "k1", queuedRecord("run-1b"))).toBeUndefined();
      expect(await s().getRun("run-1b")).toBeUndefined();
      const [k1] = await s().getBackfillPartitions("bf", { limit: 1 });
      expect(k1).toMatchObject({ partition: "k1", status: "launched", runId: "run-1", runStatus: "QUEUED" });
      // A run id that exists rolls the launch back: the partition stays pending.
      expectSluiceError(await caught(s().launchBackfillPartition("bf", "", "k2", queuedRecord("run-1"))), "STORAGE_ERROR", /already exists/);
      expect((await s().getBackfillPartitions("bf", { statuses: ["pending"] })).map((p) => p.partition)).toEqual(["k2"]);
      // Racing launchers of one partition: exactly one wins.
      const other = await s.openAnother();
      const results = await Promise.all([
        s().launchBackfillPartition("bf", "", "k2", queuedRecord("race-a")),
        other.launchBackfillPartition("bf", "", "k2", queuedRecord("race-b")),
      ]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect(await s().countRuns({})).toBe(2);
      expectSluiceError(await caught(s().launchBackfillPartition("nope", "", "k", queuedRecord("x"))), "BACKFILL_NOT_FOUND", /nope/);
    });

    it("launches a batch in one transaction: pending partitions once each, with their runs' statuses countable", async () => {
      await s().createBackfill(newBackfill("bf", ["k1", "k2", "k3", "k4"]));
      await s().launchBackfillPartition("bf", "", "k2", queuedRecord("early"));
      const created = await s().launchBackfillPartitions("bf", [
        { group: "", partitions: ["k1"], run: queuedRecord("r1") },
        { group: "", partitions: ["k2"], run: queuedRecord("r2") },
        { group: "", partitions: ["k3"], run: queuedRecord("r3") },
        { group: "", partitions: ["k3"], run: queuedRecord("r3b") },
        { group: "other", partitions: ["k4"], run: queuedRecord("r4") },
      ]);
      expect(created.map((r) => r.runId)).toEqual(["r1", "r3"]);
      expect((await s().listRuns()).map((r) => r.runId).sort()).toEqual(["early", "r1", "r3"]);
      expect((await s().getBackfillPartitions("bf")).map((p) => [p.partition, p.status, p.runId])).toEqual([
        ["k1", "launched", "r1"],
        ["k2", "launched", "early"],
        ["k3", "launched", "r3"],
        ["k4", "pending", null],
      ]);
      // A run id that exists rolls the whole batch back.
      expectSluiceError(await caught(s().launchBackfillPartitions("bf", [{ group: "", partitions: ["k4"], run: queuedRecord("r1") }])), "STORAGE_ERROR", /"r1" already exists/);
      expect((await s().getBackfillPartitions("bf", { statuses: ["pending"] })).map((p) => p.partition)).toEqual(["k4"]);
      await s().storeEvent(newEvent("r1", "RUN_START"));
      await s().storeEvent(newEvent("r1", "RUN_SUCCESS"));
      await s().setRunStatus("r3", "STARTED");
      expect(await s().countBackfillRunStatuses("bf")).toEqual({ QUEUED: 1, STARTED: 1, SUCCESS: 1 });
      const ended = await s().getBackfillPartitions("bf", { statuses: ["launched"], runStatuses: ["SUCCESS", "FAILURE", null] });
      expect(ended.map((p) => [p.partition, p.runStatus])).toEqual([["k1", "SUCCESS"]]);
      expect(await s().getBackfillPartitions("bf", { runStatuses: [] })).toEqual([]);
      expect((await s().getBackfillPartitions("bf", { runStatuses: [null] })).map((p) => p.partition)).toEqual(["k4"]);
    });

    it("launches a range of partitions with one run, atomically: all still pending, or nothing", async () => {
      await s().createBackfill({
        ...newBackfill("bf", []),
        groups: [
          { name: "a", assetKeys: ["a"], upstream: [], partitionKeys: ["k1", "k2", "k3", "k4", "k5"], runCount: 1 },
          { name: "b", assetKeys: ["b"], upstream: ["a"], partitionKeys: ["d1"] },
        ],
      });
      expect((await s().getBackfill("bf"))?.groups).toEqual([
        { name: "a", assetKeys: ["a"], upstream: [], partitionCount: 5, runCount: 1 },
        { name: "b", assetKeys: ["b"], upstream: ["a"], partitionCount: 1, runCount: 1 },
      ]);
      expect((await s().getBackfill("bf"))?.partitionCount).toBe(6);
      const run = await s().launchBackfillPartition("bf", "a", ["k1", "k2", "k3"], queuedRecord("range"));
      expect(run?.runId).toBe("range");
      // k3 is no longer pending: a range over it launches nothing, not even its pending keys.
      expect(await s().launchBackfillPartition("bf", "a", ["k3", "k4", "k5"], queuedRecord("overlap"))).toBeUndefined();
      expect(await s().getRun("overlap")).toBeUndefined();
      // Within one batch, a partition taken by an earlier run leaves the later run out.
      const batch = await s().launchBackfillPartitions("bf", [
        { group: "a", partitions: ["k4"], run: queuedRecord("r4") },
        { group: "a", partitions: ["k4", "k5"], run: queuedRecord("r45") },
        { group: "b", partitions: ["k5"], run: queuedRecord("wrong-group") },
      ]);
      expect(batch.map((r) => r.runId)).toEqual(["r4"]);
      expect((await s().getBackfillPartitions("bf")).map((p) => [p.group, p.partition, p.status, p.runId])).toEqual([
        ["a", "k1", "launched", "range"],
        ["a", "k2", "launched", "range"],
        ["a", "k3", "launched", "range"],
        ["a", "k4", "launched", "r4"],
        ["a", "k5", "pending", null],
        ["b", "d1", "pending", null],
      ]);
      // The run is counted once, and its outcome reaches every partition of its range.
      expect(await s().countBackfillRunStatuses("bf")).toEqual({ QUEUED: 2 });
      await s().storeEvent(newEvent("range", "RUN_START"));
      await s().storeEvent(newEvent("range", "RUN_SUCCESS"));
      const ended = await s().getBackfillPartitions("bf", { statuses: ["launched"], runStatuses: ["SUCCESS"] });
      expect(ended.map((p) => p.partition)).toEqual(["k1", "k2", "k3"]);
      expectSluiceError(await caught(s().launchBackfillPartitions("bf", [{ group: "a", partitions: [], run: queuedRecord("empty") }])), "STORAGE_ERROR", /names no partition/);
      expectSluiceError(await caught(s().createBackfill({ ...newBackfill("bad", ["x"]), groups: [{ name: "a", assetKeys: ["a"], upstream: [], partitionKeys: ["x"] }, { name: "b", assetKeys: ["b"], upstream: ["a"], partitionKeys: [] }] })), "STORAGE_ERROR", /no partition in group "b"/);
      expect(await s().getBackfill("bad")).toBeUndefined();
    });

    it("launches nothing for a backfill that is no longer REQUESTED", async () => {
      await s().createBackfill(newBackfill("bf", ["k1"]));
      expect(await s().setBackfillStatus("bf", "CANCELING", { onlyFrom: ["REQUESTED"] })).toBe(true);
      expect(await s().setBackfillStatus("bf", "CANCELING", { onlyFrom: ["REQUESTED"] })).toBe(false);
      expect(await s().launchBackfillPartition("bf", "", "k1", queuedRecord("r"))).toBeUndefined();
      expect(await s().getRun("r")).toBeUndefined();
      expect((await s().getBackfillPartitions("bf"))[0]?.status).toBe("pending");
      expect(await s().cancelPendingBackfillPartitions("bf", "canceled")).toBe(1);
      expect(await s().setBackfillStatus("bf", "CANCELED", { onlyFrom: ["CANCELING"] })).toBe(true);
      const canceled = await s().getBackfill("bf");
      expect(canceled?.status).toBe("CANCELED");
      expect(canceled?.endedAt).toEqual(expect.any(Number));
      expectSluiceError(await caught(s().setBackfillStatus("nope", "CANCELED")), "BACKFILL_NOT_FOUND", /nope/);
    });

    it("updates partitions only from the given statuses, and resumes the ones not succeeded", async () => {
      await s().createBackfill(newBackfill("bf", ["k1", "k2", "k3"]));
      await s().launchBackfillPartition("bf", "", "k1", queuedRecord("r1"));
      await s().launchBackfillPartition("bf", "", "k2", queuedRecord("r2"));
      const updated = await s().updateBackfillPartitions(
        "bf",
        [
          { group: "", partition: "k1", status: "succeeded" },
          { group: "", partition: "k2", status: "failed" },
          { group: "", partition: "k3", status: "failed", reason: "upstream k2 failed" },
        ],
        { onlyFrom: ["launched"] },
      );
      expect(updated).toBe(2);
      await s().updateBackfillPartitions("bf", [{ group: "", partition: "k3", status: "failed", reason: "upstream k2 failed" }], { onlyFrom: ["pending"] });
      expect((await s().getBackfillPartitions("bf")).map((p) => [p.partition, p.status, p.reason])).toEqual([
        ["k1", "succeeded", null],
        ["k2", "failed", null],
        ["k3", "failed", "upstream k2 failed"],
      ]);
      // Only a FAILED or CANCELED backfill resumes.
      expect(await s().resumeBackfill("bf")).toBeUndefined();
      await s().setBackfillStatus("bf", "FAILED", { error: "1 partition failed" });
      expect((await s().getBackfill("bf"))?.error).toBe("1 partition failed");
      expect(await s().resumeBackfill("bf")).toBe(2);
      expect(await s().getBackfill("bf")).toMatchObject({ status: "REQUESTED", endedAt: null, error: null });
      expect((await s().getBackfillPartitions("bf")).map((p) => [p.partition, p.status, p.runId])).toEqual([
        ["k1", "succeeded", "r1"],
        ["k2", "pending", null],
        ["k3", "pending", null],
      ]);
      expect(await s().countBackfillPartitions("bf")).toMatchObject({ pending: 2, succeeded: 1 });
      expectSluiceError(await caught(s().resumeBackfill("nope")), "BACKFILL_NOT_FOUND", /nope/);
    });
  });
}
