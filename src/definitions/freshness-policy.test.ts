import { describe, expect, it } from "vitest";
import { asset } from "./asset.js";
import { describeFreshnessPolicy, evaluateFreshness, formatDuration, freshnessPolicy, parseDuration } from "./freshness-policy.js";

const H = 3_600_000;
const at = (iso: string): number => Date.parse(iso);

describe("durations", () => {
  it("reads milliseconds and unit strings, and refuses the rest", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("15m")).toBe(15 * 60_000);
    expect(parseDuration("1h30m")).toBe(1.5 * H);
    expect(parseDuration("2d")).toBe(48 * H);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration(2500)).toBe(2500);
    for (const bad of ["", "1 hour", "1.5h", "h", "-1h", "0s", 0, -5, Infinity, null, "1h " + "x".repeat(100)]) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(1.5 * H)).toBe("1h30m");
    expect(formatDuration(500)).toBe("500ms");
  });
});

describe("freshness policies", () => {
  it("are validated when the asset is declared, naming the asset and the bad value", () => {
    expect(() => asset({ key: "orders", freshness: { maximumLag: "1 hour" }, run: () => 1 })).toThrow(/Asset "orders": freshness.maximumLag is "1 hour"; give a positive duration such as "90s"/);
    expect(() => asset({ key: "orders", freshness: { maximumLag: "1h", cron: "0 25 * * *" }, run: () => 1 })).toThrow(/Asset "orders": freshness: Invalid cron string "0 25 \* \* \*"/);
    expect(() => asset({ key: "orders", freshness: { maximumLag: "1h", cron: "0 9 * * *", cronTimezone: "Mars/Base" }, run: () => 1 })).toThrow(/Asset "orders": freshness: Unknown time zone "Mars\/Base"/);
    expect(() => asset({ key: "orders", freshness: { maximumLag: "1h", cronTimezone: "UTC" }, run: () => 1 })).toThrow(/cronTimezone is set without a cron/);
    expect(() => freshnessPolicy({ maximumLag: "1h", lag: 3 }, "orders")).toThrow(/unknown option\(s\) "lag"/);
    expect(() => freshnessPolicy({ maximumLag: "400d" }, "orders")).toThrow(/longer than a year/);
    const a = asset({ key: "orders", freshness: { cron: "0 9 * * *", cronTimezone: "Europe/Paris", maximumLag: "2h" }, run: () => 1 });
    expect(a.freshness).toEqual({ maximumLagMs: 2 * H, cron: "0 9 * * *", cronTimezone: "Europe/Paris" });
    expect(describeFreshnessPolicy(a.freshness!)).toBe("by 09:00 Europe/Paris, at most 2h old");
    expect(describeFreshnessPolicy(freshnessPolicy({ cron: "30 6 * * 1-5", maximumLag: "90m" }, "x"))).toBe('by each "30 6 * * 1-5" (UTC), at most 1h30m old');
    expect(describeFreshnessPolicy(freshnessPolicy({ maximumLag: 3_600_000 }, "x"))).toBe("at most 1h old");
    expect(asset({ key: "plain", run: () => 1 }).freshness).toBeUndefined();
  });
});

describe("evaluateFreshness with a maximum lag", () => {
  const policy = freshnessPolicy({ maximumLag: "1h" }, "orders");
  it("is FRESH within the lag, OVERDUE past it, with the lag and the deadline", () => {
    const last = at("2025-01-01T10:00:00Z");
    expect(evaluateFreshness(policy, { lastMaterializationAt: last, now: last + 30 * 60_000, since: 0 })).toEqual({
      status: "FRESH",
      lastMaterializationAt: last,
      lagMs: 30 * 60_000,
      nextDeadline: last + H,
      evaluatedAt: last + 30 * 60_000,
    });
    expect(evaluateFreshness(policy, { lastMaterializationAt: last, now: last + H, since: 0 }).status).toBe("FRESH");
    const late = evaluateFreshness(policy, { lastMaterializationAt: last, now: last + H + 1, since: 0 });
    expect([late.status, late.lagMs, late.nextDeadline]).toEqual(["OVERDUE", H + 1, last + H]);
  });
  it("is UNKNOWN without data until the lag has passed since it was first watched, then OVERDUE", () => {
    const since = at("2025-01-01T10:00:00Z");
    const early = evaluateFreshness(policy, { lastMaterializationAt: null, now: since + 59 * 60_000, since });
    expect([early.status, early.lagMs, early.nextDeadline]).toEqual(["UNKNOWN", null, since + H]);
    expect(evaluateFreshness(policy, { lastMaterializationAt: null, now: since + H, since }).status).toBe("OVERDUE");
  });
});

describe("evaluateFreshness with a cron deadline", () => {
  const policy = freshnessPolicy({ cron: "0 9 * * *", cronTimezone: "Europe/Paris", maximumLag: "2h" }, "report");
  // 09:00 in Paris in January is 08:00 UTC.
  const tick = at("2025-01-15T08:00:00Z");
  it("is FRESH while data is at most maximumLag old, STALE when it met the last tick but is older now, else OVERDUE until fresh data arrives", () => {
    const now = tick + 3 * H;
    // 10:00 UTC: made at 06:00 (met the 08:00 tick's 06:00 bound) but 5h old now, past the 2h lag.
    const stale = evaluateFreshness(policy, { lastMaterializationAt: tick - 2 * H, now, since: 0 });
    expect(stale.status).toBe("STALE");
    expect(new Date(stale.nextDeadline).toISOString()).toBe("2025-01-16T08:00:00.000Z");
    expect(evaluateFreshness(policy, { lastMaterializationAt: tick + H, now, since: 0 }).status).toBe("FRESH");
    const overdue = evaluateFreshness(policy, { lastMaterializationAt: tick - 2 * H - 1, now, since: 0 });
    expect(overdue.status).toBe("OVERDUE");
    // "must be materialized by": the next 09:00 Paris.
    expect(new Date(overdue.nextDeadline).toISOString()).toBe("2025-01-16T08:00:00.000Z");
  });
  it("judges at the tick itself: data that was fine before 09:00 may be overdue at 09:00", () => {
    const last = tick - 3 * H; // 05:00 UTC: fresh for the previous day's tick, too old for this one
    expect(evaluateFreshness(policy, { lastMaterializationAt: last, now: tick - 2 * H, since: 0 }).status).toBe("FRESH");
    // Older than the lag before 09:00: stale (it will miss the tick), then overdue at the tick.
    expect(evaluateFreshness(policy, { lastMaterializationAt: last, now: tick - 1, since: 0 }).status).toBe("STALE");
    expect(evaluateFreshness(policy, { lastMaterializationAt: last, now: tick, since: 0 }).status).toBe("OVERDUE");
  });
  it("without data, is UNKNOWN until a tick after it was first watched, then OVERDUE", () => {
    const since = tick + H;
    expect(evaluateFreshness(policy, { lastMaterializationAt: null, now: tick + 20 * H, since }).status).toBe("UNKNOWN");
    expect(evaluateFreshness(policy, { lastMaterializationAt: null, now: tick + 24 * H, since }).status).toBe("OVERDUE");
  });
  it("follows the time zone across a daylight-saving change", () => {
    // 09:00 in Paris in July is 07:00 UTC.
    const summer = freshnessPolicy({ cron: "0 9 * * *", cronTimezone: "Europe/Paris", maximumLag: "1h" }, "report");
    const state = evaluateFreshness(summer, { lastMaterializationAt: at("2025-07-01T06:30:00Z"), now: at("2025-07-01T07:10:00Z"), since: 0 });
    expect(state.status).toBe("FRESH");
    expect(new Date(state.nextDeadline).toISOString()).toBe("2025-07-02T07:00:00.000Z");
  });
});
