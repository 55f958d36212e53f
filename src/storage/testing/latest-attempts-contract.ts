import { describe, expect, it } from "vitest";
import { newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/**
 * Contract of the latest attempts of every asset (partitioned or not), the reads the automation
 * loop starts from, and of the latest event id.
 */
export function describeLatestAttemptsContract(s: StorageFixture): void {
  describe("latest attempts and latest event id", () => {
    const step = (runId: string, type: Parameters<typeof newEvent>[1], partition: string | null, assetKey: string) =>
      newEvent(runId, type, { stepKey: assetKey, assetKey, partition });

    it("records the latest attempt of unpartitioned assets beside partitions, without changing partition reads", async () => {
      await s().createRun(queuedRecord("r1"));
      await s().createRun(queuedRecord("r2"));
      await s().storeEvent(step("r1", "STEP_START", null, "plain"));
      await s().storeEvent(step("r1", "STEP_START", "p1", "parted"));
      expect((await s().getLatestAttempts()).map((r) => [r.assetKey, r.partition, r.status, r.runId])).toEqual([
        ["parted", "p1", "IN_PROGRESS", "r1"],
        ["plain", null, "IN_PROGRESS", "r1"],
      ]);
      await s().storeEvent(step("r1", "ASSET_MATERIALIZATION", null, "plain"));
      await s().storeEvent(step("r1", "STEP_FAILURE", "p1", "parted"));
      await s().storeEvent(step("r2", "STEP_START", null, "other"));
      await s().storeEvent(step("r2", "STEP_FAILURE", null, "other"));
      const all = await s().getLatestAttempts();
      expect(all.map((r) => [r.assetKey, r.partition, r.status])).toEqual([
        ["other", null, "FAILED"],
        ["parted", "p1", "FAILED"],
        ["plain", null, "MATERIALIZED"],
      ]);
      expect(all[0]!.eventId).toBeGreaterThan(all[2]!.eventId);
      expect(all[0]!.updatedAt).toEqual(expect.any(Number));
      expect((await s().getLatestAttempts(["plain", "nobody"])).map((r) => r.assetKey)).toEqual(["plain"]);
      expect(await s().getLatestAttempts([])).toEqual([]);

      // Partition reads see partitions only, as before.
      expect(await s().getAssetPartitionStatuses("plain")).toEqual([]);
      expect((await s().getAssetPartitionStatuses("parted")).map((r) => r.partition)).toEqual(["p1"]);
      expect(await s().countAssetPartitionStatuses(["plain", "parted"])).toEqual(
        new Map([
          ["plain", { materialized: 0, failed: 0, inProgress: 0 }],
          ["parted", { materialized: 0, failed: 1, inProgress: 0 }],
        ]),
      );

      // A run that ends first fails the unpartitioned asset it had started; wiping forgets it.
      await s().createRun(queuedRecord("r3"));
      await s().storeEvent(newEvent("r3", "RUN_START"));
      await s().storeEvent(step("r3", "STEP_START", null, "plain"));
      await s().storeEvent(newEvent("r3", "RUN_FAILURE"));
      expect((await s().getLatestAttempts(["plain"])).map((r) => [r.status, r.runId])).toEqual([["FAILED", "r3"]]);
      await s().wipeAssets(["plain"]);
      expect(await s().getLatestAttempts(["plain"])).toEqual([]);
    });

    it("gives the greatest event id, 0 on an empty log", async () => {
      expect(await s().getLatestEventId()).toBe(0);
      await s().createRun(queuedRecord("r"));
      const first = await s().storeEvent(newEvent("r", "RUN_START"));
      const second = await s().storeEvent(step("r", "STEP_START", null, "a"));
      expect(second.id).toBeGreaterThan(first.id);
      expect(await s().getLatestEventId()).toBe(second.id);
    });
  });
}
