/** Assets whose partitions differ, read through partition mappings, materialized by the real executor. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import {
  dailyPartitions,
  dimensionMapping,
  hourlyPartitions,
  lastPartition,
  multiPartitions,
  staticMapping,
  staticPartitions,
  timeWindowMapping,
} from "../definitions/partitions.js";
import { RunStatus } from "../storage/records.js";
import { materializeAssets } from "./materialize-assets.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const hours = hourlyPartitions({ start: "2025-01-01-00:00" });
const days = dailyPartitions({ start: "2025-01-01" });

function hoursOf(day: string): string[] {
  return Array.from({ length: 24 }, (_, h) => `${day}-${String(h).padStart(2, "0")}:00`);
}

function timeChain() {
  const hourly = asset({ key: "hourly", partitions: hours, run: (_in, { partitionKey }) => ({ hour: partitionKey, n: Number(partitionKey.slice(11, 13)) }) });
  const daily = asset({
    key: "daily",
    partitions: days,
    ins: { hours: { asset: hourly, mapping: timeWindowMapping() } },
    run: ({ hours: byHour }, { partitionKey }) => ({ day: partitionKey, hours: Object.keys(byHour), total: Object.values(byHour).reduce((s, h) => s + h.n, 0) }),
  });
  const change = asset({
    key: "change",
    partitions: days,
    ins: { yesterday: { asset: "daily_copy", mapping: timeWindowMapping({ startOffset: -1, endOffset: -1 }) }, today: daily },
    run: ({ today, yesterday }) => ({ today: today.day, yesterday: Object.keys(yesterday) }),
  });
  const dailyCopy = asset({ key: "daily_copy", partitions: days, ins: { daily }, run: ({ daily: d }) => d.total });
  return defineDefinitions({ assets: [hourly, daily, dailyCopy, change] });
}

describe("inputs through partition mappings", () => {
  it("a daily asset reads the day's 24 hourly partitions as { hour: value }, in time order", async () => {
    const defs = timeChain();
    for (const hour of [...hoursOf("2025-01-02")].reverse()) {
      expect((await materializeAssets(target, defs, { selection: ["hourly"], partitionKey: hour })).status).toBe(RunStatus.Success);
    }
    const result = await materializeAssets(target, defs, { selection: ["daily"], partitionKey: "2025-01-02" });
    expect(result.status).toBe(RunStatus.Success);
    expect(result.outputOf("daily")).toEqual({ day: "2025-01-02", hours: hoursOf("2025-01-02"), total: 276 });
  });

  it("names the asset, the input and the missing upstream keys (the first few and how many)", async () => {
    const defs = timeChain();
    for (const hour of hoursOf("2025-01-03").slice(0, 20)) await materializeAssets(target, defs, { selection: ["hourly"], partitionKey: hour });
    const result = await materializeAssets(target, defs, { selection: ["daily"], partitionKey: "2025-01-03" });
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.failures[0]!.error.message).toBe(
      'Asset "daily" needs input "hours" from 24 partitions of asset "hourly", and 4 of them have never been materialized: ' +
        '"2025-01-03-20:00", "2025-01-03-21:00", "2025-01-03-22:00", "2025-01-03-23:00". Materialize them first, or include them in the selection.',
    );
    const none = await materializeAssets(target, defs, { selection: ["daily"], partitionKey: "2025-01-05" });
    expect(none.failures[0]!.error.message).toContain('and 24 of them have never been materialized: "2025-01-05-00:00", "2025-01-05-01:00", "2025-01-05-02:00", "2025-01-05-03:00", "2025-01-05-04:00", … (19 more)');
  });

  it("an offset mapping reads another partition than the run's, even from a step of the same run", async () => {
    const defs = timeChain();
    for (const day of ["2025-01-02", "2025-01-03"]) {
      for (const hour of hoursOf(day)) await materializeAssets(target, defs, { selection: ["hourly"], partitionKey: hour });
    }
    await materializeAssets(target, defs, { selection: ["daily", "daily_copy"], partitionKey: "2025-01-02" });
    const result = await materializeAssets(target, defs, { selection: ["daily", "daily_copy", "change"], partitionKey: "2025-01-03" });
    expect(result.status).toBe(RunStatus.Success);
    expect(result.outputOf("change")).toEqual({ today: "2025-01-03", yesterday: ["2025-01-02"] });
    // The first day has no yesterday: the input has no partition to read.
    const first = await materializeAssets(target, defs, { selection: ["change"], partitionKey: "2025-01-01" });
    expect(first.failures[0]!.error.message).toContain('but no partition of "daily_copy" that exists yet maps to the partition(s) this run materializes');
  });

  it("static tables, multi-partitions ↔ a dimension, and the last partition", async () => {
    const countries = staticPartitions(["fr", "de", "us"]);
    const regions = staticPartitions(["eu", "na"]);
    const byRegionAndDay = multiPartitions({ region: regions, date: days });
    const sales = asset({ key: "sales", partitions: countries, run: (_in, { partitionKey }) => partitionKey.length });
    const regional = asset({
      key: "regional",
      partitions: regions,
      ins: { sales: { asset: sales, mapping: staticMapping({ fr: "eu", de: "eu", us: "na" }) } },
      run: ({ sales: s }) => s,
    });
    const perRegionDay = asset({
      key: "per_region_day",
      partitions: byRegionAndDay,
      ins: { region: { asset: regional, mapping: dimensionMapping("region") } },
      run: ({ region }, { partitionKey }) => ({ key: partitionKey, region }),
    });
    const perRegion = asset({
      key: "per_region",
      partitions: regions,
      ins: { days: { asset: perRegionDay, mapping: dimensionMapping("region") } },
      run: ({ days: byDay }) => Object.keys(byDay),
    });
    const latest = asset({ key: "latest", ins: { sales: { asset: sales, mapping: lastPartition() } }, run: ({ sales: s }) => s });
    const defs = defineDefinitions({ assets: [sales, regional, perRegionDay, perRegion, latest] });
    for (const c of ["fr", "de", "us"]) await materializeAssets(target, defs, { selection: ["sales"], partitionKey: c });
    expect((await materializeAssets(target, defs, { selection: ["regional"], partitionKey: "eu" })).outputOf("regional")).toEqual({ fr: 2, de: 2 });
    expect((await materializeAssets(target, defs, { selection: ["latest"] })).outputOf("latest")).toBe(2);
    for (const key of ["2025-01-01|eu", "2025-01-02|eu"]) {
      const r = await materializeAssets(target, defs, { selection: ["per_region_day"], partitionKey: key });
      expect(r.outputOf("per_region_day")).toEqual({ key, region: { fr: 2, de: 2 } });
    }
    // Every day of the region that exists must be there: the others are named as missing.
    const partial = await materializeAssets(target, defs, { selection: ["per_region"], partitionKey: "eu" });
    expect(partial.failures[0]!.error.message).toMatch(/needs input "days" from \d+ partitions of asset "per_region_day", and \d+ of them have never been materialized: "2025-01-03\|eu"/);
  });
});
