import { DefinitionError } from "../errors.js";
import type { PartitionsDefinition } from "./partitions-definition.js";

/** Offsets of a schedule within each partition window (see `partitionedSchedule()`). */
export interface ScheduleOffsets {
  minuteOfHour?: number | undefined;
  hourOfDay?: number | undefined;
  dayOfWeek?: number | undefined;
  dayOfMonth?: number | undefined;
}

/**
 * The cron and time zone of a schedule built from a job's time-window partitions (Dagster's
 * `get_cron_schedule`): the partitions' own cron, with the given offsets replacing its minute,
 * hour, weekday or day of month. Throws DefinitionError naming the schedule when the target has
 * no time-window partitions, when its cron is custom and offsets are given, or for an offset the
 * cadence has no use for (an hour for hourly partitions) or out of range.
 */
export function partitionedScheduleCron(schedule: string, partitions: PartitionsDefinition | undefined, offsets: ScheduleOffsets): { cron: string; timezone: string } {
  if (partitions?.type === "dynamic" || (partitions?.type === "multi" && partitions.dimensions.some((d) => d.partitions.type === "dynamic"))) {
    throw new DefinitionError(
      `Schedule "${schedule}" is a partitioned schedule, but its job has ${partitions.describe()}, whose keys are added at run time: ` +
        `there is no last complete partition to run on a cadence (Dagster refuses build_schedule_from_partitioned_job on dynamic partitions too). ` +
        `Launch runs of new keys from a sensor that adds them (dynamicPartitionsRequests), or use schedule({ cron, execute }) returning { partitionKey }.`,
      schedule,
    );
  }
  if (!partitions || partitions.type !== "time_window") {
    const what = partitions ? `has ${partitions.describe()}` : "has no partitioned assets";
    throw new DefinitionError(
      `Schedule "${schedule}" is a partitioned schedule, but its job ${what}. partitionedSchedule() needs a job whose ` +
        `assets have time-window partitions (daily, hourly...); for other partitions use schedule({ cron, execute }) returning { partitionKey }.`,
      schedule,
    );
  }
  const given = Object.entries(offsets).filter(([, v]) => v !== undefined);
  if (given.length === 0) return { cron: partitions.cron, timezone: partitions.timezone };
  const cadence = partitions.cadence;
  if (cadence === null) {
    throw new DefinitionError(
      `Schedule "${schedule}": its partitions tick on the custom cron "${partitions.cron}", which takes no ${given.map(([k]) => k).join(", ")}. ` +
        `Leave the offsets out, or use schedule({ cron }) with the ticks you want.`,
      schedule,
    );
  }
  const allowed: Record<string, string[]> = {
    hourly: ["minuteOfHour"],
    daily: ["minuteOfHour", "hourOfDay"],
    weekly: ["minuteOfHour", "hourOfDay", "dayOfWeek"],
    monthly: ["minuteOfHour", "hourOfDay", "dayOfMonth"],
  };
  for (const [name] of given) {
    if (!allowed[cadence]!.includes(name)) {
      throw new DefinitionError(`Schedule "${schedule}": ${name} does not apply to ${cadence} partitions (they take ${allowed[cadence]!.join(", ")}).`, schedule);
    }
  }
  const [minute, hour, dom, , dow] = partitions.cron.split(/\s+/) as [string, string, string, string, string];
  const field = (name: keyof ScheduleOffsets, min: number, max: number, fallback: string): string => {
    const value = offsets[name];
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new DefinitionError(`Schedule "${schedule}": ${name} must be a whole number from ${min} to ${max}, got ${String(value)}.`, schedule);
    }
    return String(value);
  };
  const m = field("minuteOfHour", 0, 59, minute);
  const h = cadence === "hourly" ? "*" : field("hourOfDay", 0, 23, hour);
  const d = cadence === "monthly" ? field("dayOfMonth", 1, 31, dom) : "*";
  const w = cadence === "weekly" ? field("dayOfWeek", 0, 6, dow) : "*";
  return { cron: `${m} ${h} ${d} * ${w}`, timezone: partitions.timezone };
}
