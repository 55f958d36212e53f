import { describe, expect, it } from "vitest";
import { newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/** Contract of the versions a materialization records in the asset index (schema version 9). */
export function describeVersionContract(s: StorageFixture): void {
  describe("asset index versions", () => {
    const materialize = (runId: string, assetKey: string, partition: string | null, data: Record<string, unknown>) =>
      s().storeEvent(newEvent(runId, "ASSET_MATERIALIZATION", { assetKey, partition, data: { metadata: {}, ...data } }));

    it("keeps the data version, code version and input data versions of the latest materialization", async () => {
      await s().createRun(queuedRecord("r1"));
      await s().createRun(queuedRecord("r2"));
      await materialize("r1", "clean", null, { dataVersion: "d1", codeVersion: "v1", inputDataVersions: { "raw/orders": "u1" } });
      await materialize("r1", "clean", "p1", { dataVersion: "dp", codeVersion: null, inputDataVersions: {} });
      await materialize("r2", "clean", null, { dataVersion: "d2", codeVersion: "v2", inputDataVersions: { "raw/orders": "u2", customers: "c1" } });
      const index = await s().getAssetIndex(["clean"]);
      expect(index.map((r) => [r.partition, r.dataVersion, r.codeVersion, r.inputDataVersions])).toEqual([
        [null, "d2", "v2", { "raw/orders": "u2", customers: "c1" }],
        ["p1", "dp", null, {}],
      ]);
    });

    it("clears the versions when a later materialization records none, rather than keeping stale ones", async () => {
      await s().createRun(queuedRecord("r"));
      await materialize("r", "a", null, { dataVersion: "d1", codeVersion: "v1", inputDataVersions: { up: "u1" } });
      await materialize("r", "a", null, {});
      const [row] = await s().getAssetIndex(["a"]);
      expect([row?.dataVersion, row?.codeVersion, row?.inputDataVersions]).toEqual([null, null, null]);
    });

    it("ignores versions of the wrong type instead of storing them", async () => {
      await s().createRun(queuedRecord("r"));
      await materialize("r", "a", null, { dataVersion: 42, codeVersion: ["v1"], inputDataVersions: { up: 7 } });
      const [row] = await s().getAssetIndex(["a"]);
      expect([row?.dataVersion, row?.codeVersion, row?.inputDataVersions]).toEqual([null, null, null]);
    });

    it("forgets the versions of wiped assets with their materializations", async () => {
      await s().createRun(queuedRecord("r"));
      await materialize("r", "a", null, { dataVersion: "d1", codeVersion: "v1", inputDataVersions: {} });
      await s().wipeAssets(["a"]);
      await materialize("r", "a", null, { dataVersion: "d2", codeVersion: "v1", inputDataVersions: {} });
      expect((await s().getAssetIndex(["a"]))[0]?.dataVersion).toBe("d2");
    });
  });
}
