import { CronSchedule } from "./cron/cron-schedule.js";
import { DefinitionError } from "./errors.js";
import { NAME_PATTERN } from "./job.js";
import { isScheduleDefinition, type ScheduleDefinition } from "./schedule.js";
import { isSensorDefinition, type SensorDefinition } from "./sensor.js";
import { selectAssets } from "./selection/select-assets.js";
import type { AssetGraph } from "./asset-graph.js";

/** A schedule with its cron parsed once (the daemon asks it for ticks every second). */
export interface ResolvedSchedule {
  definition: ScheduleDefinition;
  cron: CronSchedule;
}

/**
 * Checks schedules and sensors: names (unique across both, since `sluice schedule|sensor start`
 * take a name), cron strings and time zones, targets, intervals. Throws DefinitionError naming it.
 */
export function resolveInstigators(
  schedules: readonly ScheduleDefinition[],
  sensors: readonly SensorDefinition[],
  jobNames: ReadonlySet<string>,
  assetGraph: AssetGraph,
): { schedules: Map<string, ResolvedSchedule>; sensors: Map<string, SensorDefinition> } {
  const names = new Set<string>();
  const claim = (name: string, what: string): void => {
    if (!NAME_PATTERN.test(name)) throw new DefinitionError(`${what} name "${name}" is not valid: use letters, digits and "_".`, name);
    if (names.has(name)) throw new DefinitionError(`${what} "${name}": the name is used twice among schedules and sensors. Rename one.`, name);
    names.add(name);
  };
  const checkTarget = (what: string, name: string, jobName: string | undefined, selection: string | undefined, required: boolean): void => {
    if (jobName !== undefined && selection !== undefined) {
      throw new DefinitionError(`${what} "${name}" names both a job and a selection; give one.`, name);
    }
    if (jobName !== undefined && !jobNames.has(jobName)) {
      throw new DefinitionError(`${what} "${name}" targets job "${jobName}", which is not defined. Add it to the jobs of your Definitions.`, name);
    }
    if (selection !== undefined) {
      let keys: string[];
      try {
        keys = selectAssets(selection, assetGraph);
      } catch (err) {
        throw new DefinitionError(`${what} "${name}": its selection is invalid: ${(err as Error).message}`, name);
      }
      if (keys.length === 0) throw new DefinitionError(`${what} "${name}": selection "${selection}" matches no assets.`, name);
    }
    if (required && jobName === undefined && selection === undefined) {
      throw new DefinitionError(`${what} "${name}" has no target: give it a job or a selection.`, name);
    }
  };

  const resolvedSchedules = new Map<string, ResolvedSchedule>();
  schedules.forEach((s, index) => {
    if (!isScheduleDefinition(s)) throw new DefinitionError(`schedules[${index}] is not a schedule. Create schedules with schedule({...}).`);
    claim(s.name, "Schedule");
    checkTarget("Schedule", s.name, s.jobName, s.selection, true);
    if (!Number.isInteger(s.catchUpTicks) || s.catchUpTicks < 1) {
      throw new DefinitionError(`Schedule "${s.name}": catchUpTicks must be a whole number >= 1, got ${String(s.catchUpTicks)}.`, s.name);
    }
    let cron: CronSchedule;
    try {
      cron = CronSchedule.parse(typeof s.cron === "string" ? s.cron : [...s.cron], s.timezone);
    } catch (err) {
      throw new DefinitionError(`Schedule "${s.name}": ${(err as Error).message}`, s.name);
    }
    resolvedSchedules.set(s.name, { definition: s, cron });
  });

  const resolvedSensors = new Map<string, SensorDefinition>();
  sensors.forEach((s, index) => {
    if (!isSensorDefinition(s)) throw new DefinitionError(`sensors[${index}] is not a sensor. Create sensors with sensor({...}).`);
    claim(s.name, "Sensor");
    // A run-status sensor may only watch (send alerts) and launch nothing.
    checkTarget("Sensor", s.name, s.jobName, s.selection, s.sensor.type !== "run_status");
    if (!(Number.isFinite(s.minimumIntervalSeconds) && s.minimumIntervalSeconds > 0)) {
      throw new DefinitionError(`Sensor "${s.name}": minimumIntervalSeconds must be a number > 0, got ${String(s.minimumIntervalSeconds)}.`, s.name);
    }
    if (s.sensor.type === "asset" && !assetGraph.has(s.sensor.assetKey)) {
      throw new DefinitionError(`Sensor "${s.name}" watches asset "${s.sensor.assetKey}", which is not defined.`, s.name);
    }
    if (s.sensor.type === "run_status") {
      for (const watched of s.sensor.monitoredJobs) {
        if (!jobNames.has(watched) && watched !== "__asset_job") {
          throw new DefinitionError(`Sensor "${s.name}" watches job "${watched}", which is not defined.`, s.name);
        }
      }
    }
    resolvedSensors.set(s.name, s);
  });
  return { schedules: resolvedSchedules, sensors: resolvedSensors };
}
