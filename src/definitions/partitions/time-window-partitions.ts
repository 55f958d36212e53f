import { CronSchedule } from "../cron/cron-schedule.js";
import { ZoneRules } from "../cron/zone-rules.js";
import { PartitionError } from "../errors.js";
import type { KeyFormat } from "./key-format.js";
import { PARTITIONS_BRAND, type PartitionsBase, type TimeWindow, type TimeWindowPartitionsSnapshot } from "./partitions-definition.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The named cadences, each a cron Dagster's factories build; null for any other cron. */
export type Cadence = "hourly" | "daily" | "weekly" | "monthly";

/** Everything a time-window partitions definition is made of, validated (see the factories). */
export interface TimeWindowSettings {
  cadence: Cadence | null;
  cron: string;
  /** The cron in its time zone, parsed. */
  schedule: CronSchedule;
  timezone: string;
  format: KeyFormat;
  /** Whether the cron's hour field is `*`: the second run of a repeated hour then gets its own key. */
  everyHour: boolean;
  /** The given start (epoch ms); the first window starts at the first tick at or after it. */
  start: number;
  /** Exclusive end (epoch ms): no window ends after it. */
  end: number | null;
  endOffset: number;
}

/**
 * Partitions that are windows of time between consecutive ticks of a cron in a time zone (as
 * Dagster's TimeWindowPartitionsDefinition). A key is the start of its window, formatted with
 * `fmt`. The first window starts at the first tick at or after `start`; the last one is the last
 * that has ended by now (`endOffset: 1` adds the one in progress, `-1` drops the last complete
 * one), and none ends after `end`. Daylight-saving changes follow the cron rules: a daily window
 * may last 23 or 25 hours, and an hourly definition has two keys for a repeated hour, the second
 * carrying its UTC offset (`2024-11-03-01:00-0800`).
 * Create it with `hourlyPartitions()`, `dailyPartitions()`, `weeklyPartitions()`,
 * `monthlyPartitions()` or `timeWindowPartitions()`.
 */
export class TimeWindowPartitionsDefinition implements PartitionsBase {
  readonly [PARTITIONS_BRAND] = true as const;
  readonly type = "time_window" as const;
  readonly cadence: Cadence | null;
  readonly cron: string;
  readonly timezone: string;
  /** strftime format of the keys (`%Y-%m-%d`). */
  readonly fmt: string;
  /** The start as given. */
  readonly start: Date;
  /** The exclusive end, or null. */
  readonly end: Date | null;
  readonly endOffset: number;
  readonly id: string;
  private readonly schedule: CronSchedule;
  private readonly zone: ZoneRules;
  private readonly format: KeyFormat;
  private readonly everyHour: boolean;
  private readonly endMs: number | null;
  /** Start of the first window (epoch ms). */
  private readonly firstStart: number;
  /**
   * The keys listed last, up to the tick `end`: listing keys costs a cron step and a formatted date
   * per window (about 0.3 s for 100,000 hourly windows), and a health bar or a backfill asks again
   * and again for nearly the same list.
   */
  private listed: { end: number; keys: string[] } | undefined;

  /** Use the factories (`dailyPartitions()`...), which validate what they are given. */
  constructor(settings: TimeWindowSettings) {
    this.cadence = settings.cadence;
    this.cron = settings.cron;
    this.timezone = settings.timezone;
    this.fmt = settings.format.fmt;
    this.start = new Date(settings.start);
    this.end = settings.end === null ? null : new Date(settings.end);
    this.endOffset = settings.endOffset;
    this.schedule = settings.schedule;
    this.zone = ZoneRules.for(settings.timezone);
    this.format = settings.format;
    this.everyHour = settings.everyHour;
    this.endMs = settings.end;
    this.firstStart = this.next(settings.start - 1);
    this.id = JSON.stringify(["time_window", this.cron, this.timezone, this.fmt, this.firstStart, this.endMs, this.endOffset]);
  }

  keys(now: Date = new Date()): string[] {
    const last = this.lastEnd(now);
    const cached = this.listed;
    if (cached && cached.end === last) return cached.keys.slice();
    if (cached && cached.end < last) {
      // Time only adds windows at the end: list the new ones after those listed before.
      for (let t = cached.end; t < last; t = this.next(t)) cached.keys.push(this.keyOf(t));
      cached.end = last;
      return cached.keys.slice();
    }
    const keys: string[] = [];
    for (let t = this.firstStart; t < last; t = this.next(t)) keys.push(this.keyOf(t));
    this.listed = { end: last, keys };
    return keys.slice();
  }

  has(key: string, now: Date = new Date()): boolean {
    const t = this.windowStartOf(key);
    return t !== undefined && t >= this.firstStart && t < this.lastEnd(now);
  }

  count(now: Date = new Date()): number {
    const last = this.lastEnd(now);
    if (last <= this.firstStart) return 0;
    if (this.cadence === "hourly") return this.countHourly(this.firstStart, last);
    // A daily cron ticks once on every local calendar day.
    if (this.cadence === "daily") return Math.round((dayOf(this.zone.wallAt(last)) - dayOf(this.zone.wallAt(this.firstStart))) / DAY_MS);
    let n = 0;
    for (let t = this.firstStart; t < last; t = this.next(t)) n++;
    return n;
  }

  firstKey(now: Date = new Date()): string | undefined {
    return this.lastEnd(now) > this.firstStart ? this.keyOf(this.firstStart) : undefined;
  }

  lastKey(now: Date = new Date()): string | undefined {
    const last = this.lastEnd(now);
    return last > this.firstStart ? this.keyOf(this.prev(last)) : undefined;
  }

  /**
   * The window of a key: its start and its end. Throws PartitionError when the key is not written
   * in this definition's format or does not start a window (the range is not checked: a window
   * that has not ended yet has a time window too).
   */
  timeWindow(key: string): TimeWindow {
    const start = this.windowStartOf(key);
    if (start === undefined) throw new PartitionError(this.keyShapeProblem(key), key);
    return { start: new Date(start), end: new Date(this.next(start)) };
  }

  /** The key of the window that contains `instant` (whether or not that window has ended). */
  keyAt(instant: Date): string {
    return this.keyOf(this.atOrBefore(instant.getTime()));
  }

  /** The keys from `first` to `last`, both included, in order; throws PartitionError naming a key that does not exist. */
  keysBetween(first: string, last: string, now: Date = new Date()): string[] {
    for (const key of [first, last]) {
      const problem = this.explainInvalid(key, now);
      if (problem) throw new PartitionError(problem, key);
    }
    const from = this.windowStartOf(first)!;
    const to = this.windowStartOf(last)!;
    if (from > to) throw new PartitionError(`Partition range "${first}...${last}" is backwards: "${first}" comes after "${last}".`, `${first}...${last}`);
    const out: string[] = [];
    for (let t = from; t <= to; t = this.next(t)) out.push(this.keyOf(t));
    return out;
  }

  /**
   * Keys of the windows that overlap the interval [`start`, `end`) and exist at `now`, in order:
   * visits only those windows, never the whole definition.
   */
  keysOverlapping(start: Date, end: Date, now: Date = new Date()): string[] {
    const to = Math.min(end.getTime(), this.lastEnd(now));
    const out: string[] = [];
    for (let t = Math.max(this.atOrBefore(start.getTime()), this.firstStart); t < to; t = this.next(t)) out.push(this.keyOf(t));
    return out;
  }

  /**
   * The window `n` windows after the window of `key` (before it for a negative `n`), whether or
   * not that window exists at any time. Throws PartitionError when `key` is not a key of this
   * definition's format.
   */
  shiftedWindow(key: string, n: number): TimeWindow {
    let t = this.windowStartOf(key);
    if (t === undefined) throw new PartitionError(this.keyShapeProblem(key), key);
    for (let i = 0; i < n; i++) t = this.next(t);
    for (let i = 0; i > n; i--) t = this.prev(t);
    return { start: new Date(t), end: new Date(this.next(t)) };
  }

  explainInvalid(key: string, now: Date = new Date()): string | undefined {
    const start = this.windowStartOf(key);
    const last = this.lastEnd(now);
    if (start === undefined) return `${this.keyShapeProblem(key)} ${this.validRange(now)}`;
    if (start < this.firstStart) return `Partition "${key}" is before the first partition of ${this.describe()}. ${this.validRange(now)}`;
    if (start >= last) {
      const windowEnd = this.next(start);
      const why =
        this.endMs !== null && windowEnd > this.endMs
          ? `it ends after the end of ${this.describe()}`
          : `its window ends at ${new Date(windowEnd).toISOString()}, and a time partition exists once its window has ended ` +
            `(endOffset: 1 adds the window in progress)`;
      return `Partition "${key}" does not exist yet as of ${now.toISOString()}: ${why}. ${this.validRange(now)}`;
    }
    return undefined;
  }

  sortKeys(keys: readonly string[]): string[] {
    const starts = new Map(keys.map((k) => [k, this.windowStartOf(k) ?? Infinity]));
    return [...keys].sort((a, b) => starts.get(a)! - starts.get(b)!);
  }

  describe(): string {
    const name = this.cadence ? `${this.cadence} partitions` : `time-window partitions on cron "${this.cron}"`;
    const customCron = this.cadence && this.cron !== DEFAULT_CRON[this.cadence] ? `, cron "${this.cron}"` : "";
    const end = this.endMs !== null ? ` until ${this.keyOf(this.atOrBefore(this.endMs))}` : "";
    const offset = this.endOffset !== 0 ? `, endOffset ${this.endOffset}` : "";
    return `${name} from "${this.keyOf(this.firstStart)}"${end} (${this.timezone}${customCron}${offset})`;
  }

  toSnapshot(now: Date = new Date()): TimeWindowPartitionsSnapshot {
    return {
      type: "time_window",
      cadence: this.cadence,
      cron: this.cron,
      timezone: this.timezone,
      fmt: this.fmt,
      start: this.start.toISOString(),
      end: this.end ? this.end.toISOString() : null,
      endOffset: this.endOffset,
      count: this.count(now),
      firstKey: this.firstKey(now) ?? null,
      lastKey: this.lastKey(now) ?? null,
    };
  }

  /**
   * Ticks of an hourly cron in [from, to) without visiting them: an every-hour cron ticks at each
   * instant whose wall time has its minute, so between two offset changes the ticks are an hour
   * apart, in phase with the offset (zones that shift by 30 minutes, like Lord Howe, included).
   */
  private countHourly(from: number, to: number): number {
    const minute = Number(this.cron.split(/\s+/)[0]);
    let n = 0;
    for (let start = from; start < to; ) {
      const change = this.zone.nextTransitionAfter(start);
      // No change within a year or two: the offset holds at least that long (look again after it).
      const horizon = Date.UTC(new Date(start).getUTCFullYear() + 2, 0, 1);
      const end = Math.min(to, change ? change.at : horizon);
      const phase = (((minute * 60_000 - this.zone.offsetAt(start)) % HOUR_MS) + HOUR_MS) % HOUR_MS;
      n += Math.ceil((end - phase) / HOUR_MS) - Math.ceil((start - phase) / HOUR_MS);
      start = end;
    }
    return n;
  }

  /** The key of the window starting at tick `t`. */
  private keyOf(t: number): string {
    const offset = this.zone.offsetAt(t);
    const wall = t + offset;
    if (this.everyHour && !this.format.hasField("z")) {
      const r = this.zone.resolve(wall);
      // Dagster's rule: the second occurrence of a repeated wall time carries its UTC offset.
      if (r.kind === "ambiguous" && r.later === t) return this.format.formatWithOffset(wall, offset);
    }
    return this.format.format(wall, offset);
  }

  /** The tick a key names, or undefined when the text does not name the start of a window. */
  private windowStartOf(key: string): number | undefined {
    const parsed = this.format.parse(key);
    if (!parsed) return undefined;
    let instant: number;
    if (parsed.offset !== null) {
      instant = parsed.wall - parsed.offset;
    } else {
      const r = this.zone.resolve(parsed.wall);
      instant = r.kind === "single" ? r.at : r.kind === "ambiguous" ? r.earlier : r.end;
    }
    // A format coarser than the cron (days for a 06:00 daily cron) names the first tick at or after it.
    const tick = this.next(instant - 1);
    return this.keyOf(tick) === key ? tick : undefined;
  }

  private keyShapeProblem(key: string): string {
    const parsed = this.format.parse(key);
    if (!parsed) return `Partition "${key}" is not a key of ${this.describe()}: keys are written ${this.format.human} (e.g. "${this.keyOf(this.firstStart)}").`;
    return `Partition "${key}" does not start a window of ${this.describe()}: the window around it is "${this.keyAt(new Date(parsed.wall - this.zone.offsetAt(parsed.wall)))}".`;
  }

  private validRange(now: Date): string {
    const n = this.count(now);
    if (n === 0) {
      return `There are no partitions yet as of ${now.toISOString()}: the first window, "${this.keyOf(this.firstStart)}", ends at ${new Date(this.next(this.firstStart)).toISOString()}.`;
    }
    return `Valid keys run from "${this.firstKey(now)}" to "${this.lastKey(now)}" (${n} partition${n === 1 ? "" : "s"}).`;
  }

  /** End of the last window that exists at `now` (a tick; <= firstStart when there is none). */
  private lastEnd(now: Date): number {
    let end = this.atOrBefore(now.getTime());
    for (let i = 0; i < this.endOffset; i++) end = this.next(end);
    if (this.endMs !== null) end = Math.min(end, this.atOrBefore(this.endMs));
    // As Dagster: a negative offset drops windows after the end has been applied.
    for (let i = 0; i < -this.endOffset; i++) end = this.prev(end);
    return end;
  }

  private next(t: number): number {
    return this.schedule.nextAfter(new Date(t)).getTime();
  }

  private prev(t: number): number {
    return this.schedule.previousBefore(new Date(t)).getTime();
  }

  private atOrBefore(t: number): number {
    return this.prev(t + 1);
  }
}

/** The cron each cadence uses without offsets. */
export const DEFAULT_CRON: Record<Cadence, string> = {
  hourly: "0 * * * *",
  daily: "0 0 * * *",
  weekly: "0 0 * * 0",
  monthly: "0 0 1 * *",
};

function dayOf(wall: number): number {
  return Math.floor(wall / DAY_MS) * DAY_MS;
}
