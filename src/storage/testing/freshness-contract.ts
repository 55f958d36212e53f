import { describe, expect, it } from "vitest";
import { FreshnessStatus } from "../../definitions/freshness-policy.js";
import type { FreshnessUpdate } from "../freshness-records.js";
import type { StorageFixture } from "./contract-helpers.js";

function update(assetKey: string, status: FreshnessUpdate["status"], evaluatedAt: number, extra: Partial<FreshnessUpdate> = {}): FreshnessUpdate {
  return { assetKey, status, lastMaterializationAt: null, nextDeadline: evaluatedAt + 60_000, evaluatedAt, trackedSince: evaluatedAt, ...extra };
}

/**
 * Contract of asset freshness: one state per asset, a transition only when the status changes (the
 * first evaluation is one, from null), transitions tailed by id, states forgotten on request.
 */
export function describeFreshnessContract(s: StorageFixture): void {
  describe("asset freshness", () => {
    it("stores each asset's state and logs a transition only when its status changes", async () => {
      const first = await s().recordFreshness([
        update("orders", FreshnessStatus.Fresh, 1000, { lastMaterializationAt: 900, nextDeadline: 4600 }),
        update("customers", FreshnessStatus.Unknown, 1000),
      ]);
      expect(first.map((t) => [t.assetKey, t.previousStatus, t.status])).toEqual([
        ["orders", null, "FRESH"],
        ["customers", null, "UNKNOWN"],
      ]);
      expect(first[1]!.id).toBeGreaterThan(first[0]!.id);

      // Same statuses: states move on, no transition.
      expect(await s().recordFreshness([update("orders", FreshnessStatus.Fresh, 2000, { lastMaterializationAt: 1900, nextDeadline: 5600, trackedSince: 2000 })])).toEqual([]);
      const changed = await s().recordFreshness([
        update("orders", FreshnessStatus.Overdue, 7000, { lastMaterializationAt: 1900, nextDeadline: 5600, trackedSince: 7000 }),
        update("customers", FreshnessStatus.Unknown, 7000),
      ]);
      expect(changed).toEqual([
        { id: expect.any(Number), assetKey: "orders", previousStatus: "FRESH", status: "OVERDUE", timestamp: 7000, lastMaterializationAt: 1900, nextDeadline: 5600 },
      ]);

      const states = await s().getFreshness();
      expect(states).toEqual([
        // trackedSince is the first evaluation's, kept by later ones.
        { assetKey: "customers", status: "UNKNOWN", lastMaterializationAt: null, nextDeadline: 67_000, trackedSince: 1000, updatedAt: 7000 },
        { assetKey: "orders", status: "OVERDUE", lastMaterializationAt: 1900, nextDeadline: 5600, trackedSince: 1000, updatedAt: 7000 },
      ]);
      expect((await s().getFreshness(["orders", "nobody"])).map((r) => r.assetKey)).toEqual(["orders"]);
      expect(await s().getFreshness([])).toEqual([]);
    });

    it("tails transitions by id, in order, paged by limit", async () => {
      await s().recordFreshness([update("a", FreshnessStatus.Fresh, 1), update("b", FreshnessStatus.Overdue, 1)]);
      await s().recordFreshness([update("a", FreshnessStatus.Overdue, 2)]);
      const all = await s().getFreshnessTransitions();
      expect(all.map((t) => `${t.assetKey}:${t.previousStatus}->${t.status}`)).toEqual(["a:null->FRESH", "b:null->OVERDUE", "a:FRESH->OVERDUE"]);
      expect((await s().getFreshnessTransitions({ afterId: all[0]!.id })).map((t) => t.id)).toEqual([all[1]!.id, all[2]!.id]);
      expect((await s().getFreshnessTransitions({ afterId: all[0]!.id, limit: 1 })).map((t) => t.id)).toEqual([all[1]!.id]);
      expect(await s().getFreshnessTransitions({ afterId: all[2]!.id })).toEqual([]);
    });

    it("is seen by another connection, and forgets states (not transitions) on request", async () => {
      await s().recordFreshness([update("a", FreshnessStatus.Fresh, 1), update("b", FreshnessStatus.Fresh, 1)]);
      const other = await s.openAnother();
      expect((await other.getFreshness()).map((r) => r.assetKey)).toEqual(["a", "b"]);
      await other.deleteFreshness(["a"]);
      expect((await s().getFreshness()).map((r) => r.assetKey)).toEqual(["b"]);
      // A policy put back starts again: its first evaluation is a transition from null.
      expect((await s().recordFreshness([update("a", FreshnessStatus.Overdue, 5)])).map((t) => t.previousStatus)).toEqual([null]);
      expect(await s().getFreshnessTransitions()).toHaveLength(3);
    });

    it("records many assets in one call", async () => {
      const keys = Array.from({ length: 1200 }, (_, i) => `asset_${i}`);
      const transitions = await s().recordFreshness(keys.map((k) => update(k, FreshnessStatus.Fresh, 1)));
      expect(transitions).toHaveLength(1200);
      expect(await s().recordFreshness(keys.map((k) => update(k, FreshnessStatus.Fresh, 2)))).toEqual([]);
      expect(await s().getFreshness(keys)).toHaveLength(1200);
    });
  });
}
