/**
 * UTC offsets of an IANA time zone, read from the runtime's Intl data and cached per zone and
 * year, and the mapping from a local wall-clock time to the instants at which it occurs.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** One change of a zone's UTC offset. */
export interface ZoneTransition {
  /** The first instant (epoch ms) at which the new offset applies. */
  readonly at: number;
  /** Offset (ms, local minus UTC) before `at`. */
  readonly before: number;
  /** Offset (ms, local minus UTC) from `at` on. */
  readonly after: number;
}

/** When a local wall-clock time occurs: once, twice (clocks set back) or never (clocks set forward). */
export type WallTimeResolution =
  | { readonly kind: "single"; readonly at: number }
  | { readonly kind: "ambiguous"; readonly earlier: number; readonly later: number }
  | { readonly kind: "gap"; readonly end: number };

interface YearTable {
  readonly startOffset: number;
  readonly transitions: readonly ZoneTransition[];
}

const validity = new Map<string, boolean>();

/** True when `tz` names an IANA time zone this runtime knows ("UTC", "Europe/Berlin", "US/Pacific"...). */
export function isValidTimezone(tz: string): boolean {
  if (typeof tz !== "string" || tz.trim() === "" || /^[+-]/.test(tz)) return false;
  let valid = validity.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    // Creating a formatter costs about half a millisecond; remember the answer (bounded).
    if (validity.size >= 1000) validity.clear();
    validity.set(tz, valid);
  }
  return valid;
}

const WALL_PATTERN = /^(\d+)\/(\d+)\/(\d+),?\s+(\d+):(\d+):(\d+)$/;

/** Offsets and transitions of one time zone. Get instances with {@link ZoneRules.for}. */
export class ZoneRules {
  private static readonly cache = new Map<string, ZoneRules>();

  /** The rules of `tz`; throws RangeError when the runtime does not know the zone. */
  static for(tz: string): ZoneRules {
    let rules = ZoneRules.cache.get(tz);
    if (!rules) {
      if (!isValidTimezone(tz)) throw new RangeError(`Unknown time zone "${tz}"`);
      rules = new ZoneRules(tz);
      ZoneRules.cache.set(tz, rules);
    }
    return rules;
  }

  readonly name: string;
  private readonly fixedUtc: boolean;
  private readonly format: Intl.DateTimeFormat;
  private readonly years = new Map<number, YearTable>();

  private constructor(name: string) {
    this.name = name;
    this.format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    this.fixedUtc = this.format.resolvedOptions().timeZone === "UTC";
  }

  /** The offset (ms, local minus UTC) in force at the instant `at` (epoch ms). */
  offsetAt(at: number): number {
    if (this.fixedUtc) return 0;
    const table = this.yearTable(new Date(at).getUTCFullYear());
    let offset = table.startOffset;
    for (const t of table.transitions) {
      if (t.at > at) break;
      offset = t.after;
    }
    return offset;
  }

  /** The first transition strictly after `at`, looking at most into the next calendar year. */
  nextTransitionAfter(at: number): ZoneTransition | undefined {
    if (this.fixedUtc) return undefined;
    const year = new Date(at).getUTCFullYear();
    for (const y of [year, year + 1]) {
      for (const t of this.yearTable(y).transitions) if (t.at > at) return t;
    }
    return undefined;
  }

  /** The last transition at or before `at`, looking at most into the previous calendar year. */
  lastTransitionAtOrBefore(at: number): ZoneTransition | undefined {
    if (this.fixedUtc) return undefined;
    const year = new Date(at).getUTCFullYear();
    for (const y of [year, year - 1]) {
      const list = this.yearTable(y).transitions;
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.at <= at) return list[i];
    }
    return undefined;
  }

  /**
   * When the local wall-clock time `wall` (ms since 1970-01-01T00:00 read as local time) occurs.
   * A time inside a spring-forward gap reports the gap's end: the first instant after it.
   */
  resolve(wall: number): WallTimeResolution {
    if (this.fixedUtc) return { kind: "single", at: wall };
    // Any real offset is within ±14 h, so the offsets a day either side bracket every candidate.
    const a = this.offsetAt(wall - DAY_MS);
    const b = this.offsetAt(wall + DAY_MS);
    if (a === b) return { kind: "single", at: wall - a };
    const atA = wall - a;
    const atB = wall - b;
    const validA = this.offsetAt(atA) === a;
    const validB = this.offsetAt(atB) === b;
    if (validA && validB) return { kind: "ambiguous", earlier: Math.min(atA, atB), later: Math.max(atA, atB) };
    if (validA) return { kind: "single", at: atA };
    if (validB) return { kind: "single", at: atB };
    // In a gap the transition lies in (wall - b, wall - a]: its instant is the gap's end.
    const transition = this.nextTransitionAfter(Math.min(atA, atB));
    return { kind: "gap", end: transition ? transition.at : Math.max(atA, atB) };
  }

  /** Local wall-clock time (ms since 1970-01-01T00:00 local) at the instant `at`. */
  wallAt(at: number): number {
    return at + this.offsetAt(at);
  }

  private yearTable(year: number): YearTable {
    let table = this.years.get(year);
    if (!table) {
      table = this.scanYear(year);
      this.years.set(year, table);
    }
    return table;
  }

  /** Samples the offset once a UTC day and bisects each change down to the second. */
  private scanYear(year: number): YearTable {
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const startOffset = this.rawOffset(start);
    const transitions: ZoneTransition[] = [];
    let prevAt = start;
    let prevOffset = startOffset;
    for (let at = start + DAY_MS; at <= end; at += DAY_MS) {
      const offset = this.rawOffset(at);
      if (offset !== prevOffset) {
        let lo = prevAt;
        let hi = at;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (this.rawOffset(mid) === prevOffset) lo = mid;
          else hi = mid;
        }
        transitions.push({ at: hi, before: prevOffset, after: this.rawOffset(hi) });
        prevOffset = offset;
      }
      prevAt = at;
    }
    return { startOffset, transitions };
  }

  private rawOffset(at: number): number {
    const whole = Math.floor(at / 1000) * 1000;
    const text = this.format.format(whole);
    const m = WALL_PATTERN.exec(text);
    let wall: number;
    if (m) {
      wall = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]) % 24, Number(m[5]), Number(m[6]));
    } else {
      const parts: Record<string, number> = {};
      for (const p of this.format.formatToParts(whole)) parts[p.type] = Number(p.value);
      wall = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, (parts.hour ?? 0) % 24, parts.minute ?? 0, parts.second ?? 0);
    }
    return wall - whole;
  }
}
