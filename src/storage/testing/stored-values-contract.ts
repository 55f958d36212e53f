import { describe, expect, it } from "vitest";
import { RunNotFoundError } from "../../definitions/errors.js";
import { processSecrets } from "../../definitions/secret-mask.js";
import type { StoredValue } from "../records.js";
import { newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

const bytes = (text: string) => Buffer.from(text, "utf8");
const text = (value: StoredValue | undefined) => (value?.json == null ? value?.json : Buffer.from(value.json).toString("utf8"));

/** Contract of the default IO manager's values, stored with the event that records them. */
export function describeStoredValuesContract(s: StorageFixture): void {
  describe("stored values", () => {
    const materialize = (runId: string, assetKey: string, partition: string | null, json: string | null) =>
      s().storeEvent(newEvent(runId, "ASSET_MATERIALIZATION", { assetKey, partition, value: { owner: "asset", name: assetKey, partition, json: json === null ? null : bytes(json) } }));

    it("keeps the latest value per asset and partition, and per run and op, each apart", async () => {
      await s().createRun(queuedRecord("r1"));
      await s().createRun(queuedRecord("r2"));
      await materialize("r1", "raw/orders", null, "[1]");
      await materialize("r1", "daily", "2025-01-01", '{"day":1}');
      await materialize("r1", "daily", "2025-01-02", '{"day":2}');
      await materialize("r2", "raw/orders", null, "[1,2]");
      await s().storeEvent(newEvent("r2", "STEP_OUTPUT", { stepKey: "bill", value: { owner: "op", name: "r2/bill", partition: null, json: bytes('"op"') } }));

      expect(text(await s().getStoredValue("asset", "raw/orders", null))).toBe("[1,2]");
      expect(text(await s().getStoredValue("asset", "daily", "2025-01-01"))).toBe('{"day":1}');
      expect(text(await s().getStoredValue("asset", "daily", "2025-01-02"))).toBe('{"day":2}');
      expect(await s().getStoredValue("asset", "daily", null)).toBeUndefined();
      expect(await s().getStoredValue("asset", "daily", "2025-01-03")).toBeUndefined();
      expect(text(await s().getStoredValue("op", "r2/bill", null))).toBe('"op"');
      expect(await s().getStoredValue("asset", "r2/bill", null)).toBeUndefined();
      expect(await s().getStoredValue("op", "r1/bill", null)).toEqual(undefined);
      const read = await s().getStoredValue("asset", "raw/orders", null);
      expect({ ...read, json: undefined }).toEqual({ owner: "asset", name: "raw/orders", partition: null, json: undefined });
      expect(read!.json).toBeInstanceOf(Uint8Array);
    });

    it("records a value in a file as null, which hides the older JSON of the same key", async () => {
      await s().createRun(queuedRecord("r"));
      await materialize("r", "big", null, "[0]");
      await materialize("r", "big", null, null);
      expect(await s().getStoredValue("asset", "big", null)).toEqual({ owner: "asset", name: "big", partition: null, json: null });
      await materialize("r", "big", null, "[2]");
      expect(text(await s().getStoredValue("asset", "big", null))).toBe("[2]");
    });

    it("stores the value only with its event: an event refused stores no value, in one batch neither", async () => {
      const err = await materialize("missing-run", "lost", null, "[1]").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunNotFoundError);
      expect(await s().getStoredValue("asset", "lost", null)).toBeUndefined();

      await s().createRun(queuedRecord("r"));
      const batch = s().storeEvents([
        newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "a", value: { owner: "asset", name: "a", partition: null, json: bytes("1") } }),
        newEvent("nope", "LOG"),
      ]);
      await expect(batch).rejects.toBeInstanceOf(RunNotFoundError);
      expect(await s().getStoredValue("asset", "a", null)).toBeUndefined();
      expect(await s().getAssetIndex(["a"])).toEqual([]);
    });

    it("keeps the value's bytes as given: any UTF-8, and no secret masking (a value is data, not a log line)", async () => {
      await s().createRun(queuedRecord("r"));
      const json = JSON.stringify({ text: "naïve ☃ 𝄞 \u0000 end", quote: '"', token: "sk-live-value-1234" });
      // A secret of this process (registered once; unique to this test).
      processSecrets.add("sk-live-value-1234");
      const stored = await s().storeEvent(
        newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "unicode", message: "token sk-live-value-1234", value: { owner: "asset", name: "unicode", partition: null, json: bytes(json) } }),
      );
      expect(text(await s().getStoredValue("asset", "unicode", null))).toBe(json);
      // The event itself is masked as ever; only the value is kept as the asset returned it.
      expect(stored.message).not.toContain("sk-live-value-1234");
      expect((await s().getEvents("r"))[0]!.message).not.toContain("sk-live-value-1234");
    });

    it("does not put the value in the event: neither the record returned nor the one read back", async () => {
      await s().createRun(queuedRecord("r"));
      const stored = await materialize("r", "a", null, "[1]");
      expect(stored).not.toHaveProperty("value");
      const [read] = await s().getEvents("r");
      expect(read).not.toHaveProperty("value");
      expect(read!.data).toEqual({});
    });
  });
}
