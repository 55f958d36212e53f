import { describe, expect, it } from "vitest";
import { freezeTime, type StorageFixture } from "./contract-helpers.js";

/** Contract of leases (the daemon's leadership): one holder at a time, until expiry or release. */
export function describeLeaseContract(s: StorageFixture): void {
  describe("leases", () => {
    it("gives a free lease to the first holder, renews it for that holder, refuses it to others until it expires", async () => {
      freezeTime(10_000);
      expect(await s().getLease("daemon")).toBeUndefined();
      expect(await s().acquireLease("daemon", "a", 20_000)).toEqual({
        acquired: true,
        lease: { name: "daemon", holder: "a", acquiredAt: 10_000, expiresAt: 30_000 },
      });
      freezeTime(15_000);
      expect(await s().acquireLease("daemon", "b", 20_000)).toEqual({
        acquired: false,
        lease: { name: "daemon", holder: "a", acquiredAt: 10_000, expiresAt: 30_000 },
      });
      // A renewal moves the expiry and keeps when it was first taken.
      expect((await s().acquireLease("daemon", "a", 20_000)).lease).toEqual({ name: "daemon", holder: "a", acquiredAt: 10_000, expiresAt: 35_000 });
      freezeTime(34_999);
      expect((await s().acquireLease("daemon", "b", 20_000)).acquired).toBe(false);
      freezeTime(35_000);
      expect(await s().acquireLease("daemon", "b", 20_000)).toEqual({
        acquired: true,
        lease: { name: "daemon", holder: "b", acquiredAt: 35_000, expiresAt: 55_000 },
      });
      expect((await s().acquireLease("daemon", "a", 20_000)).acquired, "the old holder lost it").toBe(false);
      expect(await s().getLease("daemon")).toMatchObject({ holder: "b" });
    });

    it("lets a holder take over a lease from a holder named as dead, and no other", async () => {
      await s().acquireLease("daemon", "dead", 60_000);
      expect((await s().acquireLease("daemon", "c", 60_000, { takeOverFrom: "someone-else" })).acquired).toBe(false);
      expect(await s().acquireLease("daemon", "c", 60_000, { takeOverFrom: "dead" })).toMatchObject({ acquired: true, lease: { holder: "c" } });
      // Named again after the takeover, the dead holder does not reach the new one.
      expect((await s().acquireLease("daemon", "d", 60_000, { takeOverFrom: "dead" })).acquired).toBe(false);
    });

    it("releases a lease only for its holder; a released lease is free at once", async () => {
      await s().acquireLease("daemon", "a", 60_000);
      expect(await s().releaseLease("daemon", "b")).toBe(false);
      expect((await s().getLease("daemon"))?.holder).toBe("a");
      expect(await s().releaseLease("daemon", "a")).toBe(true);
      expect(await s().getLease("daemon")).toBeUndefined();
      expect((await s().acquireLease("daemon", "b", 60_000)).acquired).toBe(true);
      expect((await s().acquireLease("other", "a", 60_000)).acquired, "leases are independent by name").toBe(true);
    });

    it("gives a contested lease to exactly one of many holders racing from two storages", async () => {
      const other = await s.openAnother();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? s() : other).acquireLease("daemon", `h${i}`, 60_000)),
      );
      const winners = results.filter((r) => r.acquired).map((r) => r.lease.holder);
      expect(winners.length).toBe(1);
      for (const r of results) expect(r.lease.holder).toBe(winners[0]);
    });
  });
}
