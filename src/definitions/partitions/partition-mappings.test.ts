import { describe, expect, it } from "vitest";
import { defaultMapping, readsOneKey } from "./default-mapping.js";
import { dimensionMapping } from "./dimension-mapping.js";
import { multiPartitions } from "./multi-partitions.js";
import type { PartitionPair } from "./partition-mapping.js";
import type { PartitionsDefinition } from "./partitions-definition.js";
import { allPartitions, identityMapping, lastPartition } from "./simple-mappings.js";
import { staticMapping } from "./static-mapping.js";
import { staticPartitions } from "./static-partitions.js";
import { dailyPartitions, hourlyPartitions } from "./time-partition-factories.js";

const NOW = new Date("2025-01-04T12:00:00Z");
const days = dailyPartitions({ start: "2025-01-01" });
const devices = staticPartitions(["d1", "d2"]);
const byDayAndDevice = multiPartitions({ device: devices, date: days });

function pair(upstream: PartitionsDefinition, downstream: PartitionsDefinition | undefined): PartitionPair {
  return { upstreamAsset: "up", upstream, downstreamAsset: "down", downstream };
}

describe("identityMapping, allPartitions and lastPartition", () => {
  it("identity maps a key to the same key when the other side has it", () => {
    const m = identityMapping();
    expect(m.upstreamKeys(pair(days, days), "2025-01-02", NOW)).toEqual(["2025-01-02"]);
    expect(m.downstreamKeys(pair(days, days), "2025-01-02", NOW)).toEqual(["2025-01-02"]);
    const some = staticPartitions(["d2", "d3"]);
    expect(m.upstreamKeys(pair(devices, some), "d3", NOW)).toEqual([]);
    expect(m.downstreamKeys(pair(devices, some), "d2", NOW)).toEqual(["d2"]);
    expect(() => m.validate(pair(hourlyPartitions({ start: "2025-01-01-00:00" }), days))).toThrow("use timeWindowMapping()");
  });

  it("all partitions: every upstream key, for partitioned and unpartitioned downstream assets", () => {
    const m = allPartitions();
    expect(m.upstreamKeys(pair(days, devices), "d1", NOW)).toEqual(["2025-01-01", "2025-01-02", "2025-01-03"]);
    expect(m.upstreamKeys(pair(days, undefined), null, NOW)).toEqual(["2025-01-01", "2025-01-02", "2025-01-03"]);
    expect(m.downstreamKeys(pair(days, devices), "2025-01-02", NOW)).toEqual(["d1", "d2"]);
    expect(m.downstreamKeys(pair(days, undefined), "2025-01-02", NOW)).toEqual([]);
  });

  it("last partition: the upstream's last key as of now, read by every downstream key", () => {
    const m = lastPartition();
    expect(m.upstreamKeys(pair(days, devices), "d2", NOW)).toEqual(["2025-01-03"]);
    expect(m.upstreamKeys(pair(days, undefined), null, new Date("2025-01-10T00:00:00Z"))).toEqual(["2025-01-09"]);
    expect(m.downstreamKeys(pair(days, devices), "2025-01-03", NOW)).toEqual(["d1", "d2"]);
    expect(m.downstreamKeys(pair(days, devices), "2025-01-02", NOW)).toEqual([]);
    expect(m.upstreamKeys(pair(dailyPartitions({ start: "2026-01-01" }), devices), "d1", NOW)).toEqual([]);
  });
});

describe("staticMapping", () => {
  const countries = staticPartitions(["fr", "de", "us", "ca"]);
  const regions = staticPartitions(["na", "eu", "world"]);
  const m = staticMapping({ de: "eu", fr: ["eu", "world"], us: ["world", "na"], ca: "na" });

  it("reads every upstream key mapped to a downstream key, in the upstream's order, and back in the downstream's", () => {
    m.validate(pair(countries, regions));
    expect(m.upstreamKeys(pair(countries, regions), "eu", NOW)).toEqual(["fr", "de"]);
    expect(m.upstreamKeys(pair(countries, regions), "world", NOW)).toEqual(["fr", "us"]);
    expect(m.upstreamKeys(pair(countries, regions), "na", NOW)).toEqual(["us", "ca"]);
    expect(m.downstreamKeys(pair(countries, regions), "us", NOW)).toEqual(["na", "world"]);
    expect(m.downstreamKeys(pair(countries, regions), "de", NOW)).toEqual(["eu"]);
  });

  it("refuses tables that are empty or malformed, and pairs that are not static", () => {
    expect(() => staticMapping({})).toThrow("staticMapping needs at least one entry");
    expect(() => staticMapping({ fr: [] })).toThrow('the entry for "fr" must be a downstream key or a non-empty array');
    expect(() => m.validate(pair(days, regions))).toThrow("a static table relates static partitions on both sides");
    expect(() => m.validate(pair(countries, undefined))).toThrow('"down" is not partitioned. Use allPartitions() or lastPartition()');
  });
});

describe("dimensionMapping", () => {
  const m = dimensionMapping("date");

  it("multi upstream → its dimension: a day reads each device of the day; a multi key is read by its day", () => {
    const p = pair(byDayAndDevice, days);
    expect(m.upstreamKeys(p, "2025-01-02", NOW)).toEqual(["2025-01-02|d1", "2025-01-02|d2"]);
    expect(m.downstreamKeys(p, "2025-01-02|d2", NOW)).toEqual(["2025-01-02"]);
    expect(readsOneKey(m, p)).toBe(false);
  });

  it("a dimension → multi downstream: a multi key reads its day; a day is read by each device of the day", () => {
    const p = pair(days, byDayAndDevice);
    expect(m.upstreamKeys(p, "2025-01-02|d1", NOW)).toEqual(["2025-01-02"]);
    expect(m.downstreamKeys(p, "2025-01-02", NOW)).toEqual(["2025-01-02|d1", "2025-01-02|d2"]);
    expect(readsOneKey(m, p)).toBe(true);
    expect(dimensionMapping("device").upstreamKeys(pair(devices, byDayAndDevice), "2025-01-03|d2", NOW)).toEqual(["d2"]);
  });

  it("refuses a dimension the multi partitions lack, a dimension of other partitions, and two single sides", () => {
    expect(() => dimensionMapping("region").validate(pair(byDayAndDevice, days))).toThrow('"up" has no dimension "region"; its dimensions are "date" and "device".');
    expect(() => m.validate(pair(byDayAndDevice, dailyPartitions({ start: "2024-01-01" })))).toThrow('dimension "date" of "up" (daily partitions from "2025-01-01" (UTC)) differs from the partitions of "down"');
    expect(() => m.validate(pair(days, days))).toThrow("exactly one of the two assets needs multiPartitions");
  });
});

describe("the default mapping", () => {
  it("is identity between equal partitions, time windows between cadences, a dimension where one matches, all for an unpartitioned asset", () => {
    expect(defaultMapping(pair(days, dailyPartitions({ start: "2025-01-01" }))).type).toBe("identity");
    expect(defaultMapping(pair(hourlyPartitions({ start: "2025-01-01-00:00" }), days)).type).toBe("time_window");
    expect(defaultMapping(pair(byDayAndDevice, days)).describe()).toContain('dimensionMapping("date")');
    expect(defaultMapping(pair(devices, byDayAndDevice)).describe()).toContain('dimensionMapping("device")');
    expect(defaultMapping(pair(days, undefined)).type).toBe("all");
  });

  it("is none between unrelated partitions: the error lists the mappings that could be declared", () => {
    expect(() => defaultMapping(pair(byDayAndDevice, staticPartitions(["x"])))).toThrow(
      'with mapping one of: dimensionMapping("device") once dimension "device" uses the same definition, allPartitions(), lastPartition().',
    );
  });
});
