/**
 * Parsing of one 5-field cron string into the sets of values each field allows, with the
 * semantics of the croniter version Dagster vendors (what Dagster accepts, and what it means).
 */

/** Why a cron string is invalid; the caller adds the string itself to the message. */
export class CronSyntaxError extends Error {}

/** A weekday's nth occurrences in a month: 1-5, or "L" for the last one. */
export type NthOccurrence = number | "L";

/** The parsed fields of a 5-field cron string. */
export interface CronFields {
  /** Allowed minutes (0-59), hours (0-23), days of month (1-31), months (1-12), weekdays (0-6, 0 = Sunday). */
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
  /** `L` in day-of-month: the last day of the month. */
  readonly lastDayOfMonth: boolean;
  /** `2#3` (third Tuesday) and `L5` (last Friday) in day-of-week, by weekday. */
  readonly nthWeekdays: ReadonlyMap<number, ReadonlySet<NthOccurrence>>;
  /** Fields that hold a `*` (after `?`, full ranges and the like are normalized as croniter does). */
  readonly domStar: boolean;
  readonly dowStar: boolean;
  /** The hour field is exactly `*`: Dagster then runs at every real instant across DST changes. */
  readonly everyHour: boolean;
}

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** How many distinct values mean "all of them" (croniter then treats the field as `*`). */
  readonly all: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MINUTE = 0;
const HOUR = 1;
const DOM = 2;
const MONTH = 3;
const DOW = 4;

const MONTH_NAMES: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const WEEKDAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const SPECS: readonly FieldSpec[] = [
  { label: "minute", min: 0, max: 59, all: 60 },
  { label: "hour", min: 0, max: 23, all: 24 },
  { label: "day-of-month", min: 1, max: 31, all: 31 },
  { label: "month", min: 1, max: 12, all: 12, names: MONTH_NAMES },
  { label: "day-of-week", min: 0, max: 6, all: 7, names: WEEKDAY_NAMES },
];

/** Shortcuts croniter (and so Dagster) accepts in place of the 5 fields. */
export const CRON_SHORTCUTS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const RANGE_PATTERN = /^([^-]+)-([^-/]+)(\/(\d+))?$/;
const NTH_PATTERN = /^(?:((?:sun|mon|tue|wed|thu|fri|sat)(?:-(?:sun|mon|tue|wed|thu|fri|sat))?|\w+)#(\d+)|l(\d+))$/;
const INT_PATTERN = /^\d+$/;
const MONTH_LENGTHS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_LABELS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

type FieldValue = number | "*" | "L";

interface ExpandedField {
  readonly values: ReadonlySet<FieldValue>;
  readonly nth: Map<number, Set<NthOccurrence>>;
}

/** Parses a cron string; throws CronSyntaxError saying what is wrong. */
export function parseCronFields(expression: string): CronFields {
  const lowered = expression.trim().toLowerCase();
  if (lowered === "") throw new CronSyntaxError("it is empty");
  let text = lowered;
  if (lowered.startsWith("@")) {
    const expanded = CRON_SHORTCUTS[lowered];
    if (!expanded) {
      throw new CronSyntaxError(`unknown shortcut "${expression.trim()}"; use one of ${Object.keys(CRON_SHORTCUTS).join(", ")}`);
    }
    text = expanded;
  }
  const raw = text.split(/\s+/);
  // Messages quote the fields as written; matching uses the lowercased text.
  const written = text === lowered ? expression.trim().split(/\s+/) : raw;
  if (raw.length !== 5) {
    const extra = raw.length === 6 || raw.length === 7 ? "; seconds and year fields are not supported" : "";
    throw new CronSyntaxError(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${raw.length}${extra}`,
    );
  }
  const expanded = raw.map((field, index) => expandField(index, field, raw, written[index]!));
  const nth = expanded[DOW]!.nth;
  if (nth.size > 0) {
    const plain = [...expanded[DOW]!.values].filter((v) => v !== "*" && !nth.has(v as number));
    if (plain.length > 0 && expanded[DOW]!.values.size !== SPECS[DOW]!.all) {
      throw new CronSyntaxError(`day-of-week "${written[DOW]}" mixes plain weekdays with "#" or "L" weekdays, which is not supported`);
    }
  }
  const fields = toCronFields(expanded, nth);
  checkFires(fields, written);
  return fields;
}

function toCronFields(expanded: ExpandedField[], nth: Map<number, Set<NthOccurrence>>): CronFields {
  const numbers = (index: number): number[] => {
    const { values } = expanded[index]!;
    const spec = SPECS[index]!;
    if (values.has("*")) return range(spec.min, spec.max, 1);
    return [...values].filter((v): v is number => typeof v === "number").sort((x, y) => x - y);
  };
  const hourValues = expanded[HOUR]!.values;
  return {
    minutes: numbers(MINUTE),
    hours: numbers(HOUR),
    daysOfMonth: numbers(DOM),
    months: numbers(MONTH),
    daysOfWeek: numbers(DOW),
    lastDayOfMonth: expanded[DOM]!.values.has("L") && !expanded[DOM]!.values.has("*"),
    nthWeekdays: nth,
    domStar: expanded[DOM]!.values.has("*"),
    dowStar: expanded[DOW]!.values.has("*"),
    everyHour: hourValues.size === 1 && hourValues.has("*"),
  };
}

/** Rejects strings that can never fire (Dagster rejects February 30 and 31; other impossible dates fail its iteration). */
function checkFires(fields: CronFields, raw: string[]): void {
  if (!fields.dowStar || fields.nthWeekdays.size > 0 || fields.domStar || fields.lastDayOfMonth) return;
  const fires = fields.months.some((m) => fields.daysOfMonth.some((d) => d <= MONTH_LENGTHS[m - 1]!));
  if (fires) return;
  const days = fields.daysOfMonth.join(",");
  const months = fields.months.map((m) => MONTH_LABELS[m - 1]).join(", ");
  throw new CronSyntaxError(`it never fires: day-of-month ${days} does not exist in ${months} (field "${raw[DOM]}")`);
}

function expandField(index: number, lowered: string, raw: readonly string[], field: string): ExpandedField {
  const spec = SPECS[index]!;
  let text = lowered;
  if (/^[hr](\(\d+-\d+\))?(\/\d+)?$/.test(text)) {
    throw new CronSyntaxError(`${spec.label} "${field}": hashed or random values (H, R) are not supported; write the value explicitly`);
  }
  if (text.includes("?")) {
    if (text !== "?" || (index !== DOM && index !== DOW)) {
      throw new CronSyntaxError(`${spec.label} "${field}": "?" is only allowed alone, in the day-of-month or day-of-week field`);
    }
    text = "*";
  }
  const values = new Set<FieldValue>();
  const nth = new Map<number, Set<NthOccurrence>>();
  const queue = text.split(",");
  while (queue.length > 0) {
    let item = queue.pop()!;
    let occurrence: NthOccurrence | undefined;
    if (index === DOW) {
      const special = NTH_PATTERN.exec(item);
      if (special) {
        if (special[1] !== undefined) {
          item = special[1];
          occurrence = Number(special[2]);
          if (!(occurrence >= 1 && occurrence <= 5)) {
            throw new CronSyntaxError(`day-of-week "${field}": the occurrence after "#" must be 1-5, got ${special[2]}`);
          }
        } else {
          item = special[3]!;
          occurrence = "L";
        }
      }
    }
    const generated = expandRange(index, item, field);
    if (generated) {
      for (const v of generated) queue.push(typeof occurrence === "number" ? `${v}#${occurrence}` : String(v));
      continue;
    }
    const value = singleValue(index, item, field);
    values.add(value);
    if (occurrence !== undefined && typeof value === "number") {
      let set = nth.get(value);
      if (!set) nth.set(value, (set = new Set()));
      set.add(occurrence);
    }
  }
  if (values.size === spec.all) {
    // croniter keeps an explicit full list when the other day field has no `*` (so the OR rule applies).
    const keep = (index === DOM && !raw[DOW]!.includes("*")) || (index === DOW && !raw[DOM]!.includes("*"));
    if (!keep) return { values: new Set(["*"]), nth };
  }
  return { values, nth };
}

/** Expands `a-b`, `a-b/s`, `*\/s` and `a/s`; undefined when `item` is not a range or step. */
function expandRange(index: number, item: string, field: string): number[] | undefined {
  const spec = SPECS[index]!;
  const max = spec.max;
  let match = RANGE_PATTERN.exec(item.replace(/^\*(\/.+)$/, `${spec.min}-${max}$1`));
  if (!match) match = RANGE_PATTERN.exec(item.replace(/^(.+)\/(.+)$/, `$1-${max}/$2`));
  if (!match) return undefined;
  let highText = match[2]!;
  if (index === DOM && highText === "l") highText = "31";
  const low = rangeBound(index, match[1]!, field);
  const high = rangeBound(index, highText, field);
  const step = Number(match[4] ?? "1");
  for (const bound of [low, high]) {
    if (bound > max) throw new CronSyntaxError(`${spec.label} ${outOfRange(index, bound)}`);
  }
  if (step === 0) throw new CronSyntaxError(`${spec.label} "${field}": the step after "/" must be 1 or more`);
  if (low < high) return range(low, high, step);
  // croniter reads `x-x` as the whole cycle ("Sun-Sun" is every day), and `x-y` with x > y as wrapping.
  if (low === high) return range(spec.min, max, step);
  const first = range(low, max, step);
  let skip = 0;
  const last = first[first.length - 1];
  if (last !== undefined) {
    const skippedAtEnd = max - last;
    const position = last - spec.min;
    if (position + step > max - spec.min + 1 && skippedAtEnd < step) skip = step - skippedAtEnd;
  }
  return [...first, ...range(spec.min + skip, high, step)];
}

function rangeBound(index: number, text: string, field: string): number {
  const spec = SPECS[index]!;
  let value: number;
  if (INT_PATTERN.test(text)) value = Number(text);
  else {
    const named = spec.names?.[text];
    if (named === undefined) {
      throw new CronSyntaxError(`${spec.label} "${field}": "${asWritten(text, field)}" is not a number${nameHint(index)}`);
    }
    value = named;
  }
  return index === DOW && value === 7 ? 0 : value;
}

function singleValue(index: number, text: string, field: string): FieldValue {
  const spec = SPECS[index]!;
  if (text === "") throw new CronSyntaxError(`${spec.label} "${field}" has an empty value (check the commas)`);
  if (text.startsWith("-")) throw new CronSyntaxError(`${spec.label} "${field}": negative numbers are not allowed`);
  if (text === "*") return "*";
  if (index === DOM && text === "l") return "L";
  let value: number;
  if (INT_PATTERN.test(text)) value = Number(text);
  else {
    const named = spec.names?.[text];
    if (named === undefined) {
      const hint = text === "l" ? '; "L" is only allowed in day-of-month, or as "L<weekday>" in day-of-week' : nameHint(index);
      throw new CronSyntaxError(`${spec.label} "${field}": "${asWritten(text, field)}" is not a number${hint}`);
    }
    value = named;
  }
  if (index === DOW && value === 7) value = 0;
  if (value < spec.min || value > spec.max) throw new CronSyntaxError(`${spec.label} ${outOfRange(index, value)}`);
  return value;
}

/** `text` as the user wrote it in `field` (matching is done on lowercased text). */
function asWritten(text: string, field: string): string {
  const i = field.toLowerCase().indexOf(text);
  return i >= 0 ? field.slice(i, i + text.length) : text;
}

function outOfRange(index: number, value: number): string {
  const spec = SPECS[index]!;
  const shown = index === DOW ? "0-7" : `${spec.min}-${spec.max}`;
  return `${value} is out of range ${shown}`;
}

function nameHint(index: number): string {
  if (index === MONTH) return " or a month name (JAN-DEC)";
  if (index === DOW) return ' or a weekday name (SUN-SAT), "N#k" or "LN"';
  if (index === DOM) return ' or "L"';
  return "";
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}
