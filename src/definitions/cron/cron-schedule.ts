/**
 * Tick times of cron schedules in an IANA time zone, with Dagster's daylight-saving rules:
 *
 * - A local time that does not exist (clocks set forward) runs at the first instant after the gap
 *   (02:30 on a spring-forward day in America/Los_Angeles runs at 03:00 PDT), except for schedules
 *   whose hour field is `*`, which simply have no tick in the gap.
 * - A local time that occurs twice (clocks set back) runs once, at its second occurrence, except
 *   for schedules whose hour field is `*`, which run at both.
 *
 * Cron strings follow Dagster (croniter): 5 fields, names (JAN, MON), ranges, steps, lists, `L` in
 * day-of-month, `N#k` and `LN` in day-of-week, Sunday as 0 or 7, `?`, the `@daily`-style shortcuts,
 * and day-of-month OR day-of-week when both are restricted. A list of cron strings ticks at the
 * union of their ticks.
 */
import { DefinitionError } from "../errors.js";
import { CronExpression, CronSyntaxError } from "./cron-expression.js";
import { isValidTimezone, ZoneRules, type WallTimeResolution } from "./zone-rules.js";

export { isValidTimezone };

const MINUTE_MS = 60_000;
/** Longer than any clock change: how far (in wall minutes) one tick's neighbours may interleave. */
const WINDOW_MINUTES = 180;

/**
 * The tick times of one schedule: a cron string (or several) in a time zone.
 *
 * @example
 * const nightly = CronSchedule.parse("30 2 * * *", "America/Los_Angeles");
 * nightly.nextAfter(new Date("2024-03-09T12:00:00Z")); // 2024-03-10T10:00:00Z, i.e. 03:00 PDT
 */
export class CronSchedule {
  /** Parses and validates; throws DefinitionError naming the invalid cron string or time zone. */
  static parse(expression: string | readonly string[], timezone = "UTC"): CronSchedule {
    const list = typeof expression === "string" ? [expression] : [...expression];
    if (list.length === 0) throw new DefinitionError("A cron schedule needs at least one cron string; got an empty list.");
    const crons = list.map((source) => {
      if (typeof source !== "string") throw new DefinitionError(`Invalid cron string ${String(source)}: it is not a string.`);
      try {
        return CronExpression.parse(source);
      } catch (err) {
        if (err instanceof CronSyntaxError) throw new DefinitionError(`Invalid cron string "${source}": ${err.message}.`);
        throw err;
      }
    });
    if (!isValidTimezone(timezone)) {
      throw new DefinitionError(
        `Unknown time zone "${timezone}": use an IANA time zone name such as "UTC", "America/Los_Angeles" or "Europe/Berlin".`,
      );
    }
    return new CronSchedule(list, timezone, crons, ZoneRules.for(timezone));
  }

  /** The cron strings, as given. */
  readonly expressions: readonly string[];
  /** The IANA time zone the cron strings are read in. */
  readonly timezone: string;
  private readonly crons: readonly CronExpression[];
  private readonly zone: ZoneRules;

  private constructor(expressions: string[], timezone: string, crons: CronExpression[], zone: ZoneRules) {
    this.expressions = expressions;
    this.timezone = timezone;
    this.crons = crons;
    this.zone = zone;
  }

  /** The first tick strictly after `after`. */
  nextAfter(after: Date): Date {
    const t = instant(after, "after");
    let best = Infinity;
    for (const cron of this.crons) best = Math.min(best, this.nextOf(cron, t));
    return new Date(best);
  }

  /** The last tick strictly before `before`. */
  previousBefore(before: Date): Date {
    const t = instant(before, "before");
    let best = -Infinity;
    for (const cron of this.crons) best = Math.max(best, this.previousOf(cron, t));
    return new Date(best);
  }

  /** The first `count` ticks strictly after `after`, in order. */
  ticksAfter(after: Date, count: number): Date[] {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number >= 0, got ${count}`);
    const out: Date[] = [];
    let cursor = after;
    while (out.length < count) {
      cursor = this.nextAfter(cursor);
      out.push(cursor);
    }
    return out;
  }

  /** The ticks t with start < t <= end, in order (what a daemon catching up must run). */
  *ticksBetween(start: Date, end: Date): Generator<Date, void, undefined> {
    const last = instant(end, "end");
    let cursor = start;
    for (;;) {
      cursor = this.nextAfter(cursor);
      if (cursor.getTime() > last) return;
      yield cursor;
    }
  }

  /** `"0 9 * * *" in Europe/Berlin`. */
  toString(): string {
    return `${this.expressions.map((e) => JSON.stringify(e)).join(", ")} in ${this.timezone}`;
  }

  /**
   * Ticks are the instants of matching wall times under the DST policy. Instants grow with the wall
   * time, the first and the second occurrences each on their own, so the search scans wall times
   * upward and only looks further ahead when clocks set back may interleave the two occurrences.
   */
  private nextOf(cron: CronExpression, t: number): number {
    let from = Math.floor(this.zone.wallAt(t) / MINUTE_MS);
    const change = this.zone.nextTransitionAfter(t);
    if (change && change.after < change.before && change.at - t <= WINDOW_MINUTES * MINUTE_MS) from -= WINDOW_MINUTES;
    for (let wall = cron.nextWallMinute(from); ; wall = cron.nextWallMinute(wall + 1)) {
      const r = this.zone.resolve(wall * MINUTE_MS);
      if (!cron.everyHour) {
        const at = policyInstant(r);
        if (at > t) return at;
        continue;
      }
      if (r.kind === "gap") continue;
      const [first, second] = occurrences(r);
      if (first > t) return first;
      if (second <= t) continue;
      // t lies between the two occurrences: a later wall time's first occurrence may come sooner.
      for (let next = cron.nextWallMinute(wall + 1); next <= wall + WINDOW_MINUTES; next = cron.nextWallMinute(next + 1)) {
        const rn = this.zone.resolve(next * MINUTE_MS);
        if (rn.kind === "gap") continue;
        const early = occurrences(rn)[0];
        if (early >= second) break;
        if (early > t) return early;
      }
      return second;
    }
  }

  private previousOf(cron: CronExpression, t: number): number {
    let from = Math.floor(this.zone.wallAt(t) / MINUTE_MS);
    const change = this.zone.lastTransitionAtOrBefore(t);
    if (change && change.after < change.before && t - change.at <= WINDOW_MINUTES * MINUTE_MS) from += WINDOW_MINUTES;
    for (let wall = cron.prevWallMinute(from); ; wall = cron.prevWallMinute(wall - 1)) {
      const r = this.zone.resolve(wall * MINUTE_MS);
      if (!cron.everyHour) {
        const at = policyInstant(r);
        if (at < t) return at;
        continue;
      }
      if (r.kind === "gap") continue;
      const [first, second] = occurrences(r);
      if (second < t) return second;
      if (first >= t) continue;
      for (let prev = cron.prevWallMinute(wall - 1); prev >= wall - WINDOW_MINUTES; prev = cron.prevWallMinute(prev - 1)) {
        const rp = this.zone.resolve(prev * MINUTE_MS);
        if (rp.kind === "gap") continue;
        const late = occurrences(rp)[1];
        if (late <= first) break;
        if (late < t) return late;
      }
      return first;
    }
  }
}

/** True when `expression` is a cron string Sluice (and Dagster) accepts. */
export function isValidCron(expression: string): boolean {
  try {
    CronExpression.parse(expression);
    return true;
  } catch {
    return false;
  }
}

/** Daily-or-slower schedules: the second occurrence of a repeated time, the gap's end for a missing one. */
function policyInstant(r: WallTimeResolution): number {
  if (r.kind === "single") return r.at;
  if (r.kind === "ambiguous") return r.later;
  return r.end;
}

function occurrences(r: Exclude<WallTimeResolution, { kind: "gap" }>): [number, number] {
  return r.kind === "single" ? [r.at, r.at] : [r.earlier, r.later];
}

function instant(date: Date, name: string): number {
  const t = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(t)) throw new RangeError(`${name} must be a valid Date`);
  return t;
}
