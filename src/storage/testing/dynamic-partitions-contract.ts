import { describe, expect, it } from "vitest";
import { InputLimits } from "../../definitions/input-limits.js";
import { caught, expectSluiceError, freezeTime, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/**
 * Contract of dynamic partitions: keys per name in the order added, idempotent adds (also racing),
 * removal, malformed input refused with nothing stored, and a sensor tick that adds keys in the same
 * transaction as its runs.
 */
export function describeDynamicPartitionsContract(s: StorageFixture): void {
  describe("dynamic partitions", () => {
    it("adds keys after the existing ones and returns only those that were new", async () => {
      expect(await s().getDynamicPartitions("tenants")).toEqual([]);
      expect(await s().addDynamicPartitions("tenants", ["globex", "acme"])).toEqual(["globex", "acme"]);
      expect(await s().addDynamicPartitions("tenants", ["acme", "initech", "initech", "umbrella"])).toEqual(["initech", "umbrella"]);
      expect(await s().addDynamicPartitions("tenants", ["globex"])).toEqual([]);
      expect(await s().addDynamicPartitions("tenants", [])).toEqual([]);
      expect(await s().getDynamicPartitions("tenants")).toEqual(["globex", "acme", "initech", "umbrella"]);
      // Names are separate sets of keys.
      expect(await s().addDynamicPartitions("files", ["acme"])).toEqual(["acme"]);
      expect(await s().getDynamicPartitions("files")).toEqual(["acme"]);
      expect(await s().hasDynamicPartition("tenants", "initech")).toBe(true);
      expect(await s().hasDynamicPartition("tenants", "Initech")).toBe(false);
      expect(await s().hasDynamicPartition("nobody", "initech")).toBe(false);
    });

    it("keeps the order of thousands of keys added in one request, across statement chunks", async () => {
      const keys = Array.from({ length: 2500 }, (_, i) => `k-${(2500 - i).toString().padStart(4, "0")}`);
      expect(await s().addDynamicPartitions("files", keys)).toEqual(keys);
      expect(await s().getDynamicPartitions("files")).toEqual(keys);
      expect(await s().deleteDynamicPartitions("files", keys.slice(0, 1500))).toEqual(keys.slice(0, 1500));
      expect(await s().getDynamicPartitions("files")).toEqual(keys.slice(1500));
    });

    it("removes keys, returns those that existed, and may add a removed key again (last)", async () => {
      await s().addDynamicPartitions("tenants", ["a", "b", "c"]);
      expect(await s().deleteDynamicPartitions("tenants", ["b", "zz", "b"])).toEqual(["b"]);
      expect(await s().deleteDynamicPartitions("tenants", ["zz"])).toEqual([]);
      expect(await s().deleteDynamicPartitions("nobody", ["a"])).toEqual([]);
      expect(await s().getDynamicPartitions("tenants")).toEqual(["a", "c"]);
      expect(await s().addDynamicPartitions("tenants", ["b"])).toEqual(["b"]);
      expect(await s().getDynamicPartitions("tenants")).toEqual(["a", "c", "b"]);
    });

    it("refuses malformed names and keys, naming them, and stores none of the request", async () => {
      await s().addDynamicPartitions("tenants", ["a"]);
      expectSluiceError(await caught(s().addDynamicPartitions("tenants", ["ok", "x|y"])), "PARTITION_ERROR", /keys\[1\]: key "x\|y" of dynamic partitions "tenants" contains "\|"/);
      expectSluiceError(await caught(s().addDynamicPartitions("tenants", ["ok", ""])), "PARTITION_ERROR", /is empty/);
      expectSluiceError(await caught(s().addDynamicPartitions("bad name", ["ok"])), "USAGE_ERROR", /"bad name" is not valid/);
      expectSluiceError(await caught(s().addDynamicPartitions("tenants", ["x".repeat(InputLimits.nameLength + 1)])), "INPUT_TOO_LARGE", /at most 1,024/);
      const tooMany = Array.from({ length: InputLimits.partitionKeysPerRequest + 1 }, (_, i) => `k${i}`);
      expectSluiceError(await caught(s().addDynamicPartitions("tenants", tooMany)), "INPUT_TOO_LARGE", /at most 10,000 are allowed per request/);
      expectSluiceError(await caught(s().deleteDynamicPartitions("tenants", ["a", "b\nc"])), "PARTITION_ERROR", /control character/);
      expect(await s().getDynamicPartitions("tenants")).toEqual(["a"]);
    });

    it("stores each key once when two storages add the same keys at once", async () => {
      const other = await s.openAnother();
      const keys = Array.from({ length: 50 }, (_, i) => `t${i}`);
      const [a, b] = await Promise.all([s().addDynamicPartitions("tenants", keys), other.addDynamicPartitions("tenants", [...keys].reverse())]);
      expect([...a, ...b].sort()).toEqual([...keys].sort());
      expect((await s().getDynamicPartitions("tenants")).sort()).toEqual([...keys].sort());
    });

    it("records a sensor tick's partition keys in the tick's transaction, before its runs", async () => {
      await s().addDynamicPartitions("tenants", ["old", "gone"]);
      freezeTime(5_000);
      const result = await s().recordSensorTick("provisioning", {
        tickTime: 5_000,
        status: "SUCCESS",
        requests: [{ run: { ...queuedRecord("run-acme"), partition: "acme" }, runKey: "acme" }],
        dynamicPartitionsRequests: [
          { partitionsName: "tenants", add: ["acme", "old"], remove: ["gone", "never"] },
          { partitionsName: "files", add: ["f1"] },
        ],
        cursor: "c1",
      });
      expect(result.dynamicPartitions).toEqual([
        { partitionsName: "tenants", added: ["acme"], removed: ["gone"] },
        { partitionsName: "files", added: ["f1"], removed: [] },
      ]);
      expect(result.createdRuns.map((r) => [r.runId, r.partition])).toEqual([["run-acme", "acme"]]);
      expect(await s().getDynamicPartitions("tenants")).toEqual(["old", "acme"]);
      expect(await s().getDynamicPartitions("files")).toEqual(["f1"]);
      const plain = await s().recordSensorTick("provisioning", { tickTime: 6_000, status: "SKIPPED", requests: [], cursor: "c1" });
      expect(plain.dynamicPartitions).toEqual([]);
    });

    it("stores neither the keys nor the runs of a sensor tick whose run creation fails", async () => {
      await s().createRun(queuedRecord("taken"));
      const err = await caught(
        s().recordSensorTick("provisioning", {
          tickTime: 1_000,
          status: "SUCCESS",
          requests: [
            { run: { ...queuedRecord("fresh"), partition: "acme" }, runKey: "acme" },
            { run: queuedRecord("taken"), runKey: "taken" },
          ],
          dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["acme"] }],
          cursor: "c1",
        }),
      );
      expectSluiceError(err, "STORAGE_ERROR", /Run "taken" already exists/);
      expect(await s().getDynamicPartitions("tenants")).toEqual([]);
      expect(await s().getRun("fresh")).toBeUndefined();
      expect(await s().listTicks("provisioning")).toEqual([]);
      // A malformed partitions request fails the whole tick the same way.
      const bad = await caught(
        s().recordSensorTick("provisioning", {
          tickTime: 1_000,
          status: "SUCCESS",
          requests: [{ run: queuedRecord("fresh"), runKey: null }],
          dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["ok", "a|b"] }],
          cursor: "c1",
        }),
      );
      expectSluiceError(bad, "PARTITION_ERROR", /dynamicPartitionsRequests\[0\]\.add\[1\]: key "a\|b"/);
      expect(await s().getDynamicPartitions("tenants")).toEqual([]);
      expect(await s().getRun("fresh")).toBeUndefined();
      expect(await s().getInstigatorState("provisioning")).toBeUndefined();
    });
  });
}
