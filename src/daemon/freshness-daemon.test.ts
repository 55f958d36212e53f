import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { dailyPartitions } from "../definitions/partitions/time-partition-factories.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { freshnessSensor, type FreshnessChange, type SensorDefinition } from "../definitions/sensor.js";
import { assetFreshness, freshnessStatuses } from "../runs/asset-freshness.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { FreshnessDaemon } from "./freshness-daemon.js";
import { SENSOR_NAME_TAG } from "./run-requests.js";
import { SensorDaemon } from "./sensor-daemon.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const MIN = 60_000;
const orders = asset({ key: "orders", freshness: { maximumLag: "1h" }, run: () => 1 });
const customers = asset({ key: "customers", group: "crm", freshness: { maximumLag: "30m" }, run: () => 2 });
const plain = asset({ key: "plain", run: () => 3 });
const report = asset({ key: "report", ins: { orders }, run: () => 4 });

/** A clock the test moves by hand, starting now. */
function clock(): { now: () => number; set: (t: number) => void } {
  let t = Date.now();
  return { now: () => t, set: (to) => void (t = to) };
}

describe("FreshnessDaemon", () => {
  it("records each asset's status and a transition only when it changes, and forgets dropped policies", async () => {
    const defs = defineDefinitions({ assets: [orders, customers, plain, report] });
    const c = clock();
    const start = c.now();
    const lines: string[] = [];
    const daemon = new FreshnessDaemon({ storage: target.storage, defs, now: c.now, startedAt: start, log: (l) => lines.push(l) });
    await materializeAssets(target, defs, { selection: "orders" });
    const materializedAt = (await target.storage.getAssetIndex(["orders"]))[0]!.timestamp;

    c.set(materializedAt + 10 * MIN);
    const first = await daemon.tick();
    expect(first.map((t) => [t.assetKey, t.previousStatus, t.status])).toEqual([
      ["orders", null, "FRESH"],
      ["customers", null, "UNKNOWN"],
    ]);
    expect(await daemon.tick()).toEqual([]);

    // An hour and a bit later: orders is too old, customers never came within its 30 minutes.
    c.set(materializedAt + 61 * MIN);
    const later = await daemon.tick();
    expect(later.map((t) => [t.assetKey, t.previousStatus, t.status])).toEqual([
      ["orders", "FRESH", "OVERDUE"],
      ["customers", "UNKNOWN", "OVERDUE"],
    ]);
    expect(lines).toContain('Asset "orders" is OVERDUE (was FRESH): last materialized 1h1m ago');
    expect(await daemon.tick()).toEqual([]);
    const byStatus = await freshnessStatuses(defs, target.storage, c.now());
    expect([...byStatus.get("overdue")!]).toEqual(["orders", "customers"]);
    expect(byStatus.get("fresh")!.size).toBe(0);

    // Fresh data brings it back.
    await materializeAssets(target, defs, { selection: "orders" });
    const again = (await target.storage.getAssetIndex(["orders"]))[0]!.timestamp;
    c.set(again + MIN);
    // (customers is left out: this clock went back before its first deadline.)
    expect((await daemon.tick()).filter((t) => t.assetKey === "orders").map((t) => [t.previousStatus, t.status])).toEqual([["OVERDUE", "FRESH"]]);
    const live = (await assetFreshness(defs, target.storage, { now: c.now() })).get("orders")!;
    expect(live).toMatchObject({ status: "FRESH", lastMaterializationAt: again, lagMs: MIN, nextDeadline: again + 60 * MIN, policy: { maximumLagMs: 60 * MIN } });

    // A daemon on definitions without customers' policy forgets its state.
    const without = defineDefinitions({ assets: [orders, asset({ key: "customers", run: () => 2 }), plain, report] });
    await new FreshnessDaemon({ storage: target.storage, defs: without, now: c.now }).tick();
    expect((await target.storage.getFreshness()).map((s) => s.assetKey)).toEqual(["orders"]);
  });

  it("judges a time-window partitioned asset by its last complete window", async () => {
    const daily = asset({ key: "daily", partitions: dailyPartitions({ start: "2020-01-01" }), freshness: { maximumLag: "1d" }, run: () => 1 });
    const defs = defineDefinitions({ assets: [daily] });
    const now = Date.now();
    const yesterday = new Date(now - 86_400_000).toISOString().slice(0, 10);
    const before = new Date(now - 2 * 86_400_000).toISOString().slice(0, 10);
    await materializeAssets(target, defs, { selection: "daily", partitionKey: before });
    // The older window does not count: no data for the last complete one, watched since it ended.
    const missing = (await assetFreshness(defs, target.storage, { now, since: 0 })).get("daily")!;
    expect([missing.status, missing.partition, missing.lastMaterializationAt]).toEqual(["UNKNOWN", yesterday, null]);
    await materializeAssets(target, defs, { selection: "daily", partitionKey: yesterday });
    const fresh = (await assetFreshness(defs, target.storage, { now: Date.now(), since: 0 })).get("daily")!;
    expect([fresh.status, fresh.partition]).toEqual(["FRESH", yesterday]);
  });
});

describe("freshnessSensor", () => {
  function watcher(name: string, extra: { monitoredSelection?: string; job?: boolean } = {}): { def: SensorDefinition; seen: FreshnessChange[] } {
    const seen: FreshnessChange[] = [];
    const def = freshnessSensor({
      name,
      defaultStatus: "RUNNING",
      minimumIntervalSeconds: 1,
      ...(extra.monitoredSelection ? { monitoredSelection: extra.monitoredSelection } : {}),
      ...(extra.job ? { selection: "report" } : {}),
      evaluate: (_ctx, change) => {
        seen.push(change);
        return extra.job ? { runKey: `refresh-${change.transitionId}` } : undefined;
      },
    });
    return { def, seen };
  }

  it("sees each asset going overdue exactly once, only for the assets and statuses it watches", async () => {
    const all = watcher("all_overdue");
    const crm = watcher("crm_overdue", { monitoredSelection: "group:crm" });
    const refresher = watcher("refresh_report", { job: true });
    const defs = defineDefinitions({ assets: [orders, customers, plain, report], sensors: [all.def, crm.def, refresher.def] });
    const c = clock();
    const start = c.now();
    const freshness = new FreshnessDaemon({ storage: target.storage, defs, now: c.now, startedAt: start });
    const sensors = new SensorDaemon({ storage: target.storage, defs, now: () => new Date(c.now()), startedAt: new Date(start) });
    await materializeAssets(target, defs, { selection: "orders" });
    const t0 = (await target.storage.getAssetIndex(["orders"]))[0]!.timestamp;

    c.set(t0 + MIN);
    await freshness.tick();
    await sensors.tick();
    expect(all.seen).toEqual([]); // FRESH and UNKNOWN do not fire it

    c.set(t0 + 2 * 60 * MIN);
    await freshness.tick();
    await sensors.tick();
    expect(all.seen.map((ch) => [ch.assetKey, ch.previousStatus, ch.status])).toEqual([
      ["orders", "FRESH", "OVERDUE"],
      ["customers", "UNKNOWN", "OVERDUE"],
    ]);
    expect(all.seen[0]!.lastMaterializationAt?.getTime()).toBe(t0);
    expect(all.seen[0]!.nextDeadline.getTime()).toBe(t0 + 60 * MIN);
    expect(all.seen[0]!.policy).toEqual({ maximumLagMs: 60 * MIN, cron: null, cronTimezone: "UTC" });
    expect(crm.seen.map((ch) => ch.assetKey)).toEqual(["customers"]);
    // The alerting sensor with a target launched one run per change.
    const runs = await target.storage.listRuns({ tags: { [SENSOR_NAME_TAG]: "refresh_report" } });
    expect(runs).toHaveLength(2);

    // Later evaluations see nothing new: each change fires once.
    for (let i = 0; i < 3; i++) {
      c.set(c.now() + 5 * MIN);
      await freshness.tick();
      await sensors.tick();
    }
    expect(all.seen).toHaveLength(2);
    expect(crm.seen).toHaveLength(1);
    expect(await target.storage.listRuns({ tags: { [SENSOR_NAME_TAG]: "refresh_report" } })).toHaveLength(2);
  });

  it("does not fire for changes recorded before it started, and fires for those after", async () => {
    const all = watcher("late_starter");
    const defs = defineDefinitions({ assets: [customers], sensors: [all.def] });
    const c = clock();
    // Two hours back, so that real materializations happen later on this clock.
    const start = c.now() - 120 * MIN;
    const freshness = new FreshnessDaemon({ storage: target.storage, defs, now: c.now, startedAt: start });
    c.set(start + 31 * MIN);
    expect((await freshness.tick()).map((t) => t.status)).toEqual(["OVERDUE"]); // never materialized, before the sensor started
    const sensors = new SensorDaemon({ storage: target.storage, defs, now: () => new Date(c.now()), startedAt: new Date(c.now() + 1) });
    c.set(c.now() + 1000);
    await sensors.tick();
    expect(all.seen).toEqual([]);

    await materializeAssets(target, defs, { selection: "customers" });
    const t = (await target.storage.getAssetIndex(["customers"]))[0]!.timestamp;
    c.set(t + MIN);
    expect((await freshness.tick()).map((x) => x.status)).toEqual(["FRESH"]); // does not fire: it watches OVERDUE
    await sensors.tick();
    expect(all.seen).toEqual([]);
    c.set(t + 31 * MIN);
    await freshness.tick();
    c.set(c.now() + 1000);
    await sensors.tick();
    expect(all.seen.map((ch) => [ch.assetKey, ch.previousStatus, ch.status])).toEqual([["customers", "FRESH", "OVERDUE"]]);
  });

  it("is refused at load when its selection matches no asset with a policy, or its statuses are unknown", () => {
    const bad = freshnessSensor({ name: "x", monitoredSelection: "plain", evaluate: () => undefined });
    expect(() => defineDefinitions({ assets: [orders, plain], sensors: [bad] })).toThrow(/Sensor "x": monitoredSelection "plain" matches no asset with a freshness policy/);
    const statuses = freshnessSensor({ name: "y", statuses: ["LATE" as never], evaluate: () => undefined });
    expect(() => defineDefinitions({ assets: [orders], sensors: [statuses] })).toThrow(/Sensor "y": statuses \["LATE"\] must be a non-empty list of FRESH, STALE, OVERDUE, UNKNOWN/);
  });
});
