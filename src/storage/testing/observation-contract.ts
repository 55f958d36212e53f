import { describe, expect, it } from "vitest";
import { RUNLESS_RUN_ID } from "../records.js";
import { newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/** Contract of observations (latest per asset and partition, history) and of run-less events. */
export function describeObservationContract(s: StorageFixture): void {
  describe("observations", () => {
    const observe = (runId: string, assetKey: string, partition: string | null, dataVersion: string, timestamp?: number) =>
      s().storeEvent(newEvent(runId, "ASSET_OBSERVATION", { assetKey, partition, ...(timestamp !== undefined ? { timestamp } : {}), data: { dataVersion, metadata: { rows: { type: "int", value: 1 } } } }));

    it("keeps the latest observation per asset and partition, in the call that stores it", async () => {
      await s().createRun(queuedRecord("r1"));
      await s().createRun(queuedRecord("r2"));
      await observe("r1", "src/file", null, "v1", 10);
      await observe("r1", "src/table", "a", "t-a1");
      await observe("r1", "src/table", "b", "t-b1");
      const latest = await observe("r2", "src/file", null, "v2", 20);
      await observe("r2", "src/table", "a", "t-a2");
      const all = await s().getLatestObservations();
      expect(all.map((o) => [o.assetKey, o.partition, o.dataVersion, o.runId])).toEqual([
        ["src/file", null, "v2", "r2"],
        ["src/table", "a", "t-a2", "r2"],
        ["src/table", "b", "t-b1", "r1"],
      ]);
      expect(all[0]).toEqual({ assetKey: "src/file", partition: null, runId: "r2", eventId: latest.id, dataVersion: "v2", metadata: { rows: { type: "int", value: 1 } }, timestamp: 20 });
      expect((await s().getLatestObservations(["src/table", "zz"])).map((o) => o.partition)).toEqual(["a", "b"]);
      expect(await s().getLatestObservations([])).toEqual([]);
    });

    it("are not materializations: the asset index and partition statuses do not see them", async () => {
      await s().createRun(queuedRecord("r"));
      await observe("r", "src/table", "a", "v1");
      expect(await s().getAssetIndex(["src/table"])).toEqual([]);
      expect(await s().getMaterializations("src/table")).toEqual([]);
      expect(await s().getAssetPartitionStatuses("src/table")).toEqual([]);
    });

    it("reads an asset's observation history newest first, by partition and limit", async () => {
      await s().createRun(queuedRecord("r"));
      await observe("r", "t", "a", "1");
      await observe("r", "t", null, "2");
      await observe("r", "t", "a", "3");
      await observe("r", "other", null, "x");
      expect((await s().getObservations("t")).map((e) => e.data.dataVersion)).toEqual(["3", "2", "1"]);
      expect((await s().getObservations("t", { partition: "a" })).map((e) => e.data.dataVersion)).toEqual(["3", "1"]);
      expect((await s().getObservations("t", { partition: null })).map((e) => e.data.dataVersion)).toEqual(["2"]);
      expect((await s().getObservations("t", { limit: 1 })).map((e) => e.data.dataVersion)).toEqual(["3"]);
      expect(await s().getObservations("t", { limit: 0 })).toEqual([]);
      expect((await s().getObservations("t"))[0]?.type).toBe("ASSET_OBSERVATION");
    });

    it("indexes nothing for an observation without a data version", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvent(newEvent("r", "ASSET_OBSERVATION", { assetKey: "t", data: {} }));
      expect(await s().getLatestObservations()).toEqual([]);
    });

    it("are forgotten by wipeAssets, with their events", async () => {
      await s().createRun(queuedRecord("r"));
      await observe("r", "t", null, "1");
      await observe("r", "keep", null, "k");
      await s().wipeAssets(["t"]);
      expect((await s().getLatestObservations()).map((o) => o.assetKey)).toEqual(["keep"]);
      expect(await s().getObservations("t")).toEqual([]);
    });
  });

  describe("run-less events", () => {
    it("a reported materialization is stored under the reserved run and indexed like any other", async () => {
      const event = await s().storeEvent(newEvent(RUNLESS_RUN_ID, "ASSET_MATERIALIZATION", { assetKey: "vendor/feed", partition: "2024-01-01", data: { reported: true } }));
      expect((await s().getAssetIndex(["vendor/feed"])).map((r) => [r.partition, r.runId, r.eventId])).toEqual([["2024-01-01", RUNLESS_RUN_ID, event.id]]);
      expect((await s().getAssetPartitionStatuses("vendor/feed")).map((r) => [r.partition, r.status])).toEqual([["2024-01-01", "MATERIALIZED"]]);
      expect((await s().getMaterializations("vendor/feed"))[0]?.data.reported).toBe(true);
    });

    it("the reserved run is never listed, counted or read as a run", async () => {
      await s().createRun(queuedRecord("real"));
      await s().storeEvent(newEvent(RUNLESS_RUN_ID, "ASSET_MATERIALIZATION", { assetKey: "a" }));
      expect((await s().listRuns()).map((r) => r.runId)).toEqual(["real"]);
      expect((await s().listRuns({ statuses: ["SUCCESS"] })).map((r) => r.runId)).toEqual([]);
      expect(await s().listRuns({ runIds: [RUNLESS_RUN_ID] })).toEqual([]);
      expect(await s().countRuns()).toBe(1);
      expect(await s().countRuns({ jobName: RUNLESS_RUN_ID })).toBe(0);
      expect((await s().countRecords()).runs).toBe(1);
      expect(await s().getRun(RUNLESS_RUN_ID)).toBeUndefined();
      expect(await s().claimQueuedRuns("w", 10, { maxConcurrentRuns: -1, tagLimits: [] })).toEqual([expect.objectContaining({ runId: "real" })]);
    });
  });
}
