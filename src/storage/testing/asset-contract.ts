import { describe, expect, it } from "vitest";
import type { MetadataMap } from "../records.js";
import { newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/** Contract of the asset index and materialization history, wipe included. */
export function describeAssetContract(s: StorageFixture): void {
  describe("asset index", () => {
    it("points at the materialization event, in the same call that stores it", async () => {
      await s().createRun(queuedRecord("r"));
      const metadata: MetadataMap = {
        rows: { type: "int", value: 42 },
        preview: { type: "table", value: { columns: [{ name: "a" }], rows: [{ a: 1 }] } },
        note: { type: "null", value: null },
      };
      const event = await s().storeEvent(
        newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "raw/orders", timestamp: 77, data: { metadata } }),
      );
      expect(await s().getAssetIndex()).toEqual([
        { assetKey: "raw/orders", partition: null, runId: "r", eventId: event.id, timestamp: 77, metadata, dataVersion: null, codeVersion: null, inputDataVersions: null },
      ]);
    });

    it("keeps the latest per asset and per partition, the unpartitioned one apart", async () => {
      await s().createRun(queuedRecord("r1"));
      await s().createRun(queuedRecord("r2"));
      const mat = (runId: string, assetKey: string, partition: string | null, rows: number) =>
        s().storeEvent(
          newEvent(runId, "ASSET_MATERIALIZATION", {
            assetKey,
            partition,
            data: { metadata: { rows: { type: "int", value: rows } } },
          }),
        );
      await mat("r1", "a", null, 1);
      await mat("r1", "a", "2024-01-01", 2);
      await mat("r1", "a", "2024-01-02", 3);
      await mat("r1", "b", null, 4);
      const latestA = await mat("r2", "a", null, 5);
      const latestA1 = await mat("r2", "a", "2024-01-01", 6);
      const index = await s().getAssetIndex();
      expect(index.map((e) => [e.assetKey, e.partition, e.runId, e.metadata.rows?.value])).toEqual([
        ["a", null, "r2", 5],
        ["a", "2024-01-01", "r2", 6],
        ["a", "2024-01-02", "r1", 3],
        ["b", null, "r1", 4],
      ]);
      expect(index[0]?.eventId).toBe(latestA.id);
      expect(index[1]?.eventId).toBe(latestA1.id);
      expect((await s().getAssetIndex(["b", "zz"])).map((e) => e.assetKey)).toEqual(["b"]);
      expect(await s().getAssetIndex([])).toEqual([]);
    });

    it("indexes only ASSET_MATERIALIZATION events that name an asset", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvent(newEvent("r", "ASSET_MATERIALIZATION"));
      await s().storeEvent(newEvent("r", "LOG", { assetKey: "a" }));
      await s().storeEvent(newEvent("r", "STEP_SUCCESS", { assetKey: "a", stepKey: "a" }));
      expect(await s().getAssetIndex()).toEqual([]);
      const none = await s().storeEvent(newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "a" }));
      expect((await s().getAssetIndex())[0]?.metadata).toEqual({});
      expect((await s().getAssetIndex())[0]?.eventId).toBe(none.id);
    });

    it("lists an asset's materializations newest first, with a limit", async () => {
      await s().createRun(queuedRecord("r"));
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) {
        const partition = i % 2 ? "p" : null;
        const mat = newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "a", partition });
        ids.push((await s().storeEvent(mat)).id);
        await s().storeEvent(newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "other" }));
        await s().storeEvent(newEvent("r", "LOG", { assetKey: "a" }));
      }
      const all = await s().getMaterializations("a");
      expect(all.map((e) => e.id)).toEqual([...ids].reverse());
      expect(all.every((e) => e.type === "ASSET_MATERIALIZATION" && e.assetKey === "a")).toBe(true);
      expect((await s().getMaterializations("a", { limit: 2 })).map((e) => e.id)).toEqual([ids[3], ids[2]]);
      expect(await s().getMaterializations("never")).toEqual([]);
    });

    it("wipes the index rows and materializations of the given assets only", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvents([
        newEvent("r", "STEP_START", { stepKey: "a" }),
        newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "a", stepKey: "a" }),
        newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "a", partition: "p1" }),
        newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "b" }),
        newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "c" }),
        newEvent("r", "STEP_SUCCESS", { stepKey: "a", assetKey: "a" }),
      ]);
      await s().wipeAssets(["a", "c", "unknown"]);
      expect((await s().getAssetIndex()).map((e) => e.assetKey)).toEqual(["b"]);
      expect(await s().getMaterializations("a")).toEqual([]);
      expect(await s().getMaterializations("c")).toEqual([]);
      expect((await s().getMaterializations("b")).length).toBe(1);
      expect((await s().getEvents("r")).map((e) => e.type)).toEqual([
        "STEP_START",
        "ASSET_MATERIALIZATION",
        "STEP_SUCCESS",
      ]);
      await s().wipeAssets([]);
      expect((await s().getAssetIndex()).length).toBe(1);
    });

    it("never reuses the id of a wiped newest event, so tailing by id misses nothing", async () => {
      await s().createRun(queuedRecord("r"));
      const wiped = await s().storeEvent(newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "a" }));
      await s().wipeAssets(["a"]);
      const next = await s().storeEvent(newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "a" }));
      expect(next.id).toBeGreaterThan(wiped.id);
      expect(await s().getEvents("r", { afterId: wiped.id })).toEqual([next]);
      expect((await s().getAssetIndex())[0]?.eventId).toBe(next.id);
    });
  });
}
