/**
 * Records that storage keeps and that execution, the daemon, the server and the CLI share.
 * Timestamps are epoch milliseconds everywhere in storage; they become ISO strings only at the edges
 * (CLI JSON, HTTP).
 */
import type { MetadataMap } from "../definitions/metadata-value.js";

export type { MetadataMap, MetadataValue } from "../definitions/metadata-value.js";

/** Run statuses, as Dagster names them. */
export const RunStatus = {
  Queued: "QUEUED",
  Starting: "STARTING",
  Started: "STARTED",
  Success: "SUCCESS",
  Failure: "FAILURE",
  Canceling: "CANCELING",
  Canceled: "CANCELED",
} as const;
/** One of the values of {@link RunStatus}. */
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** Statuses a run never leaves. */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = [
  RunStatus.Success,
  RunStatus.Failure,
  RunStatus.Canceled,
];

/** Event types, as Dagster names them. */
export const EventType = {
  RunEnqueued: "RUN_ENQUEUED",
  RunStart: "RUN_START",
  RunSuccess: "RUN_SUCCESS",
  RunFailure: "RUN_FAILURE",
  RunCanceled: "RUN_CANCELED",
  StepStart: "STEP_START",
  StepSuccess: "STEP_SUCCESS",
  StepFailure: "STEP_FAILURE",
  StepSkipped: "STEP_SKIPPED",
  StepUpForRetry: "STEP_UP_FOR_RETRY",
  AssetMaterialization: "ASSET_MATERIALIZATION",
  /** An observable source asset was observed: `data.dataVersion` (and `data.metadata`). */
  AssetObservation: "ASSET_OBSERVATION",
  /** An op's output was stored by its IO manager (ops have no materializations). */
  StepOutput: "STEP_OUTPUT",
  /** An asset check ran (or failed to run): its result, as recorded in asset_check_evaluations. */
  AssetCheckEvaluation: "ASSET_CHECK_EVALUATION",
  Log: "LOG",
} as const;
/** One of the values of {@link EventType}. */
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Log levels of events. */
export const LogLevel = {
  Debug: "DEBUG",
  Info: "INFO",
  Warn: "WARN",
  Error: "ERROR",
} as const;
/** One of the values of {@link LogLevel}. */
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** A run as storage records it. */
export interface RunRecord {
  runId: string;
  status: RunStatus;
  /** `__asset_job` for ad-hoc asset materializations, else the job's name. */
  jobName: string;
  /** Step keys (asset keys) the run executes. */
  selection: string[];
  /** The selection expression the user typed, when there was one. */
  selectionExpression: string | null;
  partition: string | null;
  /** Run config as given: env references stay references, never resolved values. */
  config: Record<string, unknown>;
  tags: Record<string, string>;
  parentRunId: string | null;
  rootRunId: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** The worker (launcher or `sluice worker` process) that claimed the run, once claimed. */
  workerId: string | null;
  /** Last heartbeat of the process executing the run (epoch ms), null before it starts. */
  heartbeatAt: number | null;
  /** The process executing the run (a run worker, or the CLI of a foreground run), once known. */
  process: RunProcess | null;
}

/** A process that executes a run, as recorded with the run. */
export interface RunProcess {
  /** Host name of its machine, as shown to users. */
  host: string;
  pid: number;
  /**
   * Tells this process from any other, where the OS says (Linux: the boot, the pid namespace and
   * the process's start time); null where it does not. Only processes whose identity shares this
   * machine's boot and pid namespace can be checked from here.
   */
  identity: string | null;
}

/** What a caller gives to create a run. */
export interface NewRun {
  runId: string;
  jobName: string;
  selection: string[];
  selectionExpression?: string | null;
  partition?: string | null;
  config?: Record<string, unknown>;
  tags?: Record<string, string>;
  parentRunId?: string | null;
  rootRunId?: string | null;
  status?: RunStatus;
}

/** Filters for listing runs; every field narrows. */
export interface RunsFilter {
  statuses?: RunStatus[];
  jobName?: string;
  runIds?: string[];
  /** Runs whose parent is one of these (re-executions and retries of them). */
  parentRunIds?: string[];
  /** Runs carrying every one of these tags. */
  tags?: Record<string, string>;
  /**
   * Only runs older than this run in the list's order (the next page after it). Throws
   * RunNotFoundError when no run has this id (it was deleted since the page was read).
   */
  before?: string;
  /** Newest first; at most this many. */
  limit?: number;
}

/** A serialized error, as it is kept in events (class, message, stack, cause chain). */
export interface SerializedError {
  className: string;
  message: string;
  stack: string | null;
  code?: string;
  cause: SerializedError | null;
}

/** Fields an event can carry besides its common ones; all optional. */
export interface EventData {
  error?: SerializedError;
  metadata?: MetadataMap;
  attempt?: number;
  /** For STEP_UP_FOR_RETRY: milliseconds until the next attempt. */
  retryDelayMs?: number;
  /** For RUN_FAILURE: the steps that failed. */
  failedSteps?: string[];
  /** For STEP_SKIPPED: the failed upstream steps that caused the skip. */
  skippedBecause?: string[];
  /**
   * For the step events of a multi-asset's step (whose own `assetKey` is null): the assets the step
   * materializes, whose partition statuses the event sets.
   */
  assetKeys?: string[];
  /** For ASSET_MATERIALIZATION: its data version (given by the asset, derived, or random). */
  dataVersion?: string;
  /** For ASSET_MATERIALIZATION: the asset's code version, null without one. */
  codeVersion?: string | null;
  /** For ASSET_MATERIALIZATION: upstream key → the data version of what it read of that asset. */
  inputDataVersions?: Record<string, string>;
  [key: string]: unknown;
}

/** An event to append to the event log. */
export interface NewEvent {
  runId: string;
  type: EventType;
  /** Epoch ms; defaults to now. */
  timestamp?: number;
  stepKey?: string | null;
  assetKey?: string | null;
  partition?: string | null;
  level?: LogLevel;
  message?: string;
  data?: EventData;
  /**
   * A value of the default IO manager that this event records (an ASSET_MATERIALIZATION or a
   * STEP_OUTPUT): stored in the same transaction, so the value and its record appear together or
   * not at all. Not part of the stored event.
   */
  value?: StoredValue;
}

/** Whose value a stored value is: an asset's (per partition), or an op's output in one run. */
export type StoredValueOwner = "asset" | "op";

/**
 * A value kept by the default IO manager: the latest per asset and partition, or per run and op.
 * `json` holds the UTF-8 JSON of a small value; null says the value is in the IO manager's file
 * (a large one), which also hides any older JSON stored for the same key.
 */
export interface StoredValue {
  owner: StoredValueOwner;
  /** The asset key; for an op, `<run id>/<step key>`. */
  name: string;
  partition: string | null;
  json: Uint8Array | null;
}

/** An event as stored: ids are increasing in the order events were written. */
export interface EventRecord {
  id: number;
  runId: string;
  type: EventType;
  timestamp: number;
  stepKey: string | null;
  assetKey: string | null;
  partition: string | null;
  level: LogLevel;
  message: string;
  data: EventData;
}

/** Latest materialization of an asset (or of one partition of it). */
export interface AssetIndexRecord {
  assetKey: string;
  partition: string | null;
  runId: string;
  eventId: number;
  timestamp: number;
  metadata: MetadataMap;
  /** Its data version (see execution/data-version.ts); null when recorded before Sluice kept them. */
  dataVersion: string | null;
  /** The asset's code version then; null without one. */
  codeVersion: string | null;
  /** Upstream key → the data version it read; null when recorded before Sluice kept them. */
  inputDataVersions: Record<string, string> | null;
}

/** Latest observation of an observable source asset (or of one partition of it). */
export interface ObservationRecord {
  assetKey: string;
  partition: string | null;
  /** The run that observed it ({@link RUNLESS_RUN_ID} for one reported from outside a run). */
  runId: string;
  eventId: number;
  dataVersion: string;
  metadata: MetadataMap;
  timestamp: number;
}

/**
 * The reserved run that holds events recorded without a Sluice run (reported materializations):
 * events reference a run, so this one row exists from migration 8 on. Run lists and counts never
 * show it.
 */
export const RUNLESS_RUN_ID = "__runless__";

/** How an evaluation of an asset check ended, as Dagster names it. */
export const CheckStatus = {
  Passed: "PASSED",
  Failed: "FAILED",
  /** The check function threw (or returned something that is not a result): nothing was checked. */
  ExecutionFailed: "EXECUTION_FAILED",
} as const;
/** One of the values of {@link CheckStatus}. */
export type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

/** How bad a failed check is: WARN never fails a run, ERROR fails a blocking check's step. */
export type CheckSeverity = "WARN" | "ERROR";

/** One evaluation of an asset check, as the event log's ASSET_CHECK_EVALUATION event recorded it. */
export interface CheckEvaluationRecord {
  assetKey: string;
  checkName: string;
  /** The partition of the asset it checked; null for an unpartitioned asset. */
  partition: string | null;
  runId: string;
  /** The ASSET_CHECK_EVALUATION event. */
  eventId: number;
  timestamp: number;
  status: CheckStatus;
  passed: boolean;
  severity: CheckSeverity;
  description: string | null;
  metadata: MetadataMap;
}

/** The `data` of an ASSET_CHECK_EVALUATION event (its assetKey and partition are the event's). */
export interface CheckEvaluationData {
  checkName: string;
  status: CheckStatus;
  passed: boolean;
  severity: CheckSeverity;
  description: string | null;
  metadata: MetadataMap;
}

/** Status of one step of a run, derived from its events. */
export interface StepStats {
  key: string;
  status: "PENDING" | "IN_PROGRESS" | "UP_FOR_RETRY" | "SUCCESS" | "FAILURE" | "SKIPPED";
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
}

/** Kinds of things the daemon ticks. */
export const InstigatorType = {
  Schedule: "SCHEDULE",
  Sensor: "SENSOR",
  /** The declarative automation loop (one instigator, `AUTOMATION_INSTIGATOR`). */
  Automation: "AUTOMATION",
} as const;
/** One of the values of {@link InstigatorType}. */
export type InstigatorType = (typeof InstigatorType)[keyof typeof InstigatorType];

/** Whether a schedule or sensor is on. */
export const InstigatorStatus = {
  Running: "RUNNING",
  Stopped: "STOPPED",
} as const;
/** One of the values of {@link InstigatorStatus}. */
export type InstigatorStatus = (typeof InstigatorStatus)[keyof typeof InstigatorStatus];

/** Stored state of a schedule or sensor (absent until first started, stopped or ticked). */
export interface InstigatorState {
  name: string;
  type: InstigatorType;
  status: InstigatorStatus;
  /** A sensor's cursor, as its evaluate function last returned it. */
  cursor: string | null;
  updatedAt: number;
}

/** How a tick ended, or that it is under way. */
export const TickStatus = {
  Started: "STARTED",
  Success: "SUCCESS",
  Skipped: "SKIPPED",
  Failure: "FAILURE",
} as const;
/** One of the values of {@link TickStatus}. */
export type TickStatus = (typeof TickStatus)[keyof typeof TickStatus];

/** One evaluation of a schedule (at its scheduled time) or a sensor. */
export interface TickRecord {
  id: number;
  instigatorName: string;
  type: InstigatorType;
  /** A schedule's scheduled time, or a sensor's evaluation time (epoch ms). */
  tickTime: number;
  status: TickStatus;
  /** Runs this tick created, in creation order. */
  runIds: string[];
  /** Run keys of a sensor tick's run requests that were skipped because they already ran. */
  skippedRunKeys: string[];
  skipReason: string | null;
  error: SerializedError | null;
  /** A sensor's cursor after this tick. */
  cursor: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A run a sensor asks for; `runKey` makes it happen at most once per sensor, ever. */
export interface SensorRunRequest {
  run: NewRun;
  runKey: string | null;
}

/** What a sensor tick's dynamic partitions request changed, in storage. */
export interface DynamicPartitionsChange {
  partitionsName: string;
  /** Keys the request added that were not there before, in the order given. */
  added: string[];
  /** Keys the request removed that were there, in the order given. */
  removed: string[];
}

/** Result of recording a sensor tick. */
export interface SensorTickResult {
  tick: TickRecord;
  /** Runs created (their run keys were new). */
  createdRuns: RunRecord[];
  /** One per dynamic partitions request of the tick, in order (empty when it had none). */
  dynamicPartitions: DynamicPartitionsChange[];
}

/** A limit on how many runs may be in progress at once among runs with a tag. */
export interface TagConcurrencyLimit {
  key: string;
  /** Only runs whose tag has this value; without it, every run carrying the key counts. */
  value?: string;
  /** With no value: the limit applies to each distinct value separately. */
  perUniqueValue?: boolean;
  limit: number;
}

/** Limits the run coordinator respects when it claims queued runs. */
export interface RunQueueLimits {
  /**
   * Runs in progress (STARTING, STARTED, CANCELING) at most, across the instance. A negative value
   * (Dagster's -1) or Infinity means no limit.
   */
  maxConcurrentRuns: number;
  tagLimits: TagConcurrencyLimit[];
}

/** A lease in storage: held by one holder at a time, until it expires or is released. */
export interface LeaseRecord {
  /** What the lease is for (`daemon`: the one active daemon of the instance). */
  name: string;
  /** Who holds it (a daemon's id). */
  holder: string;
  /** When the holder took it (kept across renewals). */
  acquiredAt: number;
  /** Until when it holds, unless renewed (epoch ms, the holder's clock). */
  expiresAt: number;
}

/** A daemon's last sign of life. */
export interface DaemonHeartbeat {
  /** `scheduler`, `sensor`, `run_coordinator`, `run_monitor`... */
  daemonType: string;
  daemonId: string;
  timestamp: number;
  /** Errors of its last iteration, if any (shown in the UI's daemon health). */
  errors: SerializedError[];
}
