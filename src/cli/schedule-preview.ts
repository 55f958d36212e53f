import type { Command } from "commander";
import { CronSchedule } from "../definitions/cron/cron-schedule.js";
import { DefinitionError, UsageError } from "../definitions/errors.js";

/** Ticks `schedule preview` prints when `--count` is not given. */
export const DEFAULT_PREVIEW_COUNT = 5;
/** The most ticks `schedule preview` prints. */
export const MAX_PREVIEW_COUNT = 1000;

/** What `schedule preview` needs to compute ticks. */
export interface PreviewOptions {
  /** A cron string, or several (the schedule ticks at the union of their ticks). */
  cron: string | readonly string[];
  /** IANA time zone the cron strings are read in; default UTC. */
  timezone?: string;
  /** ISO 8601 date-time; ticks strictly after it are listed. Without an offset it is read as UTC. Default: now. */
  after?: string;
  /** How many ticks, a whole number 1..1000; default 5. */
  count?: number;
}

/** How a named schedule is found: its cron string(s) and time zone. */
export type ScheduleLookup = (
  name: string,
  flags: { file?: string; module?: string },
) => Promise<{ cron: string | readonly string[]; timezone: string }>;

/**
 * The next tick times of a cron schedule, as UTC `YYYY-MM-DDTHH:MM:SSZ` lines. Throws UsageError
 * for a bad `after` or `count`, DefinitionError for a bad cron string or time zone.
 *
 * @example
 * previewTicks({ cron: "30 2 * * *", timezone: "America/Los_Angeles", after: "2024-03-09T12:00:00Z", count: 2 });
 * // ["2024-03-10T10:00:00Z", "2024-03-11T09:30:00Z"]: 02:30 does not exist on March 10, so 03:00 PDT
 */
export function previewTicks(options: PreviewOptions): string[] {
  const count = options.count ?? DEFAULT_PREVIEW_COUNT;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW_COUNT) {
    throw new UsageError(`--count must be a whole number from 1 to ${MAX_PREVIEW_COUNT}, got ${String(count)}.`);
  }
  const after = options.after === undefined ? new Date() : parseIsoInstant(options.after);
  const schedule = CronSchedule.parse(options.cron, options.timezone ?? "UTC");
  return schedule.ticksAfter(after, count).map(formatTick);
}

/** `2024-03-10T10:00:00Z`: a tick in UTC, to the second. */
export function formatTick(tick: Date): string {
  return `${tick.toISOString().slice(0, 19)}Z`;
}

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Reads `--after`: `2024-03-10`, `2024-03-10T09:30`, `2024-03-10T09:30:00.5`, each optionally
 * followed by `Z` or an offset (`+01:00`, `-0800`, `+05`). Without an offset the time is UTC.
 */
export function parseIsoInstant(text: string): Date {
  const m = ISO_PATTERN.exec(text.trim());
  const bad = (why: string): UsageError =>
    new UsageError(
      `--after "${text}" ${why}. Use ISO 8601, e.g. 2024-03-10T09:30:00Z or 2024-03-10T01:30:00-08:00 ` +
        `(without an offset the time is read as UTC).`,
    );
  if (!m) throw bad("is not an ISO 8601 date-time");
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number, number, number, number, number, number,
  ];
  if (month < 1 || month > 12) throw bad(`has month ${month}`);
  const monthDays = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > monthDays) throw bad(`has day ${day}, but that month has ${monthDays} days`);
  if (hour > 23 || minute > 59 || second > 59) throw bad("has a time of day out of range");
  const fraction = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || "0");
    if (hours > 23 || minutes > 59) throw bad(`has an offset out of range (${zone})`);
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (hours * 60 + minutes);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, fraction);
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}

interface PreviewFlags {
  file?: string;
  module?: string;
  cron?: string;
  timezone?: string;
  after?: string;
  count?: string;
}

/**
 * Adds `preview [NAME]` to the `schedule` command: `sluice schedule preview NAME [-f|-m]` or
 * `sluice schedule preview --cron EXPR [--timezone TZ]`, both with `[--after ISO] [--count N]`.
 * Prints one tick per line on stdout and nothing else.
 */
export function registerSchedulePreview(scheduleCommand: Command, lookup: ScheduleLookup): void {
  scheduleCommand
    .command("preview")
    .description("tick times strictly after --after (default: now), one per line, in UTC")
    .argument("[name]", "schedule name (or give --cron instead)")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--cron <expr>", "a cron string to preview instead of a named schedule")
    .option("--timezone <tz>", "IANA time zone of --cron (default: UTC)")
    .option("--after <iso>", "ISO 8601 date-time; without an offset it is UTC (default: now)")
    .option("--count <n>", `how many ticks, 1 to ${MAX_PREVIEW_COUNT} (default: ${DEFAULT_PREVIEW_COUNT})`)
    .action(async (name: string | undefined, flags: PreviewFlags) => {
      if ((name === undefined) === (flags.cron === undefined)) {
        throw new UsageError("schedule preview needs exactly one of NAME or --cron EXPR.");
      }
      if (name !== undefined && flags.timezone !== undefined) {
        throw new UsageError(`--timezone goes with --cron; schedule "${name}" uses its own time zone.`);
      }
      if (flags.cron !== undefined && (flags.file !== undefined || flags.module !== undefined)) {
        throw new UsageError("-f/--file and -m/--module load a named schedule; --cron needs no definitions.");
      }
      const count = flags.count === undefined ? undefined : parseCount(flags.count);
      let lines: string[];
      if (name !== undefined) {
        const found = await lookup(name, { file: flags.file, module: flags.module });
        try {
          lines = previewTicks({ cron: found.cron, timezone: found.timezone, after: flags.after, count });
        } catch (err) {
          if (err instanceof DefinitionError) throw new DefinitionError(`Schedule "${name}": ${err.message}`, name);
          throw err;
        }
      } else {
        lines = previewTicks({ cron: flags.cron!, timezone: flags.timezone, after: flags.after, count });
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}

function parseCount(text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) {
    throw new UsageError(`--count must be a whole number from 1 to ${MAX_PREVIEW_COUNT}, got "${text}".`);
  }
  return Number(text);
}
