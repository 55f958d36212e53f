/**
 * A parsed cron string and the search for the local wall-clock times it matches, with no time
 * zone involved: wall times are counted in minutes since 1970-01-01T00:00 on a plain calendar.
 */
import { CronSyntaxError, parseCronFields, type CronFields } from "./cron-fields.js";

export { CronSyntaxError };

const MINUTES_PER_DAY = 1440;
/** Every valid cron string fires within this many years (the rarest: a fifth Friday in February). */
const SEARCH_YEARS = 400;

/** A parsed 5-field cron string. Instances are cached: get them with {@link CronExpression.parse}. */
export class CronExpression {
  private static readonly cache = new Map<string, CronExpression>();
  private static readonly cacheLimit = 10_000;

  /** Parses `source`; throws CronSyntaxError saying what is wrong. */
  static parse(source: string): CronExpression {
    let parsed = CronExpression.cache.get(source);
    if (!parsed) {
      parsed = new CronExpression(source, parseCronFields(source));
      if (CronExpression.cache.size >= CronExpression.cacheLimit) CronExpression.cache.clear();
      CronExpression.cache.set(source, parsed);
    }
    return parsed;
  }

  readonly source: string;
  readonly fields: CronFields;
  private readonly monthOk: boolean[];
  private readonly domOk: boolean[];
  private readonly dowOk: boolean[];
  /** For each minute of the day, the first allowed minute of the day at or after it (-1: none). */
  private readonly nextInDay: Int16Array;
  /** For each minute of the day, the last allowed minute of the day at or before it (-1: none). */
  private readonly prevInDay: Int16Array;

  private constructor(source: string, fields: CronFields) {
    this.source = source;
    this.fields = fields;
    this.monthOk = flags(13, fields.months);
    this.domOk = flags(32, fields.daysOfMonth);
    this.dowOk = flags(7, fields.daysOfWeek);
    const hourOk = flags(24, fields.hours);
    const minuteOk = flags(60, fields.minutes);
    const allowed = (m: number): boolean => hourOk[Math.floor(m / 60)]! && minuteOk[m % 60]!;
    this.nextInDay = new Int16Array(MINUTES_PER_DAY + 1).fill(-1);
    for (let m = MINUTES_PER_DAY - 1; m >= 0; m--) this.nextInDay[m] = allowed(m) ? m : this.nextInDay[m + 1]!;
    this.prevInDay = new Int16Array(MINUTES_PER_DAY).fill(-1);
    for (let m = 0; m < MINUTES_PER_DAY; m++) this.prevInDay[m] = allowed(m) ? m : m > 0 ? this.prevInDay[m - 1]! : -1;
  }

  /** True when Dagster treats the schedule as hourly or finer across DST changes (hour field `*`). */
  get everyHour(): boolean {
    return this.fields.everyHour;
  }

  /** Whether the cron string fires on this calendar day (month 1-12, weekday 0 = Sunday). */
  matchesDay(year: number, month: number, day: number, weekday: number): boolean {
    if (!this.monthOk[month]) return false;
    const f = this.fields;
    const dim = daysInMonth(year, month);
    const domMatch = this.domOk[day]! || (f.lastDayOfMonth && day === dim);
    if (f.nthWeekdays.size > 0) {
      const wanted = f.nthWeekdays.get(weekday);
      const nthMatch = wanted !== undefined && [...wanted].some((n) => (n === "L" ? day + 7 > dim : Math.ceil(day / 7) === n));
      // croniter: with "#"/"L" weekdays the day-of-month field only narrows when day-of-week also holds a `*`.
      return f.dowStar && !f.domStar ? domMatch && nthMatch : nthMatch;
    }
    if (f.domStar && f.dowStar) return true;
    if (f.domStar) return this.dowOk[weekday]!;
    if (f.dowStar) return domMatch;
    // Both restricted: standard cron fires when either matches.
    return domMatch || this.dowOk[weekday]!;
  }

  /** The first matching wall minute at or after `from` (minutes since 1970-01-01T00:00). */
  nextWallMinute(from: number): number {
    let day = Math.floor(from / MINUTES_PER_DAY);
    let minute = from - day * MINUTES_PER_DAY;
    let { year, month, date } = civil(day);
    let weekday = weekdayOf(day);
    let dim = daysInMonth(year, month);
    const lastYear = year + SEARCH_YEARS;
    while (year <= lastYear) {
      if (!this.monthOk[month]) {
        day += dim - date + 1;
        weekday = (weekday + dim - date + 1) % 7;
        date = 1;
        month += 1;
        if (month > 12) (month = 1), (year += 1);
        dim = daysInMonth(year, month);
        minute = 0;
        continue;
      }
      if (this.matchesDay(year, month, date, weekday)) {
        const hit = this.nextInDay[minute]!;
        if (hit >= 0) return day * MINUTES_PER_DAY + hit;
      }
      day += 1;
      weekday = (weekday + 1) % 7;
      minute = 0;
      date += 1;
      if (date > dim) {
        date = 1;
        month += 1;
        if (month > 12) (month = 1), (year += 1);
        dim = daysInMonth(year, month);
      }
    }
    throw new Error(`cron "${this.source}" does not fire within ${SEARCH_YEARS} years`);
  }

  /** The last matching wall minute at or before `from` (minutes since 1970-01-01T00:00). */
  prevWallMinute(from: number): number {
    let day = Math.floor(from / MINUTES_PER_DAY);
    let minute = from - day * MINUTES_PER_DAY;
    let { year, month, date } = civil(day);
    let weekday = weekdayOf(day);
    const firstYear = year - SEARCH_YEARS;
    while (year >= firstYear) {
      if (!this.monthOk[month]) {
        day -= date;
        weekday = (((weekday - date) % 7) + 7) % 7;
        month -= 1;
        if (month < 1) (month = 12), (year -= 1);
        date = daysInMonth(year, month);
        minute = MINUTES_PER_DAY - 1;
        continue;
      }
      if (this.matchesDay(year, month, date, weekday)) {
        const hit = this.prevInDay[minute]!;
        if (hit >= 0) return day * MINUTES_PER_DAY + hit;
      }
      day -= 1;
      weekday = (weekday + 6) % 7;
      minute = MINUTES_PER_DAY - 1;
      date -= 1;
      if (date < 1) {
        month -= 1;
        if (month < 1) (month = 12), (year -= 1);
        date = daysInMonth(year, month);
      }
    }
    throw new Error(`cron "${this.source}" did not fire within ${SEARCH_YEARS} years before`);
  }
}

function flags(size: number, values: readonly number[]): boolean[] {
  const out = new Array<boolean>(size).fill(false);
  for (const v of values) out[v] = true;
  return out;
}

function civil(day: number): { year: number; month: number; date: number } {
  const d = new Date(day * 86_400_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, date: d.getUTCDate() };
}

/** 0 = Sunday; day 0 (1970-01-01) was a Thursday. */
function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
