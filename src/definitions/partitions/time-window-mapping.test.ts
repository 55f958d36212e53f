import { describe, expect, it, vi } from "vitest";
import type { PartitionPair } from "./partition-mapping.js";
import type { PartitionsDefinition } from "./partitions-definition.js";
import { dailyPartitions, hourlyPartitions, monthlyPartitions, weeklyPartitions } from "./time-partition-factories.js";
import { timeWindowMapping } from "./time-window-mapping.js";

const NOW = new Date("2025-12-01T00:00:00Z");

function pair(upstream: PartitionsDefinition, downstream: PartitionsDefinition): PartitionPair {
  return { upstreamAsset: "up", upstream, downstreamAsset: "down", downstream };
}

function hoursOf(day: string): string[] {
  return Array.from({ length: 24 }, (_, h) => `${day}-${String(h).padStart(2, "0")}:00`);
}

const hoursUtc = hourlyPartitions({ start: "2025-01-01-00:00" });
const daysUtc = dailyPartitions({ start: "2025-01-01" });

describe("timeWindowMapping between cadences (UTC)", () => {
  it("hourly upstream → daily downstream: a day reads its 24 hours, an hour is read by its day", () => {
    const m = timeWindowMapping();
    const p = pair(hoursUtc, daysUtc);
    expect(m.upstreamKeys(p, "2025-01-03", NOW)).toEqual(hoursOf("2025-01-03"));
    expect(m.downstreamKeys(p, "2025-01-03-00:00", NOW)).toEqual(["2025-01-03"]);
    expect(m.downstreamKeys(p, "2025-01-03-23:00", NOW)).toEqual(["2025-01-03"]);
  });

  it("daily upstream → hourly downstream: an hour reads the day containing it, a day is read by its 24 hours", () => {
    const m = timeWindowMapping();
    const p = pair(daysUtc, hoursUtc);
    expect(m.upstreamKeys(p, "2025-01-03-05:00", NOW)).toEqual(["2025-01-03"]);
    expect(m.downstreamKeys(p, "2025-01-03", NOW)).toEqual(hoursOf("2025-01-03"));
  });

  it("offsets shift the downstream window: yesterday, and the last 7 days with today", () => {
    const yesterday = timeWindowMapping({ startOffset: -1, endOffset: -1 });
    const p = pair(daysUtc, daysUtc);
    expect(yesterday.upstreamKeys(p, "2025-01-03", NOW)).toEqual(["2025-01-02"]);
    expect(yesterday.downstreamKeys(p, "2025-01-02", NOW)).toEqual(["2025-01-03"]);
    // The first day has no yesterday: upstream keys that do not exist are left out.
    expect(yesterday.upstreamKeys(p, "2025-01-01", NOW)).toEqual([]);

    const week = timeWindowMapping({ startOffset: -6 });
    expect(week.upstreamKeys(p, "2025-01-10", NOW)).toEqual(["2025-01-04", "2025-01-05", "2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10"]);
    expect(week.upstreamKeys(p, "2025-01-03", NOW)).toEqual(["2025-01-01", "2025-01-02", "2025-01-03"]);
    expect(week.downstreamKeys(p, "2025-01-04", NOW)).toEqual(["2025-01-04", "2025-01-05", "2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10"]);
    // Downstream keys that do not exist yet (after the last complete day) are left out.
    expect(week.downstreamKeys(p, "2025-11-29", NOW)).toEqual(["2025-11-29", "2025-11-30"]);
  });

  it("offsets count downstream windows when the cadences differ (hourly → daily, yesterday and today)", () => {
    const m = timeWindowMapping({ startOffset: -1 });
    const p = pair(hoursUtc, daysUtc);
    expect(m.upstreamKeys(p, "2025-01-03", NOW)).toEqual([...hoursOf("2025-01-02"), ...hoursOf("2025-01-03")]);
    expect(m.downstreamKeys(p, "2025-01-02-12:00", NOW)).toEqual(["2025-01-02", "2025-01-03"]);
  });

  it("follows month ends and leap years between daily and monthly partitions, and weeks", () => {
    const months = monthlyPartitions({ start: "2024-01-01" });
    const days = dailyPartitions({ start: "2024-01-01" });
    const m = timeWindowMapping();
    expect(m.upstreamKeys(pair(days, months), "2024-02-01", NOW)).toHaveLength(29);
    expect(m.upstreamKeys(pair(days, months), "2025-02-01", NOW)).toHaveLength(28);
    expect(m.upstreamKeys(pair(days, months), "2025-01-01", NOW).at(-1)).toBe("2025-01-31");
    expect(m.downstreamKeys(pair(days, months), "2025-01-31", NOW)).toEqual(["2025-01-01"]);
    expect(m.upstreamKeys(pair(months, days), "2025-02-28", NOW)).toEqual(["2025-02-01"]);
    const lastMonth = timeWindowMapping({ startOffset: -1, endOffset: -1 });
    expect(lastMonth.upstreamKeys(pair(days, months), "2025-03-01", NOW)).toEqual(
      Array.from({ length: 28 }, (_, i) => `2025-02-${String(i + 1).padStart(2, "0")}`),
    );
    expect(lastMonth.downstreamKeys(pair(days, months), "2025-02-14", NOW)).toEqual(["2025-03-01"]);
    // Sunday-to-Sunday weeks: Wednesday 2025-01-08 lies in the week of Sunday 2025-01-05.
    const weeks = weeklyPartitions({ start: "2025-01-05" });
    expect(m.upstreamKeys(pair(weeks, days), "2025-01-08", NOW)).toEqual(["2025-01-05"]);
    expect(m.upstreamKeys(pair(days, weeks), "2025-01-05", NOW)).toEqual(["2025-01-05", "2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10", "2025-01-11"]);
  });
});

describe("timeWindowMapping across daylight-saving changes (Europe/Berlin)", () => {
  const hours = hourlyPartitions({ start: "2025-01-01-00:00", timezone: "Europe/Berlin" });
  const days = dailyPartitions({ start: "2025-01-01", timezone: "Europe/Berlin" });
  const m = timeWindowMapping();

  it("a 23-hour day reads 23 hours, a 25-hour day 25 (the repeated hour with its offset)", () => {
    const spring = m.upstreamKeys(pair(hours, days), "2025-03-30", NOW);
    expect(spring).toHaveLength(23);
    expect(spring).not.toContain("2025-03-30-02:00");
    const autumn = m.upstreamKeys(pair(hours, days), "2025-10-26", NOW);
    expect(autumn).toHaveLength(25);
    expect(autumn.slice(1, 5)).toEqual(["2025-10-26-01:00", "2025-10-26-02:00", "2025-10-26-02:00+0100", "2025-10-26-03:00"]);
    expect(m.downstreamKeys(pair(hours, days), "2025-10-26-02:00+0100", NOW)).toEqual(["2025-10-26"]);
    expect(m.downstreamKeys(pair(days, hours), "2025-10-26", NOW)).toEqual(autumn);
  });

  it("windows of different zones map by the instants they overlap", () => {
    const berlinDay = m.upstreamKeys(pair(hoursUtc, days), "2025-01-03", NOW);
    expect(berlinDay).toHaveLength(24);
    expect([berlinDay[0], berlinDay.at(-1)]).toEqual(["2025-01-02-23:00", "2025-01-03-22:00"]);
    expect(m.downstreamKeys(pair(hoursUtc, days), "2025-01-02-23:00", NOW)).toEqual(["2025-01-03"]);
    // A Berlin day overlaps two UTC days.
    expect(m.upstreamKeys(pair(daysUtc, days), "2025-01-03", NOW)).toEqual(["2025-01-02", "2025-01-03"]);
  });
});

describe("timeWindowMapping on long histories", () => {
  it("maps a key of 100,000 hourly partitions without listing them", () => {
    const longHours = hourlyPartitions({ start: "2014-06-01-00:00" });
    const longDays = dailyPartitions({ start: "2014-06-01" });
    expect(longHours.count(NOW)).toBeGreaterThan(100_000);
    const keys = vi.spyOn(longHours, "keys");
    const count = vi.spyOn(longHours, "count");
    const m = timeWindowMapping({ startOffset: -1 });
    expect(m.upstreamKeys(pair(longHours, longDays), "2025-11-30", NOW)).toHaveLength(48);
    expect(m.downstreamKeys(pair(longHours, longDays), "2014-06-01-00:00", NOW)).toEqual(["2014-06-01", "2014-06-02"]);
    expect(keys).not.toHaveBeenCalled();
    expect(count).not.toHaveBeenCalled();
  });
});

describe("timeWindowMapping settings", () => {
  it("refuses offsets that are not whole numbers, and a start after the end", () => {
    expect(() => timeWindowMapping({ startOffset: 0.5 })).toThrow("timeWindowMapping: startOffset must be a whole number of windows");
    expect(() => timeWindowMapping({ startOffset: 1, endOffset: 0 })).toThrow("startOffset (1) is after endOffset (0)");
  });

  it("describes itself in words", () => {
    expect(timeWindowMapping().describe()).toBe("timeWindowMapping() (the upstream windows overlapping its own window)");
    expect(timeWindowMapping({ startOffset: -1, endOffset: -1 }).describe()).toBe(
      "timeWindowMapping({ startOffset: -1, endOffset: -1 }) (the upstream windows overlapping the window 1 window before)",
    );
    expect(timeWindowMapping({ startOffset: -6 }).describe()).toBe("timeWindowMapping({ startOffset: -6, endOffset: 0 }) (the upstream windows overlapping 6 windows before through its own window)");
  });
});
