/**
 * The factories of time-window partitions, as Dagster's HourlyPartitionsDefinition,
 * DailyPartitionsDefinition, WeeklyPartitionsDefinition, MonthlyPartitionsDefinition and
 * TimeWindowPartitionsDefinition. Each validates what it is given and throws a DefinitionError
 * naming the factory, the field and the bad value (the load error then points at the user's line).
 */
import { CronExpression } from "../cron/cron-expression.js";
import { CronSchedule, isValidTimezone } from "../cron/cron-schedule.js";
import { ZoneRules } from "../cron/zone-rules.js";
import { DefinitionError, errorMessage } from "../errors.js";
import { KeyFormat } from "./key-format.js";
import { TimeWindowPartitionsDefinition, type Cadence } from "./time-window-partitions.js";

/** Keys of daily, weekly and monthly partitions: `2025-01-31`. */
export const DATE_FORMAT = "%Y-%m-%d";
/** Keys of hourly partitions: `2025-01-31-13:00`. */
export const HOURLY_FORMAT = "%Y-%m-%d-%H:%M";

/** What every time-window factory takes. */
export interface TimePartitionsSpec {
  /**
   * The first partition starts at the first window boundary at or after this: a string in the
   * keys' format or `YYYY-MM-DD` (local time in `timezone`), or a Date.
   */
  start: string | Date;
  /** No window ends after this (exclusive; same forms as `start`). Default: none. */
  end?: string | Date;
  /** IANA time zone the windows are cut in (default "UTC"). */
  timezone?: string;
  /**
   * 0 (default): the last partition is the last window that has ended. 1 adds the window in
   * progress, -1 drops the last complete one.
   */
  endOffset?: number;
  /** strftime format of the keys: `%Y %m %d %H %M %S %z` (default `%Y-%m-%d`, hourly `%Y-%m-%d-%H:%M`). */
  fmt?: string;
}

/** What `hourlyPartitions()` takes. */
export interface HourlyPartitionsSpec extends TimePartitionsSpec {
  /** Windows start this many minutes past the hour (0-59, default 0). */
  minuteOffset?: number;
}

/** What `dailyPartitions()` takes. */
export interface DailyPartitionsSpec extends HourlyPartitionsSpec {
  /** Windows start at this hour of the day (0-23, default 0). */
  hourOffset?: number;
}

/** What `weeklyPartitions()` takes. */
export interface WeeklyPartitionsSpec extends DailyPartitionsSpec {
  /** Windows start on this weekday (0 = Sunday, the default, to 6 = Saturday). */
  dayOffset?: number;
}

/** What `monthlyPartitions()` takes. */
export interface MonthlyPartitionsSpec extends DailyPartitionsSpec {
  /** Windows start on this day of the month (1, the default, to 31). */
  dayOffset?: number;
}

/** What `timeWindowPartitions()` takes. */
export interface TimeWindowPartitionsSpec extends TimePartitionsSpec {
  /** Window boundaries: every tick of this cron (5 fields) in `timezone`. */
  cron: string;
}

/**
 * One partition per hour (keys `2025-01-31-13:00`).
 * @example
 * const hours = hourlyPartitions({ start: "2025-01-01-00:00", timezone: "Europe/Berlin" });
 */
export function hourlyPartitions(spec: HourlyPartitionsSpec): TimeWindowPartitionsDefinition {
  const minute = offset(spec, "hourlyPartitions", "minuteOffset", 0, 59, 0);
  return build("hourlyPartitions", spec, "hourly", `${minute} * * * *`, HOURLY_FORMAT);
}

/**
 * One partition per day (keys `2025-01-31`), cut at midnight in `timezone` unless offset.
 * @example
 * const days = dailyPartitions({ start: "2025-01-01" });
 * const shifted = dailyPartitions({ start: "2025-01-01", hourOffset: 6, timezone: "America/New_York" });
 */
export function dailyPartitions(spec: DailyPartitionsSpec): TimeWindowPartitionsDefinition {
  const minute = offset(spec, "dailyPartitions", "minuteOffset", 0, 59, 0);
  const hour = offset(spec, "dailyPartitions", "hourOffset", 0, 23, 0);
  return build("dailyPartitions", spec, "daily", `${minute} ${hour} * * *`, DATE_FORMAT);
}

/**
 * One partition per week, starting on Sunday unless `dayOffset` says otherwise (keys are the first day).
 * @example
 * const weeks = weeklyPartitions({ start: "2025-01-05", dayOffset: 1 }); // Monday to Monday
 */
export function weeklyPartitions(spec: WeeklyPartitionsSpec): TimeWindowPartitionsDefinition {
  const minute = offset(spec, "weeklyPartitions", "minuteOffset", 0, 59, 0);
  const hour = offset(spec, "weeklyPartitions", "hourOffset", 0, 23, 0);
  const day = offset(spec, "weeklyPartitions", "dayOffset", 0, 6, 0);
  return build("weeklyPartitions", spec, "weekly", `${minute} ${hour} * * ${day}`, DATE_FORMAT);
}

/**
 * One partition per month, starting on the 1st unless `dayOffset` says otherwise (keys are the first day).
 * @example
 * const months = monthlyPartitions({ start: "2024-01-01" });
 */
export function monthlyPartitions(spec: MonthlyPartitionsSpec): TimeWindowPartitionsDefinition {
  const minute = offset(spec, "monthlyPartitions", "minuteOffset", 0, 59, 0);
  const hour = offset(spec, "monthlyPartitions", "hourOffset", 0, 23, 0);
  const day = offset(spec, "monthlyPartitions", "dayOffset", 1, 31, 1);
  return build("monthlyPartitions", spec, "monthly", `${minute} ${hour} ${day} * *`, DATE_FORMAT);
}

/**
 * Windows between the ticks of any cron (keys formatted with `fmt`: by default the date, and the
 * time too when the cron ticks more than once a day).
 * @example
 * const sixHours = timeWindowPartitions({ cron: "0 *\/6 * * *", start: "2025-01-01-00:00" });
 */
export function timeWindowPartitions(spec: TimeWindowPartitionsSpec): TimeWindowPartitionsDefinition {
  if (typeof spec?.cron !== "string") {
    throw new DefinitionError(`timeWindowPartitions needs cron: a cron string such as "0 */6 * * *", got ${describe(spec?.cron)}.`);
  }
  let expression: CronExpression;
  try {
    expression = CronExpression.parse(spec.cron);
  } catch (err) {
    throw new DefinitionError(`timeWindowPartitions: invalid cron "${spec.cron}": ${errorMessage(err)}.`);
  }
  const subDaily = expression.fields.hours.length > 1 || expression.fields.minutes.length > 1;
  return build("timeWindowPartitions", spec, null, spec.cron, subDaily ? HOURLY_FORMAT : DATE_FORMAT);
}

function build(label: string, spec: TimePartitionsSpec, cadence: Cadence | null, cron: string, defaultFmt: string): TimeWindowPartitionsDefinition {
  if (typeof spec !== "object" || spec === null) throw new DefinitionError(`${label} takes an object such as { start: "2025-01-01" }, got ${describe(spec)}.`);
  const timezone = spec.timezone ?? "UTC";
  if (!isValidTimezone(timezone)) {
    throw new DefinitionError(
      `${label}: unknown time zone ${JSON.stringify(timezone)}. Use an IANA time zone name such as "UTC", "America/Los_Angeles" or "Europe/Berlin".`,
    );
  }
  let format: KeyFormat;
  try {
    format = KeyFormat.parse(spec.fmt ?? defaultFmt);
  } catch (err) {
    throw new DefinitionError(`${label}: ${errorMessage(err)}.`);
  }
  if (cadence === "hourly" && !format.hasField("H")) {
    throw new DefinitionError(`${label}: fmt "${format.fmt}" has no %H, so the hours of a day would share one key. Add %H (the default is "${HOURLY_FORMAT}").`);
  }
  const endOffset = spec.endOffset ?? 0;
  if (!Number.isInteger(endOffset)) throw new DefinitionError(`${label}: endOffset must be a whole number (0, 1, -1...), got ${describe(spec.endOffset)}.`);
  const schedule = CronSchedule.parse(cron, timezone);
  const zone = ZoneRules.for(timezone);
  const start = instantOf(label, "start", spec.start, format, zone);
  const end = spec.end === undefined ? null : instantOf(label, "end", spec.end, format, zone);
  if (end !== null && end <= start) {
    throw new DefinitionError(`${label}: end ${JSON.stringify(textOf(spec.end))} is not after start ${JSON.stringify(textOf(spec.start))}.`);
  }
  const definition = new TimeWindowPartitionsDefinition({
    cadence,
    cron,
    schedule,
    timezone,
    format,
    everyHour: CronExpression.parse(cron).everyHour,
    start,
    end,
    endOffset,
  });
  if (cadence === null || spec.fmt !== undefined) checkDistinctKeys(label, definition, schedule, start);
  return definition;
}

/** A format coarser than the cron (days for a 6-hourly cron) would give two windows one key. */
function checkDistinctKeys(label: string, definition: TimeWindowPartitionsDefinition, schedule: CronSchedule, start: number): void {
  const seen = new Map<string, Date>();
  let t = schedule.nextAfter(new Date(start - 1));
  for (let i = 0; i < 64; i++) {
    const key = definition.keyAt(t);
    if (seen.has(key)) {
      throw new DefinitionError(
        `${label}: fmt "${definition.fmt}" gives the windows starting at ${seen.get(key)!.toISOString()} and ${t.toISOString()} ` +
          `the same key "${key}". Use a finer format (add %H:%M).`,
      );
    }
    seen.set(key, t);
    t = schedule.nextAfter(t);
  }
}

const FALLBACK_FORMATS = ["%Y-%m-%d", "%Y-%m-%d-%H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"].map((f) => KeyFormat.parse(f));
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of a start or end: a Date, a string in the keys' format or a fallback, or ISO with a zone. */
function instantOf(label: string, field: string, value: unknown, format: KeyFormat, zone: ZoneRules): number {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new DefinitionError(`${label}: ${field} is an invalid Date.`);
    return value.getTime();
  }
  if (typeof value === "string") {
    if (ISO_WITH_ZONE.test(value) && !Number.isNaN(Date.parse(value))) return Date.parse(value);
    for (const candidate of [format, ...FALLBACK_FORMATS]) {
      const parsed = candidate.parse(value);
      if (!parsed) continue;
      if (parsed.offset !== null) return parsed.wall - parsed.offset;
      const r = zone.resolve(parsed.wall);
      return r.kind === "single" ? r.at : r.kind === "ambiguous" ? r.earlier : r.end;
    }
  }
  throw new DefinitionError(
    `${label}: ${field} ${JSON.stringify(textOf(value))} is not a valid date. Write it as ${format.human} ` +
      `(e.g. ${JSON.stringify(format.format(Date.UTC(2025, 0, 1), 0))})${format.human === "YYYY-MM-DD" ? "" : " or YYYY-MM-DD"}, or pass a Date.`,
  );
}

function offset(spec: object | null | undefined, label: string, field: "minuteOffset" | "hourOffset" | "dayOffset", min: number, max: number, fallback: number): number {
  const value = (spec as Record<string, unknown> | null | undefined)?.[field];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new DefinitionError(`${label}: ${field} must be a whole number from ${min} to ${max}, got ${describe(value)}.`);
  }
  return value;
}

function textOf(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}
