import type { AssetDefinition } from "./asset.js";
import { CronSchedule } from "./cron/cron-schedule.js";
import { executableAssetKeys } from "./external-assets.js";
import { DefinitionError, errorMessage } from "./errors.js";
import { NAME_PATTERN } from "./job.js";
import type { ResolvedJob } from "./job-validation.js";
import { partitionsOf } from "./partitions/partition-checks.js";
import type { PartitionsDefinition } from "./partitions/partitions-definition.js";
import type { ResourceDefinition } from "./resource.js";
import { partitionedScheduleCron } from "./partitions/partitioned-schedule-cron.js";
import { isScheduleDefinition, type ScheduleDefinition } from "./schedule.js";
import { isSensorDefinition, type SensorDefinition } from "./sensor.js";
import { FreshnessStatus } from "./freshness-policy.js";
import { refuseStatus, selectAssets } from "./selection/select-assets.js";
import type { AssetGraph } from "./asset-graph.js";

/** A schedule with its cron parsed once (the daemon asks it for ticks every second). */
export interface ResolvedSchedule {
  definition: ScheduleDefinition;
  /** The cron (for `partitionedSchedule()`, derived from its job's partitions) in its time zone. */
  cron: CronSchedule;
  /** The partitions of the schedule's target, if it has partitioned assets. */
  partitions: PartitionsDefinition | undefined;
}

/**
 * Checks schedules and sensors: names (unique across both, since `sluice schedule|sensor start`
 * take a name), cron strings and time zones, targets, intervals, and partitioned targets (a
 * partitioned schedule needs a job with time-window partitions). Throws DefinitionError naming it.
 */
export function resolveInstigators(
  schedules: readonly ScheduleDefinition[],
  sensors: readonly SensorDefinition[],
  jobs: ReadonlyMap<string, ResolvedJob>,
  assetGraph: AssetGraph,
  assets: ReadonlyMap<string, AssetDefinition> = new Map(),
): { schedules: Map<string, ResolvedSchedule>; sensors: Map<string, SensorDefinition> } {
  const jobNames = new Set(jobs.keys());
  const names = new Set<string>();
  const claim = (name: string, what: string): void => {
    if (!NAME_PATTERN.test(name)) throw new DefinitionError(`${what} name "${name}" is not valid: use letters, digits and "_".`, name);
    if (names.has(name)) throw new DefinitionError(`${what} "${name}": the name is used twice among schedules and sensors. Rename one.`, name);
    names.add(name);
  };
  const checkTarget = (what: string, name: string, jobName: string | undefined, selection: string | undefined, required: boolean): PartitionsDefinition | undefined => {
    if (jobName !== undefined && selection !== undefined) {
      throw new DefinitionError(`${what} "${name}" names both a job and a selection; give one.`, name);
    }
    if (jobName !== undefined && !jobNames.has(jobName)) {
      throw new DefinitionError(`${what} "${name}" targets job "${jobName}", which is not defined. Add it to the jobs of your Definitions.`, name);
    }
    if (selection !== undefined) {
      let keys: string[];
      try {
        keys = selectAssets(selection, assetGraph, { statusOf: refuseStatus(`a ${what.toLowerCase()}'s selection`) });
      } catch (err) {
        throw new DefinitionError(`${what} "${name}": its selection is invalid: ${errorMessage(err)}`, name);
      }
      if (keys.length === 0) throw new DefinitionError(`${what} "${name}": selection "${selection}" matches no assets.`, name);
      try {
        // Its runs would be refused at every tick: say so at load.
        keys = executableAssetKeys(assets, keys);
      } catch (err) {
        throw new DefinitionError(`${what} "${name}": ${errorMessage(err)} To observe observable source assets on a ${what.toLowerCase()}, target an assetJob() of them.`, name);
      }
      try {
        return partitionsOf(assets, keys);
      } catch (err) {
        throw new DefinitionError(`${what} "${name}": ${errorMessage(err)}`, name);
      }
    }
    if (required && jobName === undefined && selection === undefined) {
      throw new DefinitionError(`${what} "${name}" has no target: give it a job or a selection.`, name);
    }
    return jobName !== undefined ? jobs.get(jobName)?.partitions : undefined;
  };

  const resolvedSchedules = new Map<string, ResolvedSchedule>();
  schedules.forEach((s, index) => {
    if (!isScheduleDefinition(s)) throw new DefinitionError(`schedules[${index}] is not a schedule. Create schedules with schedule({...}).`);
    claim(s.name, "Schedule");
    const partitions = checkTarget("Schedule", s.name, s.jobName, s.selection, true);
    if (!Number.isInteger(s.catchUpTicks) || s.catchUpTicks < 1) {
      throw new DefinitionError(`Schedule "${s.name}": catchUpTicks must be a whole number >= 1, got ${String(s.catchUpTicks)}.`, s.name);
    }
    let cron: CronSchedule;
    try {
      if (s.partitionOffsets) {
        const derived = partitionedScheduleCron(s.name, partitions, s.partitionOffsets);
        cron = CronSchedule.parse(derived.cron, derived.timezone);
      } else if (s.cron === undefined) {
        throw new DefinitionError(`Schedule "${s.name}" has no cron. Give it cron: "0 * * * *", or build it with partitionedSchedule().`, s.name);
      } else {
        cron = CronSchedule.parse(typeof s.cron === "string" ? s.cron : [...s.cron], s.timezone);
      }
    } catch (err) {
      if (err instanceof DefinitionError && err.subject === s.name) throw err;
      throw new DefinitionError(`Schedule "${s.name}": ${errorMessage(err)}`, s.name);
    }
    resolvedSchedules.set(s.name, { definition: s, cron, partitions });
  });

  const resolvedSensors = new Map<string, SensorDefinition>();
  sensors.forEach((s, index) => {
    if (!isSensorDefinition(s)) throw new DefinitionError(`sensors[${index}] is not a sensor. Create sensors with sensor({...}).`);
    claim(s.name, "Sensor");
    // A run-status or freshness sensor may only watch (send alerts) and launch nothing.
    checkTarget("Sensor", s.name, s.jobName, s.selection, s.sensor.type !== "run_status" && s.sensor.type !== "freshness");
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
    if (s.sensor.type === "freshness") checkFreshnessSensor(s.name, s.sensor, assetGraph, assets);
    resolvedSensors.set(s.name, s);
  });
  return { schedules: resolvedSchedules, sensors: resolvedSensors };
}

/** A resource a schedule or sensor needs, with who needs it (for load-time messages). */
export interface InstigatorResourceNeed {
  name: string;
  /** `schedule "NAME"` or `sensor "NAME"`. */
  user: string;
  definition: ResourceDefinition<any, any> | undefined;
}

/** Resource names the schedules' and sensors' functions use, with the schedule or sensor using each. */
export function instigatorResourceNeeds(schedules: Iterable<ResolvedSchedule>, sensors: Iterable<SensorDefinition>): InstigatorResourceNeed[] {
  const needs: InstigatorResourceNeed[] = [];
  for (const { definition } of schedules) {
    for (const [name, res] of Object.entries(definition.resources)) needs.push({ name, user: `schedule "${definition.name}"`, definition: res });
  }
  for (const sensor of sensors) {
    for (const [name, res] of Object.entries(sensor.resources)) needs.push({ name, user: `sensor "${sensor.name}"`, definition: res });
  }
  return needs;
}

/** A freshness sensor's statuses and the assets it watches, which must have freshness policies. */
function checkFreshnessSensor(name: string, kind: Extract<SensorDefinition["sensor"], { type: "freshness" }>, assetGraph: AssetGraph, assets: ReadonlyMap<string, AssetDefinition>): void {
  const known: readonly string[] = Object.values(FreshnessStatus);
  const bad = kind.statuses.find((st) => !known.includes(st));
  if (bad !== undefined || kind.statuses.length === 0) {
    throw new DefinitionError(`Sensor "${name}": statuses ${JSON.stringify(kind.statuses)} must be a non-empty list of ${known.join(", ")}.`, name);
  }
  if (kind.monitoredSelection === null) return;
  let keys: string[];
  try {
    keys = selectAssets(kind.monitoredSelection, assetGraph);
  } catch (err) {
    throw new DefinitionError(`Sensor "${name}": its monitoredSelection is invalid: ${errorMessage(err)}`, name);
  }
  if (!keys.some((k) => assets.get(k)?.freshness !== undefined)) {
    throw new DefinitionError(
      `Sensor "${name}": monitoredSelection "${kind.monitoredSelection}" matches no asset with a freshness policy. Give those assets freshness: { maximumLag: "1h" }, or widen the selection.`,
      name,
    );
  }
}
