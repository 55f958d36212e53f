import { describe, expect, it } from "vitest";
import { dailyPartitions, hourlyPartitions, monthlyPartitions, timeWindowPartitions, weeklyPartitions } from "./time-partition-factories.js";

const at = (iso: string): Date => new Date(iso);

/** Runs fn, expecting a DefinitionError; returns its message. */
function definitionError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe("DEFINITION_ERROR");
    return (err as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

describe("dailyPartitions", () => {
  const days = dailyPartitions({ start: "2025-01-01" });
  const now = at("2025-01-05T12:00:00Z");

  it("has one key per day that has ended, and answers has/count/first/last without listing", () => {
    expect(days.keys(now)).toEqual(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]);
    expect(days.count(now)).toBe(4);
    expect(days.firstKey(now)).toBe("2025-01-01");
    expect(days.lastKey(now)).toBe("2025-01-04");
    expect(days.has("2025-01-04", now)).toBe(true);
    expect(days.has("2025-01-05", now)).toBe(false); // still in progress
    expect(days.has("2024-12-31", now)).toBe(false);
    expect(days.has("2025-1-4", now)).toBe(false);
    expect(days.has("2025-02-30", now)).toBe(false);
    // Exactly at midnight the day that just ended exists.
    expect(days.lastKey(at("2025-01-05T00:00:00Z"))).toBe("2025-01-04");
    expect(days.count(at("2025-01-01T23:59:59Z"))).toBe(0);
    expect(days.firstKey(at("2025-01-01T23:59:59Z"))).toBeUndefined();
  });

  it("endOffset adds the window in progress (1) or drops the last complete one (-1); end bounds the last window", () => {
    expect(dailyPartitions({ start: "2025-01-01", endOffset: 1 }).lastKey(now)).toBe("2025-01-05");
    expect(dailyPartitions({ start: "2025-01-01", endOffset: -1 }).lastKey(now)).toBe("2025-01-03");
    const bounded = dailyPartitions({ start: "2025-01-01", end: "2025-01-03" });
    expect(bounded.keys(now)).toEqual(["2025-01-01", "2025-01-02"]);
    expect(bounded.explainInvalid("2025-01-03", now)).toContain("ends after the end of daily partitions");
  });

  it("gives each key its time window, in the time zone, with offsets", () => {
    expect(days.timeWindow("2025-01-02")).toEqual({ start: at("2025-01-02T00:00:00Z"), end: at("2025-01-03T00:00:00Z") });
    const ny = dailyPartitions({ start: "2025-03-01", timezone: "America/New_York", hourOffset: 6 });
    // The window of 2025-03-08 lasts 23 hours in New York: clocks spring forward at 02:00 on the 9th.
    expect(ny.timeWindow("2025-03-08")).toEqual({ start: at("2025-03-08T11:00:00Z"), end: at("2025-03-09T10:00:00Z") });
    expect(ny.timeWindow("2025-03-09")).toEqual({ start: at("2025-03-09T10:00:00Z"), end: at("2025-03-10T10:00:00Z") });
    expect(ny.keyAt(at("2025-03-09T09:59:00Z"))).toBe("2025-03-08");
    expect(() => days.timeWindow("yesterday")).toThrow(/keys are written YYYY-MM-DD/);
  });

  it("counts without listing, and the count matches the keys across daylight-saving years", () => {
    const until = at("2025-12-31T23:00:00Z");
    for (const tz of ["UTC", "Europe/Berlin", "America/Los_Angeles", "Australia/Sydney"]) {
      const d = dailyPartitions({ start: "2023-06-15", timezone: tz });
      expect(d.count(until), tz).toBe(d.keys(until).length);
    }
    const long = dailyPartitions({ start: "1990-01-01", timezone: "Europe/Berlin" });
    const t0 = performance.now();
    expect(long.count(until)).toBe(13149); // 1990-01-01 to 2025-12-31, as 2026 begins in Berlin
    expect(long.has("2010-03-28", until)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it("explains why a key is not a partition, showing the valid range", () => {
    expect(days.explainInvalid("2025-01-03", now)).toBeUndefined();
    expect(days.explainInvalid("2025-13-01", now)).toBe(
      'Partition "2025-13-01" is not a key of daily partitions from "2025-01-01" (UTC): keys are written YYYY-MM-DD (e.g. "2025-01-01"). ' +
        'Valid keys run from "2025-01-01" to "2025-01-04" (4 partitions).',
    );
    expect(days.explainInvalid("2024-12-31", now)).toContain('is before the first partition of daily partitions from "2025-01-01"');
    expect(days.explainInvalid("2025-01-09", now)).toContain(
      'Partition "2025-01-09" does not exist yet as of 2025-01-05T12:00:00.000Z: its window ends at 2025-01-10T00:00:00.000Z',
    );
    expect(days.explainInvalid("2025-01-01", at("2025-01-01T05:00:00Z"))).toContain('There are no partitions yet');
  });

  it("lists a range of keys and refuses backwards or unknown ends", () => {
    expect(days.keysBetween("2025-01-02", "2025-01-04", now)).toEqual(["2025-01-02", "2025-01-03", "2025-01-04"]);
    expect(() => days.keysBetween("2025-01-04", "2025-01-02", now)).toThrow(/backwards/);
    expect(() => days.keysBetween("2025-01-02", "2025-01-08", now)).toThrow(/does not exist yet/);
  });

  it("sorts keys in time order, unknown keys last", () => {
    expect(days.sortKeys(["2025-01-03", "nope", "2025-01-01"])).toEqual(["2025-01-01", "2025-01-03", "nope"]);
  });

  it("is equal by value: the same settings give the same id", () => {
    expect(dailyPartitions({ start: "2025-01-01" }).id).toBe(days.id);
    expect(dailyPartitions({ start: "2025-01-02" }).id).not.toBe(days.id);
    expect(dailyPartitions({ start: "2025-01-01", timezone: "Europe/Berlin" }).id).not.toBe(days.id);
    // The first window starts at the first midnight at or after the start.
    expect(dailyPartitions({ start: "2024-12-31T12:00:00Z" }).id).toBe(days.id);
  });

  it("rejects what it cannot use, naming the field and the value", () => {
    expect(definitionError(() => dailyPartitions({ start: "2025-13-01" }))).toBe(
      'dailyPartitions: start "2025-13-01" is not a valid date. Write it as YYYY-MM-DD (e.g. "2025-01-01"), or pass a Date.',
    );
    expect(definitionError(() => dailyPartitions({ start: "2025-01-01", timezone: "Mars/Olympus" }))).toContain('dailyPartitions: unknown time zone "Mars/Olympus"');
    expect(definitionError(() => dailyPartitions({ start: "2025-01-01", hourOffset: 24 }))).toBe("dailyPartitions: hourOffset must be a whole number from 0 to 23, got number 24.");
    expect(definitionError(() => dailyPartitions({ start: "2025-01-01", end: "2024-01-01" }))).toContain('end "2024-01-01" is not after start "2025-01-01"');
    expect(definitionError(() => dailyPartitions({ start: "2025-01-01", endOffset: 0.5 }))).toContain("endOffset must be a whole number");
    expect(definitionError(() => dailyPartitions({ start: "2025-01-01", fmt: "%Y-%m" }))).toContain('fmt "%Y-%m" has no %d');
    expect(definitionError(() => dailyPartitions({ start: "2025-01-01", fmt: "%Y-%m-%d %q" }))).toContain('uses "%q", which is not supported');
    expect(definitionError(() => dailyPartitions({ start: new Date(Number.NaN) }))).toContain("start is an invalid Date");
  });
});

describe("hourlyPartitions", () => {
  it("writes keys as YYYY-MM-DD-HH:MM and accepts a date-only start", () => {
    const hours = hourlyPartitions({ start: "2025-01-01" });
    expect(hours.keys(at("2025-01-01T03:30:00Z"))).toEqual(["2025-01-01-00:00", "2025-01-01-01:00", "2025-01-01-02:00"]);
    expect(hourlyPartitions({ start: "2025-01-01-00:00", minuteOffset: 15 }).keys(at("2025-01-01T01:20:00Z"))).toEqual(["2025-01-01-00:15"]);
  });

  it("has two keys for the hour that repeats when clocks go back, the second with its UTC offset (as Dagster)", () => {
    const la = hourlyPartitions({ start: "2024-11-03-00:00", timezone: "America/Los_Angeles" });
    const now = at("2024-11-03T12:00:00Z");
    expect(la.keys(now)).toEqual(["2024-11-03-00:00", "2024-11-03-01:00", "2024-11-03-01:00-0800", "2024-11-03-02:00", "2024-11-03-03:00"]);
    expect(la.count(now)).toBe(5);
    expect(la.timeWindow("2024-11-03-01:00")).toEqual({ start: at("2024-11-03T08:00:00Z"), end: at("2024-11-03T09:00:00Z") });
    expect(la.timeWindow("2024-11-03-01:00-0800")).toEqual({ start: at("2024-11-03T09:00:00Z"), end: at("2024-11-03T10:00:00Z") });
    expect(la.has("2024-11-03-01:00-0700", now)).toBe(false);
  });

  it("has no key for the hour skipped when clocks go forward", () => {
    const la = hourlyPartitions({ start: "2024-03-10", timezone: "America/Los_Angeles" });
    const now = at("2024-03-10T12:00:00Z");
    expect(la.keys(now)).toEqual(["2024-03-10-00:00", "2024-03-10-01:00", "2024-03-10-03:00", "2024-03-10-04:00"]);
    expect(la.has("2024-03-10-02:00", now)).toBe(false);
  });

  it("counts ten years of hours without listing them, matching the list over a DST year", () => {
    const berlin = hourlyPartitions({ start: "2024-01-01-00:00", timezone: "Europe/Berlin" });
    const end = at("2025-01-01T00:00:00Z");
    expect(berlin.count(end)).toBe(berlin.keys(end).length);
    const long = hourlyPartitions({ start: "2015-01-01-00:00" });
    const t0 = performance.now();
    expect(long.count(at("2025-01-01T00:00:00Z"))).toBe(87_672);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it("lists the same keys whatever was listed before: later, earlier, then later again", () => {
    const hours = hourlyPartitions({ start: "2025-10-25", timezone: "Europe/Berlin" });
    const fresh = (at: string) => hourlyPartitions({ start: "2025-10-25", timezone: "Europe/Berlin" }).keys(new Date(at));
    const times = ["2025-10-27T12:00:00Z", "2025-10-26T03:30:00Z", "2025-10-28T00:00:00Z", "2025-10-28T00:00:00Z", "2025-10-25T00:30:00Z"];
    for (const at of times) expect(hours.keys(new Date(at))).toEqual(fresh(at));
    // A caller changing the list it got changes nothing for the next caller.
    const listed = hours.keys(new Date(times[2]!));
    listed.length = 1;
    expect(hours.keys(new Date(times[2]!))).toEqual(fresh(times[2]!));
  });

  it("refuses a format without hours", () => {
    expect(definitionError(() => hourlyPartitions({ start: "2025-01-01", fmt: "%Y-%m-%d" }))).toContain("has no %H");
  });
});

describe("in time zones with odd daylight-saving rules", () => {
  // Santiago and Beirut change clocks at midnight, Lord Howe by 30 minutes, Chatham at 02:45.
  const now = at("2025-06-01T00:00:00Z");
  for (const timezone of ["America/Santiago", "Asia/Beirut", "Australia/Lord_Howe", "Pacific/Chatham", "Europe/London"]) {
    it(`${timezone}: windows tile time with no gap or overlap, every key is found, and counts match the lists`, () => {
      for (const def of [dailyPartitions({ start: "2023-01-01", timezone }), hourlyPartitions({ start: "2024-06-01-00:00", timezone })]) {
        const keys = def.keys(now);
        expect(def.count(now)).toBe(keys.length);
        expect(new Set(keys).size).toBe(keys.length);
        let previousEnd: number | undefined;
        for (const key of keys) {
          const window = def.timeWindow(key);
          if (previousEnd !== undefined) expect(window.start.getTime(), key).toBe(previousEnd);
          previousEnd = window.end.getTime();
          expect(def.keyAt(window.start), key).toBe(key);
        }
        expect(keys.every((k) => def.has(k, now))).toBe(true);
      }
    });
  }
});

describe("weeklyPartitions and monthlyPartitions", () => {
  it("start weeks on Sunday (or dayOffset) and months on the 1st (or dayOffset), from the first boundary at or after start", () => {
    const now = at("2025-02-01T00:00:00Z");
    expect(weeklyPartitions({ start: "2025-01-01" }).keys(now)).toEqual(["2025-01-05", "2025-01-12", "2025-01-19"]);
    expect(weeklyPartitions({ start: "2025-01-01", dayOffset: 1 }).keys(now)).toEqual(["2025-01-06", "2025-01-13", "2025-01-20"]);
    expect(weeklyPartitions({ start: "2025-01-01" }).explainInvalid("2025-01-06", now)).toContain(
      'does not start a window of weekly partitions from "2025-01-05" (UTC): the window around it is "2025-01-05"',
    );
    expect(monthlyPartitions({ start: "2024-11-15" }).keys(at("2025-03-02T00:00:00Z"))).toEqual(["2024-12-01", "2025-01-01", "2025-02-01"]);
    expect(monthlyPartitions({ start: "2024-11-01", dayOffset: 15 }).timeWindow("2024-11-15")).toEqual({
      start: at("2024-11-15T00:00:00Z"),
      end: at("2024-12-15T00:00:00Z"),
    });
    expect(definitionError(() => monthlyPartitions({ start: "2025-01-01", dayOffset: 0 }))).toContain("dayOffset must be a whole number from 1 to 31");
    expect(definitionError(() => weeklyPartitions({ start: "2025-01-01", dayOffset: 7 }))).toContain("dayOffset must be a whole number from 0 to 6");
  });
});

describe("timeWindowPartitions", () => {
  it("cuts windows at any cron's ticks, with date-and-time keys for crons that tick within a day", () => {
    const sixHours = timeWindowPartitions({ cron: "0 */6 * * *", start: "2025-01-01" });
    expect(sixHours.keys(at("2025-01-02T01:00:00Z"))).toEqual(["2025-01-01-00:00", "2025-01-01-06:00", "2025-01-01-12:00", "2025-01-01-18:00"]);
    expect(sixHours.describe()).toBe('time-window partitions on cron "0 */6 * * *" from "2025-01-01-00:00" (UTC)');
    const compact = timeWindowPartitions({ cron: "0 0 * * 1-5", start: "2025-01-01", fmt: "%Y%m%d" });
    expect(compact.keys(at("2025-01-08T00:00:00Z"))).toEqual(["20250101", "20250102", "20250103", "20250106", "20250107"]);
  });

  it("refuses a bad cron, and a format that would give two windows one key", () => {
    expect(definitionError(() => timeWindowPartitions({ cron: "61 * * * *", start: "2025-01-01" }))).toContain('timeWindowPartitions: invalid cron "61 * * * *"');
    expect(definitionError(() => timeWindowPartitions({ cron: "0 */6 * * *", start: "2025-01-01", fmt: "%Y-%m-%d" }))).toContain(
      'the same key "2025-01-01". Use a finer format',
    );
  });

  it("shows itself small in the snapshot: settings, count, first and last key", () => {
    expect(dailyPartitions({ start: "2025-01-01", timezone: "Europe/Berlin", endOffset: 1 }).toSnapshot(at("2025-01-03T12:00:00Z"))).toEqual({
      type: "time_window",
      cadence: "daily",
      cron: "0 0 * * *",
      timezone: "Europe/Berlin",
      fmt: "%Y-%m-%d",
      start: "2024-12-31T23:00:00.000Z",
      end: null,
      endOffset: 1,
      count: 3,
      firstKey: "2025-01-01",
      lastKey: "2025-01-03",
    });
  });
});
