import type { ResourceRequirements, ResourceValues } from "./asset.js";
import { FreshnessStatus, type FreshnessPolicy } from "./freshness-policy.js";
import type { JobDefinition } from "./job.js";
import { resourceDefinitionsOf, type ResourceDefinition } from "./resource.js";
import type { DefaultStatus } from "./schedule.js";
import type { DynamicPartitionsRequest, RunRequest, SkipReason } from "./run-request.js";
import type { StepLogger } from "./step-logger.js";

const SENSOR_BRAND = Symbol.for("sluice.sensor");

/** What a sensor's function receives; `TResources` types `resources` from the sensor's `resources` option. */
export interface SensorContext<TResources = Record<string, unknown>> {
  /** The cursor the previous evaluation returned (null at first). */
  readonly cursor: string | null;
  /** When the previous evaluation ran, if ever. */
  readonly lastTickAt: Date | null;
  readonly log: StepLogger;
  /** The resources the sensor declares, set up for this evaluation and torn down after it. */
  readonly resources: TResources;
}

/** A sensor's answer: run requests, a new cursor, or a skip reason. */
export interface SensorResult {
  runRequests?: RunRequest[];
  /** Stored in the same transaction as the runs of this tick. */
  cursor?: string | null;
  skipReason?: string;
  /**
   * Keys to add to or remove from dynamic partitions, stored in the same transaction as the runs of
   * this tick; the run requests may name keys added here.
   */
  dynamicPartitionsRequests?: DynamicPartitionsRequest[];
}

/** What a sensor's function may return. */
export type SensorReturn = SensorResult | RunRequest | RunRequest[] | SkipReason | void;

/** A materialization an asset sensor reacts to. */
export interface MaterializationEvent {
  eventId: number;
  runId: string;
  assetKey: string;
  partition: string | null;
  timestamp: Date;
  metadata: Record<string, { type: string; value: unknown }>;
}

/** A finished run a run-status sensor reacts to. */
export interface FinishedRun {
  runId: string;
  jobName: string;
  status: "SUCCESS" | "FAILURE" | "CANCELED";
  tags: Record<string, string>;
  /** The message of the run's final event (the failure summary, for failed runs). */
  message: string;
}

/** A change of an asset's freshness status, which a freshness sensor reacts to. */
export interface FreshnessChange {
  /** Id of the change (the sensor's cursor is the last one it handled). */
  transitionId: number;
  assetKey: string;
  /** Null when the asset's policy was evaluated for the first time. */
  previousStatus: FreshnessStatus | null;
  status: FreshnessStatus;
  /** When the daemon saw the change. */
  timestamp: Date;
  /** The materialization the policy judged, or null when there is none. */
  lastMaterializationAt: Date | null;
  /** When the asset must next hold fresh data. */
  nextDeadline: Date;
  /** The asset's policy in the definitions evaluating the sensor (null: removed since); `describeFreshnessPolicy()` words it. */
  policy: FreshnessPolicy | null;
}

/** What an asset or run-status sensor's function may return for one event. */
export type EventSensorReturn = RunRequest | RunRequest[] | SkipReason | void;

/** The kinds of sensor, each evaluated differently by the daemon. */
export type SensorKind =
  | { type: "standard"; evaluate: (context: SensorContext<any>) => SensorReturn | Promise<SensorReturn> }
  | {
      type: "asset";
      assetKey: string;
      evaluate: (context: SensorContext<any>, event: MaterializationEvent) => EventSensorReturn | Promise<EventSensorReturn>;
    }
  | {
      type: "run_status";
      status: FinishedRun["status"];
      /** Jobs watched; empty: every job (but the sensor's own target). */
      monitoredJobs: readonly string[];
      evaluate: (context: SensorContext<any>, run: FinishedRun) => EventSensorReturn | Promise<EventSensorReturn>;
    }
  | {
      type: "freshness";
      /** Selection expression of the assets watched; null: every asset with a freshness policy. */
      monitoredSelection: string | null;
      /** Statuses changed to that fire it. */
      statuses: readonly FreshnessStatus[];
      evaluate: (context: SensorContext<any>, change: FreshnessChange) => EventSensorReturn | Promise<EventSensorReturn>;
    };

/** A sensor: evaluated every `minimumIntervalSeconds`, it may launch runs. */
export interface SensorDefinition {
  readonly [SENSOR_BRAND]: true;
  readonly kind: "sensor";
  readonly name: string;
  readonly jobName: string | undefined;
  readonly selection: string | undefined;
  readonly description: string | undefined;
  readonly minimumIntervalSeconds: number;
  readonly defaultStatus: DefaultStatus;
  /** Resource name → definition the sensor was declared with (undefined: bound by name only). */
  readonly resources: Readonly<Record<string, ResourceDefinition<any, any> | undefined>>;
  readonly sensor: SensorKind;
}

/** What every kind of sensor takes. */
export interface CommonSensorSpec<TRes extends ResourceRequirements = {}> {
  name: string;
  /** What run requests launch: a job, or an asset selection. */
  job?: JobDefinition | string;
  selection?: string;
  description?: string;
  /** Default 30, as in Dagster. */
  minimumIntervalSeconds?: number;
  defaultStatus?: DefaultStatus;
  /**
   * Resources the function uses, by name, as `context.resources` (bound in Definitions as for
   * assets): set up before each evaluation and torn down after it.
   */
  resources?: TRes;
}

function common(spec: CommonSensorSpec<ResourceRequirements>, kind: SensorKind): SensorDefinition {
  return {
    [SENSOR_BRAND]: true,
    kind: "sensor",
    name: spec.name,
    jobName: typeof spec.job === "string" ? spec.job : spec.job?.name,
    selection: spec.selection,
    description: spec.description,
    minimumIntervalSeconds: spec.minimumIntervalSeconds ?? 30,
    defaultStatus: spec.defaultStatus ?? "STOPPED",
    resources: resourceDefinitionsOf(spec.resources),
    sensor: kind,
  };
}

/**
 * Declares a sensor: a function the daemon evaluates periodically; it returns run requests (each
 * with a run key launches at most once, ever), a cursor, or a skip reason.
 * `resources` are set up for each evaluation, their values in `context.resources`.
 * @example
 * sensor({
 *   name: "provisioning_rows", job: provisionJob, minimumIntervalSeconds: 10,
 *   resources: { postgres: postgresResource },
 *   evaluate: async ({ resources }) =>
 *     (await resources.postgres.query<{ id: number }>("SELECT id FROM tenants WHERE status = 'new'"))
 *       .map((row) => ({ runKey: String(row.id), runConfig: { ops: { provision: { config: { id: row.id } } } } })),
 * });
 */
export function sensor<const TRes extends ResourceRequirements = {}>(
  spec: CommonSensorSpec<TRes> & { evaluate: (context: SensorContext<ResourceValues<TRes>>) => SensorReturn | Promise<SensorReturn> },
): SensorDefinition {
  return common(spec, { type: "standard", evaluate: spec.evaluate });
}

/**
 * Declares a sensor that fires when an asset is materialized: by default one run per
 * materialization (run key: the event id).
 * @example
 * assetSensor({ name: "on_orders", asset: rawOrders, job: refreshReports });
 */
export function assetSensor<const TRes extends ResourceRequirements = {}>(
  spec: CommonSensorSpec<TRes> & {
    asset: { key: string } | string;
    evaluate?: (context: SensorContext<ResourceValues<TRes>>, event: MaterializationEvent) => EventSensorReturn | Promise<EventSensorReturn>;
  },
): SensorDefinition {
  const evaluate = spec.evaluate ?? ((_ctx: SensorContext<unknown>, event: MaterializationEvent): RunRequest => ({ runKey: String(event.eventId) }));
  return common(spec, { type: "asset", assetKey: typeof spec.asset === "string" ? spec.asset : spec.asset.key, evaluate });
}

/**
 * Declares a sensor that fires when runs of watched jobs succeed, fail or are canceled.
 * @example
 * runStatusSensor({ name: "alert_on_failure", status: "FAILURE", evaluate: (_ctx, run) => void alert(`${run.jobName} failed: ${run.message}`) });
 */
export function runStatusSensor<const TRes extends ResourceRequirements = {}>(
  spec: CommonSensorSpec<TRes> & {
    status: FinishedRun["status"];
    monitoredJobs?: readonly (JobDefinition | string)[];
    evaluate: (context: SensorContext<ResourceValues<TRes>>, run: FinishedRun) => EventSensorReturn | Promise<EventSensorReturn>;
  },
): SensorDefinition {
  return common(spec, {
    type: "run_status",
    status: spec.status,
    monitoredJobs: (spec.monitoredJobs ?? []).map((j) => (typeof j === "string" ? j : j.name)),
    evaluate: spec.evaluate,
  });
}

/**
 * Declares a sensor that fires once for each change of an asset's freshness status to one of
 * `statuses` (default `["OVERDUE"]`), as the daemon's freshness loop records them: for alerts (do
 * the side effect and return nothing) or to launch runs (give it a `job` or `selection`).
 * `monitoredSelection` narrows the assets watched (default: every asset with a freshness policy).
 * Changes recorded before the sensor started do not fire.
 * @example
 * freshnessSensor({
 *   name: "overdue_alerts",
 *   monitoredSelection: "group:reports",
 *   evaluate: async (_ctx, change) => void (await fetch(webhook, { method: "POST", body: `${change.assetKey} is ${change.status}` })),
 * });
 */
export function freshnessSensor<const TRes extends ResourceRequirements = {}>(
  spec: CommonSensorSpec<TRes> & {
    monitoredSelection?: string;
    statuses?: readonly FreshnessStatus[];
    evaluate: (context: SensorContext<ResourceValues<TRes>>, change: FreshnessChange) => EventSensorReturn | Promise<EventSensorReturn>;
  },
): SensorDefinition {
  return common(spec, {
    type: "freshness",
    monitoredSelection: spec.monitoredSelection ?? null,
    statuses: [...(spec.statuses ?? [FreshnessStatus.Overdue])],
    evaluate: spec.evaluate,
  });
}

/** True for a value made by `sensor()`, `assetSensor()`, `runStatusSensor()` or `freshnessSensor()`. */
export function isSensorDefinition(value: unknown): value is SensorDefinition {
  return typeof value === "object" && value !== null && SENSOR_BRAND in value;
}
