/**
 * The HTTP API's JSON, declared once: the server builds its answers with these types and the UI
 * (ui/src) imports them, so neither can change a shape without the other failing `tsc`.
 * Type declarations only, with no import: the UI's compiler (DOM, no Node types) reads this file
 * as it is. Timestamps are ISO strings. Where a type mirrors one of a lower layer (records,
 * snapshot, metadata), the server assigns that one to this one, so the two cannot drift apart.
 */

// ——— Runs ———

/** A run's status (src/storage/records.ts RunStatus), in every run of the API. */
export type RunStatus = "QUEUED" | "STARTING" | "STARTED" | "SUCCESS" | "FAILURE" | "CANCELING" | "CANCELED";

/** A step's status, derived from its events, in `steps` of `GET /api/runs/:id`. */
export type StepStatus = "PENDING" | "IN_PROGRESS" | "UP_FOR_RETRY" | "SUCCESS" | "FAILURE" | "SKIPPED";

/** One step of a run, in `steps` of `GET /api/runs/:id`. */
export interface StepJson {
  key: string;
  status: StepStatus;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
}

/** A run, as `GET /api/runs`, `GET /api/runs/:id` (with `steps`), the launch routes and `run` stream messages return it. */
export interface RunJson {
  runId: string;
  status: RunStatus;
  /** `__asset_job` for ad-hoc asset materializations, else the job's name. */
  jobName: string;
  selection: string[];
  selectionExpression: string | null;
  partition: string | null;
  config: Record<string, unknown>;
  tags: Record<string, string>;
  parentRunId: string | null;
  rootRunId: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  workerId: string | null;
  heartbeatAt: string | null;
  /** Only in `GET /api/runs/:id`. */
  steps?: StepJson[];
}

/** `GET /api/runs`: a page of runs, newest first. */
export interface RunsPageJson {
  runs: RunJson[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** `GET /api/runs/:id`, and what `POST /api/runs` and `POST /api/runs/:id/reexecute` return (the run launched). */
export interface RunAnswerJson {
  run: RunJson;
}

/** What a cancel request did (src/runs/cancel-run.ts CancelOutcome), in `POST /api/runs/:id/cancel`. */
export type CancelOutcome = "CANCELED" | "CANCELING" | "ALREADY_FINISHED" | "UNCHANGED";

/** `POST /api/runs/:id/cancel`: what it did and the run afterwards. */
export interface CancelAnswerJson {
  outcome: CancelOutcome;
  run: RunJson;
}

// ——— Events ———

/** An event's type (src/storage/records.ts EventType), in every event of the API. */
export type EventType =
  | "RUN_ENQUEUED"
  | "RUN_START"
  | "RUN_SUCCESS"
  | "RUN_FAILURE"
  | "RUN_CANCELED"
  | "STEP_START"
  | "STEP_SUCCESS"
  | "STEP_FAILURE"
  | "STEP_SKIPPED"
  | "STEP_UP_FOR_RETRY"
  | "ASSET_MATERIALIZATION"
  | "ASSET_OBSERVATION"
  | "STEP_OUTPUT"
  | "ASSET_CHECK_EVALUATION"
  | "LOG";

/** An event's log level, in every event of the API. */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

/** An error as events, ticks and heartbeats carry it: class, message, stack and cause chain. */
export interface SerializedErrorJson {
  className: string;
  message: string;
  stack: string | null;
  code?: string;
  cause: SerializedErrorJson | null;
}

/** An event, as `GET /api/runs/:id/events` and `event` stream messages return it: common fields, then its data's. */
export interface EventJson {
  id: number;
  runId: string;
  timestamp: string;
  type: EventType;
  stepKey: string | null;
  assetKey: string | null;
  partition: string | null;
  level: LogLevel;
  message: string;
  error?: SerializedErrorJson;
  metadata?: MetadataMapJson;
  attempt?: number;
  /** STEP_UP_FOR_RETRY: milliseconds until the next attempt. */
  retryDelayMs?: number;
  /** RUN_FAILURE: the steps that failed. */
  failedSteps?: string[];
  /** STEP_SKIPPED: the failed upstream steps that caused the skip. */
  skippedBecause?: string[];
  /** Step events of a multi-asset's step (whose assetKey is null): the assets the step materializes. */
  assetKeys?: string[];
  [field: string]: unknown;
}

/** `GET /api/runs/:id/events`: a page of a run's events, in order. */
export interface RunEventsPageJson {
  runId: string;
  runStatus: RunStatus;
  events: EventJson[];
  /** Pass as `afterId` to read on; the given `afterId` (or 0) when there are no events. */
  lastEventId: number;
  hasMore: boolean;
}

// ——— Metadata and materializations ———

/** A metadata value tagged with its kind (src/definitions/metadata-value.ts), in materializations and asset definitions. */
export type MetadataValueJson =
  | { type: "int"; value: number }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "bool"; value: boolean }
  | { type: "json"; value: unknown }
  | { type: "url"; value: string }
  | { type: "path"; value: string }
  | { type: "markdown"; value: string }
  | { type: "timestamp"; value: number }
  | { type: "null"; value: null }
  | { type: "table"; value: { columns: { name: string; type?: string }[]; rows: Record<string, unknown>[] } };

/** Metadata, entry name → tagged value, in materializations and asset definitions. */
export type MetadataMapJson = Record<string, MetadataValueJson>;

/** A materialization of an asset, in `GET /api/assets` and `GET /api/assets/:key`. */
export interface MaterializationJson {
  eventId: number;
  runId: string;
  partition: string | null;
  timestamp: string;
  metadata: MetadataMapJson;
  /** Set on those read from events (an asset's history), absent on latest ones (the asset index). */
  stepKey?: string | null;
  /** True for a materialization reported from outside Sluice (it has no run: `runId` is `__runless__`). */
  reported?: boolean;
  /** Its data version (null when recorded before Sluice kept versions). */
  dataVersion?: string | null;
  /** The asset's code version when it was materialized (null without one). */
  codeVersion?: string | null;
}

/** One observation of an observable source asset, in `GET /api/assets/:key/observations`. */
export interface ObservationJson {
  eventId: number;
  /** The run that observed it. */
  runId: string;
  partition: string | null;
  timestamp: string;
  dataVersion: string;
  metadata: MetadataMapJson;
}

/** `GET /api/assets/:key/observations`: the latest observation per partition, and the history, newest first. */
export interface AssetObservationsJson {
  assetKey: string;
  latest: ObservationJson[];
  history: ObservationJson[];
}

/** `POST /api/assets/:key/reports`: the materialization recorded. */
export interface ReportedMaterializationJson {
  materialization: MaterializationJson;
}

// ——— Definitions snapshot (src/instance/snapshot.ts) ———

/** A config schema as JSON Schema (input side), or why there is none, in the definitions snapshot. */
export interface ConfigSchemaJson {
  /** JSON Schema 2020-12 of the config; null without a schema. */
  jsonSchema: Record<string, unknown> | null;
  /** Set when the schema exists but cannot be expressed as JSON Schema. */
  error?: string;
}

/** A retry policy (src/definitions/retry-policy.ts), in an asset of the definitions snapshot. */
export interface RetryPolicyJson {
  maxRetries: number;
  delayMs?: number;
  backoff?: "linear" | "exponential";
  jitter?: "full" | "plus_minus";
}

/** Time-window partitions, in the definitions snapshot and `GET /api/assets`. */
export interface TimeWindowPartitionsJson {
  type: "time_window";
  /** `hourly`, `daily`, `weekly`, `monthly`, or null for a custom cron. */
  cadence: string | null;
  cron: string;
  timezone: string;
  /** strftime format of the keys, e.g. `%Y-%m-%d`. */
  fmt: string;
  start: string;
  /** Exclusive end, or null. */
  end: string | null;
  endOffset: number;
  count: number;
  firstKey: string | null;
  lastKey: string | null;
}

/** Static partitions (the first 100 keys at most), in the definitions snapshot and `GET /api/assets`. */
export interface StaticPartitionsJson {
  type: "static";
  keys: string[];
  count: number;
}

/**
 * Dynamic partitions (keys stored in the instance under `name`; the first 100 keys at most, in the
 * order they were added), in the definitions snapshot and `GET /api/assets`.
 */
export interface DynamicPartitionsJson {
  type: "dynamic";
  name: string;
  keys: string[];
  count: number;
}

/** Dynamic partitions as a dimension of multi partitions: `name` is the dimension's, `partitionsName` the stored keys'. */
export type DynamicDimensionJson = Omit<DynamicPartitionsJson, "name"> & { partitionsName: string };

/** Multi-dimensional partitions, in the definitions snapshot and `GET /api/assets`. */
export interface MultiPartitionsJson {
  type: "multi";
  /** Sorted by name (the order of the parts of a key). */
  dimensions: ({ name: string } & (TimeWindowPartitionsJson | StaticPartitionsJson | DynamicDimensionJson))[];
  count: number;
}

/** How an asset or job is partitioned (PartitionsSnapshot), in the definitions snapshot and `GET /api/assets`. */
export type PartitionsJson = TimeWindowPartitionsJson | StaticPartitionsJson | DynamicPartitionsJson | MultiPartitionsJson;

/** An asset's definition, in the snapshot of `GET /api/definitions` and as `asset` of `GET /api/assets/:key`. */
export interface AssetSnapshotJson {
  key: string;
  group: string;
  description: string | null;
  /** Upstream keys: inputs, then ordering-only deps. */
  deps: string[];
  /** Input name → upstream key. */
  ins: Record<string, string>;
  /** Downstream keys. */
  children: string[];
  tags: Record<string, string>;
  owners: string[];
  kinds: string[];
  metadata: MetadataMapJson;
  config: ConfigSchemaJson;
  resources: string[];
  ioManager: string;
  retry: RetryPolicyJson | null;
  /** Jobs whose steps include it. */
  jobs: string[];
  partitions: PartitionsJson | null;
  /** Upstream key → how the asset's partitions read that partitioned upstream asset (declared, or the default). */
  partitionMappings: Record<string, PartitionMappingJson>;
  /** How many partitions one run may materialize, or null (one partition per run). */
  backfillPolicy: BackfillPolicyJson | null;
  /** The multi-asset that computes it together with its other outputs, or null for an asset of its own. */
  multiAsset: MultiAssetJson | null;
  /** Whether Sluice materializes it, only knows of it (an external asset), or observes it (an observable source asset). */
  kind: AssetKindJson;
  /** The version of its code its author declared (`asset({ codeVersion })`), or null. */
  codeVersion: string | null;
  /** Its asset checks (inline, then listed), in declaration order; a check's key is `ASSET_KEY:NAME`. */
  checks: AssetCheckSnapshotJson[];
  /** Its automation condition (when the automation loop materializes it), or null. */
  automation: ConditionSnapshotJson | null;
}

/** A node of an automation condition tree (`AutomationCondition.toJSON()`). */
export interface ConditionSnapshotJson {
  /** `missing`, `any_deps_match`, `and`, `since`... */
  type: "missing" | "newly_updated" | "newly_requested" | "will_be_requested" | "in_progress" | "execution_failed" | "initial_evaluation" | "in_latest_time_window" | "cron_tick_passed" | "checks_passed" | "any_deps_match" | "all_deps_match" | "all_deps_updated_since_cron" | "and" | "or" | "not" | "since" | "newly_true";
  /** The user's label, or the built-in one (`eager`, `on_cron`, `handled`...). */
  label: string | null;
  /** In words: `any deps updated`. */
  description: string;
  /** Cron and time zone, lookback, ignore and allow, for the nodes that take them. */
  params: { cron?: string; timezone?: string; lookback?: string | number | null; ignore?: readonly string[]; allow?: readonly string[] | null; blockingOnly?: boolean };
  children: ConditionSnapshotJson[];
}

/** One check of an asset, in AssetSnapshotJson. */
export interface AssetCheckSnapshotJson {
  name: string;
  description: string | null;
  blocking: boolean;
}

/** The multi-asset an asset is an output of: its outputs are computed together, in one step. */
export interface MultiAssetJson {
  /** Its name: the key of its step in runs (and of its config, `ops.NAME.config`). */
  name: string;
  /** This asset's output name. */
  outName: string;
  /** True when a run may compute only some of its outputs. */
  canSubset: boolean;
  /** The asset keys of all its outputs, this one included, in declaration order. */
  assetKeys: string[];
}

/** How Sluice treats an asset (src/definitions/asset.ts AssetKind). */
export type AssetKindJson = "materializable" | "external" | "observable";

/** A partition mapping between an asset and one of its upstream assets. */
export interface PartitionMappingJson {
  type: "identity" | "time_window" | "all" | "last" | "static" | "dimension";
  /** The mapping in words, e.g. `timeWindowMapping() (the upstream windows overlapping its own window)`. */
  description: string;
  /** False when no mapping was declared and the default applies. */
  declared: boolean;
}

/** An asset's backfill policy: `singleRun()` or `multiRun(n)`. */
export type BackfillPolicyJson = { type: "single_run" } | { type: "multi_run"; maxPartitionsPerRun: number };

/** A group of assets, in the snapshot of `GET /api/definitions`. */
export interface GroupJson {
  name: string;
  assetKeys: string[];
}

/** One step of a job (an asset key or an op name), in the snapshot of `GET /api/definitions`. */
export interface JobStepJson {
  key: string;
  kind: "asset" | "op";
  description: string | null;
  config: ConfigSchemaJson;
}

/** A job, in the snapshot of `GET /api/definitions`. */
export interface JobJson {
  name: string;
  type: "asset" | "op";
  description: string | null;
  tags: Record<string, string>;
  /** In execution order. */
  steps: JobStepJson[];
  edges: { from: string; to: string; input: string | null }[];
  /** An asset job's selection (expression or keys). */
  selection: string | string[] | null;
  /** Environment variables appear as `{"env": NAME}`. */
  defaultConfig: Record<string, unknown>;
  /** JSON Schema of the whole run config (`{ops: {...}, resources: {...}}`). */
  runConfigSchema: Record<string, unknown>;
  partitions: PartitionsJson | null;
}

/** Whether a schedule or sensor runs, in the snapshot and the automation routes. */
export type InstigatorStatus = "RUNNING" | "STOPPED";

/** A schedule's definition, in the snapshot of `GET /api/definitions` (the automation routes add its state). */
export interface ScheduleSnapshotJson {
  name: string;
  cron: string | string[];
  timezone: string;
  jobName: string | null;
  selection: string | null;
  description: string | null;
  tags: Record<string, string>;
  defaultStatus: InstigatorStatus;
  catchUpTicks: number;
  /** Names of the resources its execute function uses. */
  resources: string[];
}

/** A sensor's definition, in the snapshot of `GET /api/definitions` (the automation routes add its state). */
export interface SensorSnapshotJson {
  name: string;
  type: "standard" | "asset" | "run_status" | "freshness";
  jobName: string | null;
  selection: string | null;
  description: string | null;
  minimumIntervalSeconds: number;
  defaultStatus: InstigatorStatus;
  /** The asset an asset sensor watches. */
  assetKey: string | null;
  /** The run status a run-status sensor watches. */
  runStatus: string | null;
  monitoredJobs: string[];
  /** What a freshness sensor watches: a selection (null: every asset with a policy) and the statuses that fire it; null for other sensors. */
  freshness: { monitoredSelection: string | null; statuses: string[] } | null;
  /** Names of the resources its function uses. */
  resources: string[];
}

/** A resource, in the snapshot of `GET /api/definitions`; config read from the environment shows as `{"env": NAME}`. */
export interface ResourceJson {
  name: string;
  description: string | null;
  config: ConfigSchemaJson;
  values: Record<string, unknown>;
}

/** The definitions snapshot (src/instance/snapshot.ts DefinitionsSnapshot), as `snapshot` of `GET /api/definitions`. */
export interface DefinitionsSnapshotJson {
  /** In topological order. */
  assets: AssetSnapshotJson[];
  groups: GroupJson[];
  jobs: JobJson[];
  schedules: ScheduleSnapshotJson[];
  sensors: SensorSnapshotJson[];
  resources: ResourceJson[];
  executor: { kind: "in_process" | "multiprocess"; maxConcurrent: number };
  /** The automation loop: its status when nobody started or stopped it, and the assets with a condition. */
  automation: { defaultStatus: InstigatorStatus; assetKeys: string[] };
}

// ——— System ———

/** Why the last load of the definitions failed, in `GET /api/health`, `/api/definitions`, `/api/overview`. */
export interface LoadErrorJson {
  file: string | null;
  line: number | null;
  column: number | null;
  message: string;
  /** When the failed attempt was. */
  at: string;
}

/** Whether definitions are loaded, which generation, the last load error: in `GET /api/health`, `/api/definitions`, `/api/overview`. */
export interface DefinitionsStatusJson {
  loaded: boolean;
  generation: number;
  loadedAt: string | null;
  source: string | null;
  loadError: LoadErrorJson | null;
}

/** `GET /api/definitions`: the definitions status and the snapshot (null until a load succeeds). */
export interface DefinitionsJson extends DefinitionsStatusJson {
  snapshot: DefinitionsSnapshotJson | null;
}

/** `POST /api/reload`: what the reload did, and the definitions status after it. */
export type ReloadAnswerJson = ({ ok: true; generation: number; loadedAt: string } | { ok: false; loadError: LoadErrorJson }) & {
  definitions: DefinitionsStatusJson;
};

/** The data of `definitions` stream messages (`GET /api/events/stream`), sent after every load attempt. */
export interface DefinitionsReloadedJson {
  ok: boolean;
  generation: number;
  loadError: LoadErrorJson | null;
}

/** `GET /api/health`. */
export interface HealthJson {
  ok: boolean;
  mode: "dev" | "server";
  version: string;
  pid: number;
  /** Absolute path of the instance home. */
  home: string;
  startedAt: string;
  daemonInProcess: boolean;
  definitions: DefinitionsStatusJson;
}

/** A daemon loop's last heartbeat with its health, in `GET /api/overview`. */
export interface HeartbeatJson {
  daemonType: string;
  daemonId: string;
  timestamp: string;
  ageSeconds: number;
  /** UNHEALTHY: its last iteration failed; STALE: silent for 30 s. */
  health: "HEALTHY" | "UNHEALTHY" | "STALE";
  errors: SerializedErrorJson[];
}

/** `GET /api/overview`: recent runs and failures, queue counts, daemon health, definitions. */
export interface OverviewJson {
  recentRuns: RunJson[];
  recentFailures: RunJson[];
  queued: number;
  inProgress: number;
  daemon: { running: boolean; healthy: boolean; inProcess: boolean; heartbeats: HeartbeatJson[] };
  definitions: DefinitionsStatusJson & { counts: { assets: number; jobs: number; schedules: number; sensors: number } | null };
}

// ——— Assets ———

/** What the lineage view shows of an asset, in `GET /api/assets` and `GET /api/assets/:key`. */
export type AssetStatus = "NEVER_MATERIALIZED" | "MATERIALIZED" | "QUEUED" | "IN_PROGRESS" | "FAILED";

/** The latest run that included an asset, in `GET /api/assets` and `GET /api/assets/:key`. */
export interface AssetRunRefJson {
  runId: string;
  status: RunStatus;
  jobName: string;
  createdAt: string;
}

/** An asset's state (src/server/asset-status.ts), in `GET /api/assets` and `GET /api/assets/:key`. */
export interface AssetStateJson {
  status: AssetStatus;
  latestMaterialization: MaterializationJson | null;
  /** Partitions with a materialization (0 or 1 for an unpartitioned asset). */
  materializedPartitions: number;
  /**
   * For a partitioned asset, its partitions by status from the per-partition status index (a graph
   * node's "3 / 15,196"); null for an unpartitioned one.
   */
  partitionCounts: PartitionCountsJson | null;
  latestRun: AssetRunRefJson | null;
}

/** How many partitions of an asset are in each status; `missing` = total − the others. */
export interface PartitionCountsJson {
  materialized: number;
  failed: number;
  inProgress: number;
  missing: number;
  /** Partitions that exist now. */
  total: number;
}

/** A partition's status in the per-partition status index (the health bar's colours). */
export type AssetPartitionStatus = "MATERIALIZED" | "FAILED" | "IN_PROGRESS" | "MISSING";

/**
 * A run of consecutive keys with one status: indices into the ordered key list, both included.
 * Ranges cover the whole list, in order, without gaps.
 */
export interface PartitionStatusRangeJson {
  status: AssetPartitionStatus;
  start: number;
  end: number;
}

/**
 * `GET /api/assets/:key/partitions[?keys=false]`: every partition of an asset, by status, compact
 * enough for a health bar of 100,000 keys.
 */
export interface AssetPartitionsJson {
  assetKey: string;
  partitions: PartitionsJson;
  counts: PartitionCountsJson;
  /** Every key, in the definition's order (null with `?keys=false`). */
  keys: string[] | null;
  /** Run-length statuses over `keys`. */
  ranges: PartitionStatusRangeJson[];
  generatedAt: string;
}

/**
 * An asset's freshness status (its policy's verdict now); STALE (cron policies): the last deadline
 * was met, but the data is older than the lag now; UNKNOWN: no data yet and no deadline passed.
 */
export type FreshnessStatusJson = "FRESH" | "STALE" | "OVERDUE" | "UNKNOWN";

/** An asset's freshness policy. */
export interface FreshnessPolicyJson {
  maximumLagMs: number;
  /** The deadline cron, or null: the lag applies at every moment. */
  cron: string | null;
  cronTimezone: string;
  /** `at most 1h old`, `by each "0 9 * * *" (Europe/Paris), at most 2h old`. */
  description: string;
}

/**
 * An asset's freshness, computed when asked from the asset index, in `GET /api/assets`,
 * `GET /api/assets/:key` and `sluice asset freshness --json`.
 */
export interface FreshnessJson {
  assetKey: string;
  status: FreshnessStatusJson;
  policy: FreshnessPolicyJson;
  /** The materialization judged, or null when there is none. */
  lastMaterializationAt: string | null;
  /** Its age now (ms), or null. */
  lagMs: number | null;
  /** When the asset must next hold fresh data ("must be materialized by"). */
  nextDeadline: string;
  /** The partition judged (time-window: the last complete window), or null. */
  partition: string | null;
  evaluatedAt: string;
}

/**
 * Why an asset is stale (src/runs/staleness.ts), with its words in `message`: its code version
 * changed since its latest materialization, an upstream asset has newer data than it read, or an
 * upstream asset is itself stale.
 */
export type StaleReasonJson =
  | { kind: "code_version"; from: string | null; to: string | null; message: string }
  | { kind: "upstream_data"; upstream: string; message: string }
  | { kind: "upstream_stale"; upstream: string; message: string };

/**
 * Whether an asset's latest materialization is what its code and upstream data would give now
 * (Dagster's staleness; not a freshness policy): UP_TO_DATE, STALE with reasons, or MISSING (never
 * materialized). A partitioned asset is stale when one of its materialized partitions is.
 */
export interface StalenessJson {
  status: "UP_TO_DATE" | "STALE" | "MISSING";
  reasons: StaleReasonJson[];
  /** Stale partitions of a partitioned asset (0 for an unpartitioned one). */
  stalePartitionCount: number;
  /** The first of them (at most 100), in the index's order. */
  stalePartitions: string[];
}

/** One asset of `GET /api/assets`: what the lineage view needs of its definition, and its state. */
export interface AssetSummaryJson extends AssetStateJson {
  key: string;
  group: string;
  description: string | null;
  deps: string[];
  kinds: string[];
  tags: Record<string, string>;
  owners: string[];
  partitions: PartitionsJson | null;
  /** Whether Sluice materializes it, only knows of it, or observes it (absent: materializable). */
  kind?: AssetKindJson;
  /** Null when the asset has no freshness policy. */
  freshness: FreshnessJson | null;
  staleness: StalenessJson;
  /** The asset's checks by the outcome of their latest evaluations; null when it has no checks. */
  checkSummary: CheckSummaryJson | null;
}

/** `GET /api/assets`. */
export interface AssetsJson {
  assets: AssetSummaryJson[];
}

/** One point of a numeric metadata series, in `GET /api/assets/:key`. */
export interface MetadataPointJson {
  timestamp: string;
  runId: string;
  partition: string | null;
  value: number;
}

/** `GET /api/assets/:key`: the asset's definition and state, its history and numeric metadata series. */
export interface AssetDetailJson extends AssetStateJson {
  /** Null when the asset is no longer defined but has history. */
  asset: AssetSnapshotJson | null;
  defined: boolean;
  /** Null when the asset is no longer defined. */
  staleness: StalenessJson | null;
  /** Newest first. */
  materializations: MaterializationJson[];
  /** Numeric (int, float) metadata per entry name, oldest first. */
  numericSeries: Record<string, MetadataPointJson[]>;
  /** Newest first, at most 20. */
  recentRuns: RunJson[];
  /** Null when the asset has no freshness policy. */
  freshness: FreshnessJson | null;
  /** The asset's checks by the outcome of their latest evaluations; null when it has no checks. */
  checkSummary: CheckSummaryJson | null;
  generatedAt: string;
}

// ——— Automation explanations ———

/** One node of an evaluated condition tree: for how many of the partitions it was evaluated for it was true. */
export interface ConditionNodeJson extends Omit<ConditionSnapshotJson, "children"> {
  /** 1 for an unpartitioned asset. */
  candidateCount: number;
  trueCount: number;
  /** The first true partition keys (at most 20; `""` for an unpartitioned asset). */
  trueKeys: string[];
  children: ConditionNodeJson[];
}

/** One kept evaluation of an asset's condition. */
export interface AutomationEvaluationJson {
  /** Row id: pass it as `before` for the next page. */
  id: number;
  /** The automation loop's evaluation it belongs to (one per tick, shared by every asset). */
  evaluationId: number;
  evaluatedAt: string;
  /** How many partitions it requested (1 for an unpartitioned asset that it requested), and the first 100. */
  requestedCount: number;
  requestedKeys: string[];
  /** The runs the requests went into. */
  runIds: string[];
  tree: ConditionNodeJson;
}

/** `GET /api/assets/:key/automation`: the asset's condition and its kept evaluations, newest first. */
export interface AssetAutomationJson {
  assetKey: string;
  /** Null when the asset has no automation condition. */
  condition: ConditionSnapshotJson | null;
  /** Whether "k of n partitions" applies. */
  partitioned: boolean;
  evaluations: AutomationEvaluationJson[];
  /** The `before` of the next (older) page; null on the last page. */
  nextBefore: number | null;
}

/** An asset that an evaluation would request, with its tree. */
export interface AutomationPreviewAssetJson {
  assetKey: string;
  partitioned: boolean;
  requestedCount: number;
  requestedKeys: string[];
  tree: ConditionNodeJson;
}

/** `GET /api/automation/preview` (and `sluice automation preview --json`): one evaluation that launches and records nothing. */
export interface AutomationPreviewJson {
  /** The id the evaluation would have (the stored cursor's + 1). */
  evaluationId: number;
  evaluatedAt: string;
  /** How many assets have a condition (and were evaluated). */
  evaluatedAssets: number;
  /** The runs it would request: assets that run together, for one partition (null: unpartitioned). */
  requests: { assetKeys: string[]; partition: string | null }[];
  /** Each asset it would request, in topological order. */
  assets: AutomationPreviewAssetJson[];
}

// ——— Dynamic partitions ———

/** `GET /api/partitions/:name`: the keys of declared dynamic partitions, in the order they were added. */
export interface DynamicPartitionKeysJson {
  name: string;
  keys: string[];
  count: number;
  /** The assets partitioned by them. */
  assets: string[];
}

/** `POST /api/partitions/:name`: what changed, and the keys after the change. */
export interface DynamicPartitionsChangeJson {
  name: string;
  /** Keys of `add` that were new (existing ones are left as they were). */
  added: string[];
  /** Keys of `remove` that existed (missing ones are ignored). */
  removed: string[];
  keys: string[];
  count: number;
}

// ——— Schedules and sensors ———

/** A tick's outcome, or that it is under way, in the automation routes. */
export type TickStatus = "STARTED" | "SUCCESS" | "SKIPPED" | "FAILURE";

/** One evaluation of a schedule or sensor, in the automation routes. */
export interface TickJson {
  id: number;
  /** A schedule's scheduled time, or a sensor's evaluation time. */
  tickTime: string;
  status: TickStatus;
  /** Runs it created, in creation order. */
  runIds: string[];
  skippedRunKeys: string[];
  skipReason: string | null;
  error: SerializedErrorJson | null;
  /** A sensor's cursor after this tick. */
  cursor: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Stored state of a schedule or sensor, in the automation routes (null until first started, stopped or ticked). */
export interface InstigatorStateJson {
  status: InstigatorStatus;
  cursor: string | null;
  updatedAt: string;
}

/** What the automation routes add to a schedule's or sensor's definition. */
export interface InstigatorStateFieldsJson {
  /** The stored state's, else the default. */
  status: InstigatorStatus;
  state: InstigatorStateJson | null;
  lastTick: TickJson | null;
  /** Newest first. */
  ticks: TickJson[];
}

/** A schedule with its state, next tick(s) and tick history, in `GET /api/schedules` and `/api/schedules/:name`. */
export interface ScheduleJson extends ScheduleSnapshotJson, InstigatorStateFieldsJson {
  nextTick: string | null;
  nextTicks: string[];
}

/** A sensor with its state, cursor and tick history, in `GET /api/sensors` and `/api/sensors/:name`. */
export interface SensorJson extends SensorSnapshotJson, InstigatorStateFieldsJson {
  cursor: string | null;
  lastTickAt: string | null;
}

/** `GET /api/schedules`. */
export interface SchedulesJson {
  schedules: ScheduleJson[];
}

/** `GET /api/schedules/:name`, and `POST /api/schedules/:name/start` or `/stop`. */
export interface ScheduleAnswerJson {
  schedule: ScheduleJson;
}

/** `GET /api/sensors`. */
export interface SensorsJson {
  sensors: SensorJson[];
}

/** `GET /api/sensors/:name`, and `POST /api/sensors/:name/start` or `/stop`. */
export interface SensorAnswerJson {
  sensor: SensorJson;
}

// ——— Automation ———

/** `GET /api/automation`, and `POST /api/automation/start` or `/stop`: the declarative automation loop. */
export interface AutomationJson {
  /** RUNNING or STOPPED: as last started or stopped, else the definitions' `automation.defaultStatus`. */
  status: InstigatorStatus;
  /** True when nobody started or stopped it. */
  isDefault: boolean;
  /** When it was last started or stopped; null when by default. */
  updatedAt: string | null;
  /** How often the daemon evaluates (`automation.evaluation_interval_seconds` of sluice.yaml). */
  intervalSeconds: number;
  /** Assets that have an automation condition. */
  automatedAssets: string[];
  /** Where the loop stands: its previous evaluation; null before the first. */
  cursor: { evaluationId: number; evaluatedAt: string | null; lastEventId: number } | null;
  /** Recent ticks, newest first; a tick's `cursor` is its evaluation id. */
  ticks: TickJson[];
}


// ——— Backfills ———

/** A backfill's status (src/storage/backfill-records.ts). */
export type BackfillStatus = "REQUESTED" | "COMPLETED" | "FAILED" | "CANCELING" | "CANCELED";

/** A backfill partition's status. */
export type BackfillPartitionStatus = "pending" | "launched" | "succeeded" | "failed" | "canceled";

/** Which partitions a backfill covers, as asked for (`POST /api/backfills` body `partitionSet`). */
export type BackfillPartitionSetJson =
  | { kind: "range"; first: string; last: string }
  | { kind: "keys"; keys: string[] }
  | { kind: "all" }
  | { kind: "missing" }
  | { kind: "failed" };

/** What a backfill runs. */
export type BackfillTargetJson =
  | { kind: "assets"; selection: string | null; assetKeys: string[] }
  | { kind: "job"; jobName: string; assetKeys: string[] };

/**
 * Assets launched together, one run per partition key (or per range under a backfill policy);
 * `upstream` groups go first. One group is named `""`; several, after their first asset.
 */
export interface BackfillGroupJson {
  name: string;
  assetKeys: string[];
  upstream: string[];
  /** Its partition keys (its own partitions: mapped from those of the root groups). */
  partitionCount: number;
  /** Runs it launches when its keys are all ready at once. */
  runCount: number;
}

/** A backfill, in `GET /api/backfills`, `GET /api/backfills/:id` and `sluice backfill show --json`. */
export interface BackfillJson {
  backfillId: string;
  status: BackfillStatus;
  target: BackfillTargetJson;
  groups: BackfillGroupJson[];
  partitionSet: BackfillPartitionSetJson;
  /** Partitions of all its groups. */
  partitionCount: number;
  /** Runs it launches in all (the sum of its groups' runCount). */
  runCount: number;
  tags: Record<string, string>;
  /** `cli`, `api`... */
  launchedBy: string;
  /** The backfill whose failed partitions this one retries. */
  parentBackfillId: string | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  /** Partitions (of every group) in each status. */
  counts: Record<BackfillPartitionStatus, number>;
}

/** One partition of a backfill. */
export interface BackfillPartitionJson {
  group: string;
  partition: string;
  status: BackfillPartitionStatus;
  runId: string | null;
  /** Its run's status now. */
  runStatus: RunStatus | null;
  /** Why it failed or was canceled without a run of its own. */
  reason: string | null;
}

/** `GET /api/backfills?status=&limit=&cursor=`: newest first. */
export interface BackfillsPageJson {
  backfills: BackfillJson[];
  nextCursor: string | null;
}

/** `GET /api/backfills/:id?offset=&limit=`: the backfill and one page of its partitions. */
export interface BackfillAnswerJson {
  backfill: BackfillJson;
  partitions: BackfillPartitionJson[];
  /** The page: `total` partitions in all (of every group). */
  page: { offset: number; limit: number; total: number };
}

/** `POST /api/backfills` (201), `POST /api/backfills/:id/cancel|resume|retry-failed`. */
export interface BackfillLaunchAnswerJson {
  backfill: BackfillJson;
}

/** `POST /api/backfills` with `preview: true` (200): what it would launch; nothing is recorded. */
export interface BackfillPreviewJson {
  preview: true;
  target: BackfillTargetJson;
  /** Partitions of all its groups. */
  partitionCount: number;
  runCount: number;
  /** First and last key of the root groups (where the partition set was given). */
  firstKey: string;
  lastKey: string;
  groups: BackfillGroupJson[];
}

/**
 * Body of `POST /api/backfills`: `selection` (an expression or asset keys) or `job`, and
 * `partitionSet`; `tags` for its runs; `preview: true` to count without recording.
 */
export interface BackfillLaunchBodyJson {
  selection?: string | string[];
  job?: string;
  partitionSet: BackfillPartitionSetJson;
  tags?: Record<string, string>;
  preview?: boolean;
}

// ——— Asset checks (src/server/routes/check-routes.ts) ———

/** How a check's evaluation came out: it passed, it did not, or its function threw. */
export type CheckStatusJson = "PASSED" | "FAILED" | "EXECUTION_FAILED";

/** How bad a failed check is: WARN lets downstream steps run even when the check blocks. */
export type CheckSeverityJson = "WARN" | "ERROR";

/** One evaluation of an asset check. */
export interface CheckEvaluationJson {
  /** The ASSET_CHECK_EVALUATION event; pages of history go on `before` it. */
  eventId: number;
  checkName: string;
  assetKey: string;
  partition: string | null;
  runId: string;
  timestamp: string;
  status: CheckStatusJson;
  passed: boolean;
  severity: CheckSeverityJson;
  description: string | null;
  metadata: MetadataMapJson;
}

/**
 * An asset's checks counted by the outcome of their latest evaluation; for a partitioned asset,
 * each check counts once, by its worst latest evaluation over the partitions (an execution failure,
 * then an ERROR failure, then a WARN one, then a pass). `missing`: never evaluated.
 */
export interface CheckSummaryJson {
  passed: number;
  failed: number;
  warning: number;
  missing: number;
  executionFailed: number;
}

/** One check of an asset with its latest evaluation, in `GET /api/assets/:key/checks`. */
export interface AssetCheckJson {
  name: string;
  description: string | null;
  blocking: boolean;
  /** The newest evaluation over all partitions, or null when it has never run. */
  latest: CheckEvaluationJson | null;
  /**
   * The worst latest evaluation over the partitions (for an unpartitioned asset, the latest): what
   * the asset's check summary counts.
   */
  worst: CheckEvaluationJson | null;
  /**
   * For a partitioned asset, the latest evaluation of each evaluated partition, newest first, at
   * most `partitionsListed` of them; null for an unpartitioned asset.
   */
  latestByPartition: CheckEvaluationJson[] | null;
  /** How many partitions have an evaluation (0 or 1 for an unpartitioned asset). */
  evaluatedPartitions: number;
}

/** `GET /api/assets/:key/checks`. */
export interface AssetChecksJson {
  assetKey: string;
  checks: AssetCheckJson[];
  summary: CheckSummaryJson;
  /** The most partitions listed in a check's `latestByPartition`. */
  partitionsListed: number;
}

/** `GET /api/assets/:key/checks/:name/evaluations?partition=&limit=&before=`: newest first. */
export interface CheckEvaluationsPageJson {
  assetKey: string;
  checkName: string;
  evaluations: CheckEvaluationJson[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}
