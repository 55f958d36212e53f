import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import { DefinitionError, ErrorCode } from "../errors.js";
import { CronSchedule, isValidCron, isValidTimezone } from "./cron-schedule.js";
import { at, expectBackward, expectForward } from "./testing/tick-cases.js";

const iso = (dates: readonly Date[]): string[] => dates.map((d) => d.toISOString());

function parseError(cron: string | string[], tz?: string): DefinitionError {
  try {
    CronSchedule.parse(cron, tz);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return err as DefinitionError;
  }
  throw new Error(`expected ${JSON.stringify(cron)} to be rejected`);
}

describe("CronSchedule API", () => {
  const hourly = CronSchedule.parse("0 * * * *");

  it("nextAfter is strictly after, and ignores seconds and milliseconds", () => {
    expect(hourly.nextAfter(at("2024-05-01T10:00Z")).toISOString()).toBe("2024-05-01T11:00:00.000Z");
    expect(hourly.nextAfter(at("2024-05-01T09:59:59.999Z")).toISOString()).toBe("2024-05-01T10:00:00.000Z");
    expect(hourly.nextAfter(at("2024-05-01T10:00:00.001Z")).toISOString()).toBe("2024-05-01T11:00:00.000Z");
  });

  it("previousBefore is strictly before", () => {
    expect(hourly.previousBefore(at("2024-05-01T10:00Z")).toISOString()).toBe("2024-05-01T09:00:00.000Z");
    expect(hourly.previousBefore(at("2024-05-01T10:00:00.001Z")).toISOString()).toBe("2024-05-01T10:00:00.000Z");
  });

  it("ticksAfter returns count ticks in order", () => {
    // Port of test_cron_iterator_batch_matches_iterator (test_cron_string_iterator.py).
    const s = CronSchedule.parse("*/15 * * * *", "UTC");
    expect(iso(s.ticksAfter(at("2023-12-31T23:59:59Z"), 5))).toEqual(
      iso(["2024-01-01T00:00Z", "2024-01-01T00:15Z", "2024-01-01T00:30Z", "2024-01-01T00:45Z", "2024-01-01T01:00Z"].map(at)),
    );
    expect(s.ticksAfter(at("2024-01-01T00:00Z"), 0)).toEqual([]);
    expect(() => s.ticksAfter(at("2024-01-01T00:00Z"), 1.5)).toThrow(RangeError);
  });

  it("ticksBetween yields start < t <= end, for a daemon catching up", () => {
    const got = [...hourly.ticksBetween(at("2024-05-01T10:00Z"), at("2024-05-01T13:00Z"))];
    expect(iso(got)).toEqual(iso(["2024-05-01T11:00Z", "2024-05-01T12:00Z", "2024-05-01T13:00Z"].map(at)));
    expect([...hourly.ticksBetween(at("2024-05-01T10:00Z"), at("2024-05-01T10:59Z"))]).toEqual([]);
  });

  it("rejects an invalid Date", () => {
    expect(() => hourly.nextAfter(new Date(Number.NaN))).toThrow(RangeError);
  });

  it("keeps the expressions and time zone as given", () => {
    const s = CronSchedule.parse(["0 9 * * 1-5", "0 12 * * 6"], "Europe/Berlin");
    expect(s.expressions).toEqual(["0 9 * * 1-5", "0 12 * * 6"]);
    expect(s.timezone).toBe("Europe/Berlin");
    expect(CronSchedule.parse("@daily").timezone).toBe("UTC");
    expect(String(s)).toBe('"0 9 * * 1-5", "0 12 * * 6" in Europe/Berlin');
  });
});

describe("validation", () => {
  it.each([
    ["61 * * * *", 'Invalid cron string "61 * * * *": minute 61 is out of range 0-59.'],
    ["0 24 * * *", 'Invalid cron string "0 24 * * *": hour 24 is out of range 0-23.'],
    ["0 0 0 * *", 'Invalid cron string "0 0 0 * *": day-of-month 0 is out of range 1-31.'],
    ["0 0 1 13 *", 'Invalid cron string "0 0 1 13 *": month 13 is out of range 1-12.'],
    ["0 0 * * 8", 'Invalid cron string "0 0 * * 8": day-of-week 8 is out of range 0-7.'],
    ["0 20-25 * * *", 'Invalid cron string "0 20-25 * * *": hour 25 is out of range 0-23.'],
    ["* * * *", 'Invalid cron string "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 4.'],
    [
      "* * * * * *",
      'Invalid cron string "* * * * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 6; seconds and year fields are not supported.',
    ],
    ["", 'Invalid cron string "": it is empty.'],
    ["*/0 * * * *", 'Invalid cron string "*/0 * * * *": minute "*/0": the step after "/" must be 1 or more.'],
    ["0 0 * foo *", 'Invalid cron string "0 0 * foo *": month "foo": "foo" is not a number or a month name (JAN-DEC).'],
    ["0 0 * * 1#6", 'Invalid cron string "0 0 * * 1#6": day-of-week "1#6": the occurrence after "#" must be 1-5, got 6.'],
    ["0 L * * *", 'Invalid cron string "0 L * * *": hour "L": "L" is not a number; "L" is only allowed in day-of-month, or as "L<weekday>" in day-of-week.'],
    ["0 0 ? * ?", undefined],
    ["0 ? * * *", 'Invalid cron string "0 ? * * *": hour "?": "?" is only allowed alone, in the day-of-month or day-of-week field.'],
    ["H * * * *", 'Invalid cron string "H * * * *": minute "H": hashed or random values (H, R) are not supported; write the value explicitly.'],
    ["0 0 1,,2 * *", 'Invalid cron string "0 0 1,,2 * *": day-of-month "1,,2" has an empty value (check the commas).'],
    ["-5 * * * *", 'Invalid cron string "-5 * * * *": minute "-5": negative numbers are not allowed.'],
    ["@every", 'Invalid cron string "@every": unknown shortcut "@every"; use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly.'],
    ["0 0 * * 1#2,3", 'Invalid cron string "0 0 * * 1#2,3": day-of-week "1#2,3" mixes plain weekdays with "#" or "L" weekdays, which is not supported.'],
  ])("%s", (cron, message) => {
    if (message === undefined) {
      expect(isValidCron(cron)).toBe(true);
      return;
    }
    expect(isValidCron(cron)).toBe(false);
    const err = parseError(cron);
    expect(err.code).toBe(ErrorCode.Definition);
    expect(err.message).toBe(message);
  });

  it("accepts and rejects what Dagster does around February (test_invalid_cron_strings)", () => {
    // Port of test_invalid_cron_strings (test_cron_string_iterator.py).
    for (const ok of ["0 0 27 2 *", "0 0 28 2 *", "0 0 29 2 *", "0 0 29 2 3", "0 0 31 1 *", "0 0 30 2 3", "0 0 31 2 3"]) {
      expect(isValidCron(ok), ok).toBe(true);
    }
    for (const bad of ["0 0 30 2 *", "0 0 31 2 *", "0 0 32 2 *", "0 0 32 1 *"]) expect(isValidCron(bad), bad).toBe(false);
    expect(parseError("0 0 30 2 *").message).toBe(
      'Invalid cron string "0 0 30 2 *": it never fires: day-of-month 30 does not exist in February (field "30").',
    );
  });

  it("rejects other dates that never exist (Dagster accepts them, then fails while iterating)", () => {
    expect(isValidCron("0 0 31 4,6 *")).toBe(false);
    expect(parseError("0 0 31 4,6 *").message).toContain("day-of-month 31 does not exist in April, June");
    expect(isValidCron("0 0 31 4,5 *")).toBe(true);
  });

  it("names the bad string of a list, and rejects an empty list", () => {
    expect(parseError(["0 9 * * *", "0 25 * * *"]).message).toBe('Invalid cron string "0 25 * * *": hour 25 is out of range 0-23.');
    expect(parseError([]).message).toBe("A cron schedule needs at least one cron string; got an empty list.");
  });

  it("rejects unknown time zones", () => {
    expect(parseError("0 9 * * *", "Mars/Olympus").message).toBe(
      'Unknown time zone "Mars/Olympus": use an IANA time zone name such as "UTC", "America/Los_Angeles" or "Europe/Berlin".',
    );
    for (const tz of ["UTC", "America/Los_Angeles", "US/Pacific", "Europe/Berlin", "Australia/Sydney", "Etc/GMT+5"]) {
      expect(isValidTimezone(tz), tz).toBe(true);
    }
    for (const tz of ["", "Mars/Olympus", "+01:00", "-0800", "PST8PDTX"]) expect(isValidTimezone(tz), tz).toBe(false);
  });
});

describe("cron semantics (croniter, as vendored by Dagster)", () => {
  const ticks = (cron: string, after: string, n: number, tz = "UTC"): string[] =>
    iso(CronSchedule.parse(cron, tz).ticksAfter(at(after), n));

  it("reads month and weekday names in any case", () => {
    expect(ticks("0 9 * JAN,jul Mon-WED", "2024-06-30T00:00Z", 4)).toEqual(
      iso(["2024-07-01T09:00Z", "2024-07-02T09:00Z", "2024-07-03T09:00Z", "2024-07-08T09:00Z"].map(at)),
    );
  });

  it("fires on the day-of-month OR the day-of-week when both are restricted", () => {
    // 13 January 2024 is a Saturday: the Fridays and the 13th.
    expect(ticks("0 0 13 * 5", "2024-01-01T00:00Z", 6)).toEqual(
      iso(["2024-01-05T00:00Z", "2024-01-12T00:00Z", "2024-01-13T00:00Z", "2024-01-19T00:00Z", "2024-01-26T00:00Z", "2024-02-02T00:00Z"].map(at)),
    );
    // A day-of-month that starts with `*` still counts as restricted (croniter has no vixie-cron AND rule).
    expect(ticks("0 0 */10 * 1", "2024-01-01T00:00Z", 5)).toEqual(
      iso(["2024-01-08T00:00Z", "2024-01-11T00:00Z", "2024-01-15T00:00Z", "2024-01-21T00:00Z", "2024-01-22T00:00Z"].map(at)),
    );
    // Every day of the month OR Mondays is every day (croniter keeps the full list restricted).
    const daily = iso(["2024-01-02T00:00Z", "2024-01-03T00:00Z", "2024-01-04T00:00Z"].map(at));
    expect(ticks("0 0 */1 * 1", "2024-01-01T00:00Z", 3)).toEqual(daily);
    expect(ticks("0 0 1-31 * mon", "2024-01-01T00:00Z", 3)).toEqual(daily);
  });

  it("supports L for the last day of the month, alone, in lists and as a range end", () => {
    expect(ticks("0 0 L * *", "2024-01-15T00:00Z", 3)).toEqual(iso(["2024-01-31T00:00Z", "2024-02-29T00:00Z", "2024-03-31T00:00Z"].map(at)));
    expect(ticks("0 0 1,L * *", "2023-02-01T00:00Z", 3)).toEqual(iso(["2023-02-28T00:00Z", "2023-03-01T00:00Z", "2023-03-31T00:00Z"].map(at)));
    expect(ticks("0 0 29-L 2 *", "2023-01-01T00:00Z", 2)).toEqual(iso(["2024-02-29T00:00Z", "2028-02-29T00:00Z"].map(at)));
  });

  it("supports nth and last weekdays (1#2, L5); the day-of-month is then ignored, as croniter does", () => {
    expect(ticks("0 0 * * 1#2", "2024-01-01T00:00Z", 3)).toEqual(iso(["2024-01-08T00:00Z", "2024-02-12T00:00Z", "2024-03-11T00:00Z"].map(at)));
    expect(ticks("0 0 * * L5", "2024-01-01T00:00Z", 3)).toEqual(iso(["2024-01-26T00:00Z", "2024-02-23T00:00Z", "2024-03-29T00:00Z"].map(at)));
    expect(ticks("0 0 15 * 1#2", "2024-01-01T00:00Z", 2)).toEqual(iso(["2024-01-08T00:00Z", "2024-02-12T00:00Z"].map(at)));
  });

  it("treats Sunday as 0 or 7, and ranges through 7 as wrapping to Sunday", () => {
    const sundays = iso(["2024-01-07T00:00Z", "2024-01-14T00:00Z"].map(at));
    expect(ticks("0 0 * * 0", "2024-01-01T00:00Z", 2)).toEqual(sundays);
    expect(ticks("0 0 * * 7", "2024-01-01T00:00Z", 2)).toEqual(sundays);
    expect(ticks("0 0 * * SUN", "2024-01-01T00:00Z", 2)).toEqual(sundays);
    expect(ticks("0 0 * * 5-7", "2024-01-01T00:00Z", 4)).toEqual(
      iso(["2024-01-05T00:00Z", "2024-01-06T00:00Z", "2024-01-07T00:00Z", "2024-01-12T00:00Z"].map(at)),
    );
  });

  it("keeps croniter's quirks: x-x is the whole cycle, a/s runs to the end, wrapped steps", () => {
    // "9-9" is every hour, not 09:00: Dagster reads it that way.
    expect(ticks("0 9-9 * * *", "2024-01-01T00:30Z", 2)).toEqual(iso(["2024-01-01T01:00Z", "2024-01-01T02:00Z"].map(at)));
    // "23/2" expands to "23-23/2", which is the whole day in steps of 2.
    expect(ticks("0 23/2 * * *", "2024-01-01T00:30Z", 2)).toEqual(iso(["2024-01-01T02:00Z", "2024-01-01T04:00Z"].map(at)));
    expect(ticks("0 5/6 * * *", "2024-01-01T00:30Z", 4)).toEqual(
      iso(["2024-01-01T05:00Z", "2024-01-01T11:00Z", "2024-01-01T17:00Z", "2024-01-01T23:00Z"].map(at)),
    );
    // A range that wraps past midnight: 22-2/3 is 22:00 and 02:00.
    expect(ticks("0 22-2/3 * * *", "2024-01-01T00:30Z", 3)).toEqual(iso(["2024-01-01T02:00Z", "2024-01-01T22:00Z", "2024-01-02T02:00Z"].map(at)));
    // A step larger than the range: */90 minutes is once an hour (Dagster warns about it).
    expect(ticks("*/90 * * * *", "2024-01-01T00:30Z", 2)).toEqual(iso(["2024-01-01T01:00Z", "2024-01-01T02:00Z"].map(at)));
  });

  it("accepts the shortcuts Dagster accepts (test_vixie_cronstring_schedule)", () => {
    // Port of test_vixie_cronstring_schedule (dagster_tests/scheduler_tests/test_schedule_iterator.py):
    // the sixth tick after 2022-02-21 01:30:01 US/Pacific.
    const sixth = (cron: string): string => CronSchedule.parse(cron, "US/Pacific").ticksAfter(at("2022-02-21T01:30:01-08:00"), 6)[5]!.toISOString();
    expect(sixth("@hourly")).toBe(at("2022-02-21T07:00-08:00").toISOString());
    expect(sixth("@daily")).toBe(at("2022-02-27T00:00-08:00").toISOString());
    expect(sixth("@weekly")).toBe(at("2022-04-03T00:00-07:00").toISOString());
    expect(sixth("@monthly")).toBe(at("2022-08-01T00:00-07:00").toISOString());
    expect(sixth("@yearly")).toBe(at("2028-01-01T00:00-08:00").toISOString());
    expect(sixth("@annually")).toBe(sixth("@yearly"));
    expect(sixth("@midnight")).toBe(sixth("@daily"));
  });

  it("ticks at the union of a list of cron strings (test_union_of_cron_strings_schedule)", () => {
    // Port of test_union_of_cron_strings_schedule (test_schedule_iterator.py).
    const s = CronSchedule.parse(["0 2 * * FRI-SAT", "0 2,8 * * MON,FRI", "*/30 9 * * SUN"], "UTC");
    expect(iso(s.ticksAfter(at("2022-01-01T01:59:59Z"), 8))).toEqual(
      iso(
        [
          "2022-01-01T02:00Z", "2022-01-02T09:00Z", "2022-01-02T09:30Z", "2022-01-03T02:00Z",
          "2022-01-03T08:00Z", "2022-01-07T02:00Z", "2022-01-07T08:00Z", "2022-01-08T02:00Z",
        ].map(at),
      ),
    );
  });
});

describe("more Dagster cases (test_cron_string_iterator.py)", () => {
  it("last day of the month, forward and backward (test_last_day_of_month_cron_schedule)", () => {
    const c = {
      tz: "Europe/Berlin",
      cron: "*/15 13 L * *",
      ticks: [
        "2023-10-31T13:00+01:00", "2023-10-31T13:15+01:00", "2023-10-31T13:30+01:00", "2023-10-31T13:45+01:00",
        "2023-11-30T13:00+01:00", "2023-11-30T13:15+01:00", "2023-11-30T13:30+01:00", "2023-11-30T13:45+01:00",
        "2023-12-31T13:00+01:00", "2023-12-31T13:15+01:00", "2023-12-31T13:30+01:00", "2023-12-31T13:45+01:00",
      ],
    };
    expectForward(c, 10);
    expectBackward(c, 10);
  });

  it.each(["0 0 * * 6-7", "0 0 * * 0,6"])("weekends with Sunday as 7 (test_weekend_cron_schedule_with_sunday_as_7): %s", (cron) => {
    const c = {
      tz: "Europe/Berlin",
      cron,
      ticks: ["2024-10-26T00:00+02:00", "2024-10-27T00:00+02:00", "2024-11-02T00:00+01:00", "2024-11-03T00:00+01:00", "2024-11-09T00:00+01:00", "2024-11-10T00:00+01:00"],
    };
    expectForward(c, 10);
    expectBackward(c, 10);
  });

  it("always advances past a missing time (test_cron_iterator_always_advances)", () => {
    const s = CronSchedule.parse("0 2 * * *", "Europe/Berlin");
    // From the start of the missing hour (02:00 CET = 03:00 CEST on 2023-03-26) up to the next tick.
    const next = 1679875200_000; // 2023-03-27T02:00+02:00
    for (let t = at("2023-03-26T01:00Z").getTime() + 1000; t < next; t += 75_000) {
      expect(s.nextAfter(new Date(t)).getTime()).toBe(next);
    }
  });

  it("Feb 29 only in leap years (test_cron_iterator_leap_day)", () => {
    const s = CronSchedule.parse("2 4 29 2 *", "Europe/Berlin");
    let cursor = at("2023-03-27T01:00+02:00");
    for (let i = 0; i < 100; i++) {
      cursor = s.nextAfter(cursor);
      const local = new Intl.DateTimeFormat("en-CA", {
        timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }).format(cursor);
      const year = Number(local.slice(0, 4));
      expect(local.slice(4)).toBe("-02-29, 04:02");
      expect((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0).toBe(true);
    }
    // 2100, 2200 and 2300 are not leap years: the 100th leap day from 2024 is in 2432.
    expect(cursor.getUTCFullYear()).toBe(2432);
  });

  it.each(["Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide", "America/St_Johns", "Pacific/Chatham"])(
    "hourly ticks stay on the local hour in %s (test_hourly_cron_non_hour_offset_timezone_*)",
    (tz) => {
      const offsets: Record<string, string> = {
        "Asia/Kolkata": "+05:30", "Asia/Kathmandu": "+05:45", "Australia/Adelaide": "+10:30", "America/St_Johns": "-03:30", "Pacific/Chatham": "+13:45",
      };
      const hours = [0, 1, 2, 3, 4, 5].map((h) => `2026-02-16T0${h}:00${offsets[tz]}`);
      expectForward({ tz, cron: "0 * * * *", ticks: hours }, 5);
      expectBackward({ tz, cron: "0 * * * *", ticks: hours }, 5);
      const halves = CronSchedule.parse("30 * * * *", tz).ticksAfter(at(hours[0]!), 6);
      expect(iso(halves)).toEqual(iso([0, 1, 2, 3, 4, 5].map((h) => at(`2026-02-16T0${h}:30${offsets[tz]}`))));
    },
  );
});

describe("Dagster scheduler cases (test_schedule_iterator.py, test_scheduler_timezones.py)", () => {
  const run = (cron: string, tz: string, after: string, n: number): string[] => iso(CronSchedule.parse(cron, tz).ticksAfter(at(after), n));

  it("every 15 minutes across Sydney's spring forward (test_cron_schedule_advances_past_dst)", () => {
    expect(run("*/15 * * * *", "Australia/Sydney", "2021-10-03T01:30:01+10:00", 6)).toEqual(
      iso(["2021-10-03T01:45+10:00", "2021-10-03T03:00+11:00", "2021-10-03T03:15+11:00", "2021-10-03T03:30+11:00", "2021-10-03T03:45+11:00", "2021-10-03T04:00+11:00"].map(at)),
    );
  });

  // The schedules of Dagster's scheduler test repository, in US/Central (2019: forward on
  // 10 March, back on 3 November).
  it("hourly across spring forward: 01:00 CST, 03:00 CDT, 04:00 CDT (test_hourly_dst_spring_forward)", () => {
    expect(run("0 * * * *", "US/Central", "2019-03-10T00:59:59-06:00", 3)).toEqual(iso(["2019-03-10T07:00Z", "2019-03-10T08:00Z", "2019-03-10T09:00Z"].map(at)));
  });

  it("hourly across fall back: 01:00 CDT, 01:00 CST, 02:00 CST, 03:00 CST (test_hourly_dst_fall_back)", () => {
    expect(run("0 * * * *", "US/Central", "2019-11-03T00:30-05:00", 4)).toEqual(
      iso(["2019-11-03T06:00Z", "2019-11-03T07:00Z", "2019-11-03T08:00Z", "2019-11-03T09:00Z"].map(at)),
    );
  });

  it("daily at midnight across both changes (test_daily_dst_spring_forward, test_daily_dst_fall_back)", () => {
    expect(run("0 0 * * *", "US/Central", "2019-03-09T23:59:59-06:00", 3)).toEqual(iso(["2019-03-10T06:00Z", "2019-03-11T05:00Z", "2019-03-12T05:00Z"].map(at)));
    expect(run("0 0 * * *", "US/Central", "2019-11-02T23:59:59-05:00", 3)).toEqual(iso(["2019-11-03T05:00Z", "2019-11-04T06:00Z", "2019-11-05T06:00Z"].map(at)));
  });

  it("a skipped 02:30 runs at 03:00 CDT (test_execute_during_dst_transition_spring_forward)", () => {
    expect(run("30 2 * * *", "US/Central", "2019-03-09T00:00-06:00", 3)).toEqual(
      iso(["2019-03-09T02:30-06:00", "2019-03-10T03:00-05:00", "2019-03-11T02:30-05:00"].map(at)),
    );
  });

  it("a doubled 01:30 runs once, at 01:30 CST (test_execute_during_dst_transition_fall_back)", () => {
    expect(run("30 1 * * *", "US/Central", "2019-11-02T00:00-05:00", 3)).toEqual(iso(["2019-11-02T06:30Z", "2019-11-03T07:30Z", "2019-11-04T07:30Z"].map(at)));
  });
});

describe("agreement with croner where Dagster's rules and croner's coincide", () => {
  // croner runs "interval" patterns at every real instant and a missing fixed time at the next
  // existing one, like Dagster; it differs only for a fixed time that occurs twice (see below).
  const patterns = ["*/15 * * * *", "0 * * * *", "5,35 * * * 1-5", "0 9 * * *", "30 17 * * 1-5", "0 0 1 * *", "0 12 L * *", "0 0 13 * 5", "0 */6 * * *", "15 10 * JAN,JUL MON"];
  const zones: Record<string, string[]> = {
    UTC: ["2024-01-01T00:00Z"],
    "America/Los_Angeles": ["2024-03-08T00:00Z", "2024-11-01T00:00Z"],
    "America/Chicago": ["2024-03-08T00:00Z", "2024-11-01T00:00Z"],
    "Europe/Berlin": ["2024-03-29T00:00Z", "2024-10-25T00:00Z"],
    "Australia/Sydney": ["2024-04-05T00:00Z", "2024-10-04T00:00Z"],
    "Asia/Kolkata": ["2024-01-01T00:00Z"],
  };
  const cases = Object.entries(zones).flatMap(([tz, starts]) => patterns.flatMap((p) => starts.map((s) => [p, tz, s] as const)));
  it.each(cases)("%s in %s after %s", (pattern, tz, start) => {
    const ours = iso(CronSchedule.parse(pattern, tz).ticksAfter(at(start), 300));
    const theirs = iso(new Cron(pattern, { timezone: tz }).nextRuns(300, at(start)));
    expect(ours).toEqual(theirs);
  });

  it.each(["America/Los_Angeles", "America/Chicago"])("a missing 02:30 runs at 03:00 in both (%s)", (tz) => {
    const start = at("2024-03-08T00:00Z");
    expect(iso(CronSchedule.parse("30 2 * * *", tz).ticksAfter(start, 5))).toEqual(iso(new Cron("30 2 * * *", { timezone: tz }).nextRuns(5, start)));
  });

  it("differs at fall back for a fixed time: croner runs the first 01:30, Dagster and Sluice the second", () => {
    const start = at("2024-11-02T12:00Z");
    expect(new Cron("30 1 * * *", { timezone: "America/Los_Angeles" }).nextRun(start)?.toISOString()).toBe("2024-11-03T08:30:00.000Z");
    expect(CronSchedule.parse("30 1 * * *", "America/Los_Angeles").nextAfter(start).toISOString()).toBe("2024-11-03T09:30:00.000Z");
  });
});
