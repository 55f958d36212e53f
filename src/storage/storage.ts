import type { DynamicPartitionsRequest } from "../definitions/run-request.js";
import type {
  AssetIndexRecord,
  CheckEvaluationData,
  CheckEvaluationRecord,
  DaemonHeartbeat,
  InstigatorState,
  InstigatorStatus,
  InstigatorType,
  LeaseRecord,
  RunQueueLimits,
  SensorRunRequest,
  SensorTickResult,
  SerializedError,
  TickRecord,
  TickStatus,
  EventRecord,
  EventType,
  ObservationRecord,
  NewEvent,
  NewRun,
  RunProcess,
  RunRecord,
  RunsFilter,
  RunStatus,
  StepStats,
  StoredValue,
  StoredValueOwner,
} from "./records.js";
import type {
  AssetPartitionCounts,
  AssetPartitionStatus,
  AssetPartitionStatusRecord,
  BackfillPartitionRecord,
  BackfillPartitionsQuery,
  BackfillPartitionStatus,
  BackfillLaunch,
  BackfillPartitionUpdate,
  BackfillRecord,
  BackfillsFilter,
  BackfillStatus,
  LatestAttemptRecord,
  NewBackfill,
} from "./backfill-records.js";
import type { AssetAutomationState, AssetEvaluationRecord, AutomationCursor, AutomationTickResult, AutomationTickWrite } from "./automation-records.js";
import type { AutomationEvaluationsQuery } from "./automation-storage.js";
import type { FreshnessRecord, FreshnessTransitionRecord, FreshnessTransitionsQuery, FreshnessUpdate } from "./freshness-records.js";

/** What a backend can do; callers branch on these, never on the backend's class. */
export interface StorageCapabilities {
  /** `sqlite` or `postgres`. */
  readonly dialect: "sqlite" | "postgres";
  /** Several processes on several machines may share it (false for SQLite: one machine). */
  readonly multiMachine: boolean;
}

/** Options for reading a run's events. */
export interface EventsQuery {
  /** Only events with an id greater than this (for tailing). */
  afterId?: number;
  /** Only events of these types. */
  types?: EventType[];
  limit?: number;
}

/**
 * Everything Sluice records: runs, their event log, and the asset index (latest materialization
 * of each asset). One implementation serves SQLite and Postgres; every method is covered by the
 * contract suite in `storage-contract.ts`.
 */
export interface Storage {
  readonly capabilities: StorageCapabilities;

  /** Brings the schema up to date. Safe to call from many processes at once. Throws StorageError
   * when the database was migrated by a newer Sluice. */
  migrate(): Promise<void>;
  /** The schema version the database is at. */
  schemaVersion(): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
  /** How many runs and events the storage holds (`sluice instance info`); the reserved run of run-less events is not counted. */
  countRecords(): Promise<{ runs: number; events: number }>;

  /** Creates a run (status QUEUED unless given) and returns it. Throws StorageError when the id exists. */
  createRun(run: NewRun): Promise<RunRecord>;
  /** The run, or undefined (also for `__runless__`, the reserved run of run-less events, which is no run). */
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Runs matching every field of the filter, newest first (never the reserved run of run-less events). */
  listRuns(filter?: RunsFilter): Promise<RunRecord[]>;
  /** How many runs match the filter (`before` and `limit` do not apply), without reading them. */
  countRuns(filter?: Omit<RunsFilter, "before" | "limit">): Promise<number>;
  /**
   * Sets a run's status directly (CANCELING on a cancel request, CANCELED for a queued run).
   * With `onlyFrom`, changes it only when the current status is one of those, atomically, and
   * returns whether it did. A finished status also sets endedAt. Throws RunNotFoundError.
   */
  setRunStatus(runId: string, status: RunStatus, options?: { onlyFrom?: RunStatus[] }): Promise<boolean>;
  /**
   * Claims queued runs, oldest first, moving them QUEUED → STARTING with this workerId, as many as
   * `max` and the limits allow (runs in STARTING, STARTED or CANCELING count against them); returns
   * them oldest first. Atomic: two claimers running at once never get the same run, nor together
   * exceed a limit (one write transaction on SQLite; on Postgres FOR UPDATE SKIP LOCKED, and claimers
   * take turns through the dialect's `lockRunQueue`).
   */
  claimQueuedRuns(workerId: string, max: number, limits: RunQueueLimits): Promise<RunRecord[]>;
  /**
   * Claims one queued run regardless of limits (a foreground CLI run); false if it was not QUEUED.
   * With `process`, records it as the run's process (and heartbeatAt) in the same write.
   * Throws RunNotFoundError.
   */
  claimRun(runId: string, workerId: string, process?: RunProcess): Promise<boolean>;
  /** Records that the process executing the run is alive (sets heartbeatAt to now). Throws RunNotFoundError. */
  heartbeatRun(runId: string): Promise<void>;
  /**
   * Records the process that executes the run (a run worker starting), with a heartbeat, so that
   * its death can be told on its machine. Throws RunNotFoundError.
   */
  setRunProcess(runId: string, process: RunProcess): Promise<void>;

  /**
   * Appends an event. In the same transaction: a RUN_START/RUN_SUCCESS/RUN_FAILURE/RUN_CANCELED
   * event moves the run's status and times; an ASSET_MATERIALIZATION event updates the asset index;
   * an ASSET_OBSERVATION event (with `data.dataVersion`) updates the latest observations. An event
   * recorded outside any run (a reported materialization) names the reserved run `__runless__` (RUNLESS_RUN_ID).
   * an ASSET_CHECK_EVALUATION event records its evaluation (see getLatestCheckEvaluations).
   * A finished run (SUCCESS, FAILURE, CANCELED) is never moved by a later RUN_* event (the first
   * finisher wins; the event is still stored), and RUN_START leaves a CANCELING run CANCELING
   * (setting startedAt). The event that ends a run also ends its unfinished steps (in progress, or
   * waiting for a retry): each gets a STEP_FAILURE saying that the run ended, stored before it.
   * Throws RunNotFoundError when the run does not exist.
   */
  storeEvent(event: NewEvent): Promise<EventRecord>;
  /** Appends several events in one transaction, with the same side effects as storeEvent. */
  storeEvents(events: NewEvent[]): Promise<EventRecord[]>;
  /**
   * Ends a run from outside its process (monitoring, a launcher whose worker died, a dead process
   * found on its machine): stores the RUN_FAILURE or RUN_CANCELED event only when the run has not
   * finished, checked in the same transaction, and returns it; undefined when the run had ended
   * (nothing is stored). Throws RunNotFoundError, and StorageError for another event type.
   */
  endRunIfUnfinished(event: NewEvent): Promise<EventRecord | undefined>;
  /** A run's events in the order they were written. */
  getEvents(runId: string, query?: EventsQuery): Promise<EventRecord[]>;
  /**
   * Events of every run in write order, after `afterId` (sensors and live updates tail this),
   * optionally only of these types and asset keys (an empty list matches nothing).
   */
  getEventsAcrossRuns(query: EventsQuery & { assetKeys?: string[] }): Promise<EventRecord[]>;
  /** Per-step status derived from a run's STEP_* events, in the order steps first started. */
  getStepStats(runId: string): Promise<StepStats[]>;

  /** Latest materialization per asset key (optionally only these keys). */
  getAssetIndex(assetKeys?: string[]): Promise<AssetIndexRecord[]>;
  /** ASSET_MATERIALIZATION events of one asset, newest first. */
  getMaterializations(assetKey: string, options?: { limit?: number }): Promise<EventRecord[]>;
  /**
   * The latest value the default IO manager stored for this owner, name and partition (written
   * with the event that recorded it, see NewEvent.value); undefined when none was. `json` null
   * means the value is in the IO manager's file.
   */
  getStoredValue(owner: StoredValueOwner, name: string, partition: string | null): Promise<StoredValue | undefined>;
  /**
   * The latest observation of each observable source asset and partition (optionally only these
   * keys; an empty list matches nothing), sorted by key then partition. Kept up to date by
   * storeEvent in the ASSET_OBSERVATION event's transaction; read without scanning events.
   */
  getLatestObservations(assetKeys?: readonly string[]): Promise<ObservationRecord[]>;
  /** ASSET_OBSERVATION events of one asset, newest first (`partition: null`: unpartitioned ones only). */
  getObservations(assetKey: string, options?: { partition?: string | null; limit?: number }): Promise<EventRecord[]>;
  /**
   * Forgets the materializations and observations of these assets (index rows, materialization
   * and observation events, latest observations, and their partitions' statuses), and their check
   * evaluations (rows and ASSET_CHECK_EVALUATION events).
   */
  wipeAssets(assetKeys: string[]): Promise<void>;

  /**
   * The latest evaluation of each (asset, check, partition) that has one (optionally only of these
   * assets; an empty list matches nothing), sorted by asset key, check name, then partition
   * (unpartitioned first). Rows are written by storeEvent for ASSET_CHECK_EVALUATION events, in the
   * event's transaction; such an event must name its asset and carry {@link CheckEvaluationData}
   * (else StorageError, and nothing is stored).
   */
  getLatestCheckEvaluations(assetKeys?: readonly string[]): Promise<CheckEvaluationRecord[]>;
  /**
   * Evaluations of one check of one asset, newest first: of one partition when `partition` is given
   * (null: the unpartitioned asset), at most `limit`, older than `beforeEventId` (paging).
   */
  getCheckEvaluations(
    assetKey: string,
    checkName: string,
    options?: { partition?: string | null; limit?: number; beforeEventId?: number },
  ): Promise<CheckEvaluationRecord[]>;

  /**
   * The per-partition status index of an asset, sorted by partition key: the latest attempt at each
   * partition that has one (IN_PROGRESS from its step's start, MATERIALIZED, or FAILED when its step
   * failed, was skipped, or its run ended before it materialized; a later materialization clears a
   * failure). A partition without a row is missing. Read without scanning the event log.
   */
  getAssetPartitionStatuses(assetKey: string, options?: { statuses?: AssetPartitionStatus[] }): Promise<AssetPartitionStatusRecord[]>;
  /**
   * The latest attempt at every asset and partition that has one, partitioned or not (`partition`
   * null: the unpartitioned asset), optionally only of these assets (an empty list matches nothing),
   * sorted by asset key then partition (unpartitioned first): IN_PROGRESS, MATERIALIZED or FAILED as
   * in getAssetPartitionStatuses. Read from the same index, in one query.
   */
  getLatestAttempts(assetKeys?: readonly string[]): Promise<LatestAttemptRecord[]>;
  /**
   * The greatest event id stored (0 when there is none): what was written after it is newer. Read
   * before other facts, it is a point up to which they are all known.
   */
  getLatestEventId(): Promise<number>;
  /** How many partitions of each asset are materialized, failed and in progress (zeros for an asset with none). */
  countAssetPartitionStatuses(assetKeys: readonly string[]): Promise<Map<string, AssetPartitionCounts>>;

  /**
   * Records a backfill (REQUESTED) and one pending partition per (group, key of that group), in one
   * transaction with batched inserts; its `partitionCount` is the partitions of all groups. Throws
   * StorageError when the id exists, two groups share a name, or it has no group or a group has no
   * key (and then stores nothing).
   */
  createBackfill(backfill: NewBackfill): Promise<BackfillRecord>;
  /** The backfill, or undefined. */
  getBackfill(backfillId: string): Promise<BackfillRecord | undefined>;
  /** Backfills newest first. Throws BackfillNotFoundError when `before` is unknown. */
  listBackfills(filter?: BackfillsFilter): Promise<BackfillRecord[]>;
  /**
   * A backfill's partitions in its order (groups in dependency order, then keys in the
   * definition's), each with its run's current status; paged by offset and limit. Throws
   * BackfillNotFoundError.
   */
  getBackfillPartitions(backfillId: string, query?: BackfillPartitionsQuery): Promise<BackfillPartitionRecord[]>;
  /**
   * How many runs of a backfill's launched partitions are in each status (a run over a range counts
   * once; statuses with none are left out): what is queued and in flight, counted in the database. Throws BackfillNotFoundError.
   */
  countBackfillRunStatuses(backfillId: string): Promise<Partial<Record<RunStatus, number>>>;
  /** How many partitions of a backfill are in each status. Throws BackfillNotFoundError. */
  countBackfillPartitions(backfillId: string): Promise<Record<BackfillPartitionStatus, number>>;
  /**
   * Sets a backfill's status (a finished one also sets endedAt; `error` replaces the error when
   * given). With `onlyFrom`, only from one of those statuses, atomically; returns whether it
   * changed. Throws BackfillNotFoundError.
   */
  setBackfillStatus(backfillId: string, status: BackfillStatus, options?: { onlyFrom?: BackfillStatus[]; error?: string | null }): Promise<boolean>;
  /**
   * Launches one partition of a backfill (or several of one group, the range a run over a range
   * materializes) with one run, in ONE transaction: marks each launched with `run`'s id and
   * creates the run, only if every one of them is still pending and the backfill REQUESTED;
   * returns the run, or undefined (and changes nothing) otherwise. A daemon killed at any point has
   * launched the partitions with their run, or neither. Throws BackfillNotFoundError, StorageError
   * when the run id exists.
   */
  launchBackfillPartition(backfillId: string, group: string, partitions: string | readonly string[], run: NewRun): Promise<RunRecord | undefined>;
  /**
   * Launches several runs of a backfill in ONE transaction, each as launchBackfillPartition would
   * (a run any of whose partitions is no longer pending, or taken by an earlier run of the batch, is
   * left out); returns the runs created, in order. Nothing when the backfill is not REQUESTED. A run
   * id that exists rolls the whole batch back (StorageError).
   */
  launchBackfillPartitions(backfillId: string, launches: readonly BackfillLaunch[]): Promise<RunRecord[]>;
  /**
   * Sets the status (and reason) of partitions of a backfill whose status is one of `onlyFrom`, in
   * one transaction; returns how many changed. Throws BackfillNotFoundError.
   */
  updateBackfillPartitions(backfillId: string, updates: readonly BackfillPartitionUpdate[], options: { onlyFrom: BackfillPartitionStatus[] }): Promise<number>;
  /** Marks every pending partition of a backfill canceled, with `reason`; returns how many. Throws BackfillNotFoundError. */
  cancelPendingBackfillPartitions(backfillId: string, reason: string): Promise<number>;
  /**
   * Puts a FAILED or CANCELED backfill back to REQUESTED and its failed and canceled partitions back
   * to pending (succeeded ones stay), in one transaction; returns how many partitions it reset, or
   * undefined when the backfill was in another status (nothing changed). Throws BackfillNotFoundError.
   */
  resumeBackfill(backfillId: string): Promise<number | undefined>;

  /** Stored state of a schedule or sensor, or undefined when it was never started/stopped/ticked. */
  getInstigatorState(name: string): Promise<InstigatorState | undefined>;
  /** All stored schedule and sensor states (optionally of one type). */
  listInstigatorStates(type?: InstigatorType): Promise<InstigatorState[]>;
  /** Starts or stops a schedule or sensor (creating its state; a sensor's cursor is kept). */
  setInstigatorStatus(name: string, type: InstigatorType, status: InstigatorStatus): Promise<InstigatorState>;

  /**
   * The tick of a schedule at a scheduled time: created STARTED if there is none, else the
   * existing one. Unique per (schedule, tickTime) in the database, so a restarted daemon resumes
   * a tick instead of repeating it.
   */
  claimScheduleTick(name: string, tickTime: number): Promise<TickRecord>;
  /**
   * Creates the runs of a schedule tick (one or more), once: in one transaction, returns the tick's
   * existing runs if it has some, else creates `runs` and adds them to the tick. Throws StorageError
   * for an unknown tick, an empty list, or when a run id already exists (and then changes nothing).
   */
  createRunsForTick(tickId: number, runs: readonly NewRun[]): Promise<RunRecord[]>;
  /** Ends a tick with its status (and skip reason or error). Throws StorageError for an unknown tick. */
  finishTick(tickId: number, outcome: { status: TickStatus; skipReason?: string | null; error?: SerializedError | null }): Promise<TickRecord>;
  /**
   * Records a sensor evaluation in ONE transaction: the tick, the runs of requests whose run key
   * is new for this sensor (keys are unique per sensor forever; requests without a key always
   * run), and the sensor's new cursor (always stored as given: pass the previous cursor to keep
   * it). A request whose key already ran is listed in tick.skippedRunKeys. A sensor without stored
   * state gets one, RUNNING; an existing state keeps its status. The tick's dynamic partitions
   * requests are applied first, in order, in the same transaction (see addDynamicPartitions).
   * Throws StorageError when a request's run id already exists, and the errors of
   * addDynamicPartitions for a malformed dynamic partitions request; then stores nothing at all
   * (no tick, runs, run keys, partition keys or cursor).
   */
  recordSensorTick(
    name: string,
    tick: {
      tickTime: number;
      status: TickStatus;
      requests: SensorRunRequest[];
      /** Keys to add to or remove from dynamic partitions (default none). */
      dynamicPartitionsRequests?: readonly DynamicPartitionsRequest[];
      cursor: string | null;
      skipReason?: string | null;
      error?: SerializedError | null;
    },
  ): Promise<SensorTickResult>;
  /** Ticks of a schedule or sensor, newest (last created) first; an empty `statuses` matches nothing. */
  listTicks(name: string, options?: { limit?: number; statuses?: TickStatus[] }): Promise<TickRecord[]>;

  /**
   * Adds keys to the dynamic partitions `name`, after the keys it has; keys it has already are left
   * as they are (idempotent, also for writers racing each other). Returns the keys that were new, in
   * the order given. Throws UsageError for a malformed name, PartitionError naming a malformed key
   * (empty, a control character, `...`, `|`, `,`, `[` or `]`), InputLimitError for a key over
   * `InputLimits.nameLength` characters or more than `InputLimits.partitionKeysPerRequest` keys;
   * then adds none of them.
   */
  addDynamicPartitions(name: string, keys: readonly string[]): Promise<string[]>;
  /**
   * Removes keys from the dynamic partitions `name`; keys it does not have are ignored. Returns the
   * keys that were removed, in the order given. Throws as addDynamicPartitions for malformed input,
   * and then removes none of them. Materializations of removed keys are kept.
   */
  deleteDynamicPartitions(name: string, keys: readonly string[]): Promise<string[]>;
  /** The keys of the dynamic partitions `name`, in the order they were added; [] for a name never used. */
  getDynamicPartitions(name: string): Promise<string[]>;
  /** Whether the dynamic partitions `name` have `key`. Never throws for an unknown name or key. */
  hasDynamicPartition(name: string, key: string): Promise<boolean>;

  /**
   * Records the freshness of assets just evaluated, in ONE transaction: each asset's state (created
   * with `trackedSince` the first time, updated after), and a transition for each asset whose
   * status differs from the stored one (or that had none: previousStatus null). Returns the
   * transitions created, in id order. Meant for one writer (the leader daemon).
   */
  recordFreshness(updates: readonly FreshnessUpdate[]): Promise<FreshnessTransitionRecord[]>;
  /** Stored freshness states (optionally only of these assets), by asset key. */
  getFreshness(assetKeys?: readonly string[]): Promise<FreshnessRecord[]>;
  /** Freshness transitions after `afterId`, oldest first, at most `limit` (default and cap 1000). */
  getFreshnessTransitions(query?: FreshnessTransitionsQuery): Promise<FreshnessTransitionRecord[]>;
  /** Forgets the freshness states of these assets (their policy was removed); transitions stay. */
  deleteFreshness(assetKeys: readonly string[]): Promise<void>;

  /** Where the automation loop stands; undefined before its first recorded evaluation. */
  getAutomationCursor(): Promise<AutomationCursor | undefined>;
  /** The stored condition state of every automated asset, by asset key. */
  getAutomationStates(): Promise<AssetAutomationState[]>;
  /**
   * Records one evaluation of the automation loop in ONE transaction, only if the stored cursor's
   * evaluationId (0 when none) is still `write.previousEvaluationId`; otherwise stores nothing and
   * returns `recorded: false` (another writer recorded that evaluation: of two, exactly one wins).
   * When recorded: creates the runs of the launches (as createRun does), stores the evaluations
   * with the ids of the runs whose launches include their asset (keeping the newest 500 per asset),
   * upserts and deletes asset states, moves the cursor, and adds a tick of AUTOMATION_INSTIGATOR
   * (SUCCESS with the run ids, or SKIPPED without runs; its cursor is the evaluation id). Throws
   * StorageError when a run id exists or the new cursor does not follow the previous one; then
   * nothing is stored.
   */
  recordAutomationTick(write: AutomationTickWrite): Promise<AutomationTickResult>;
  /**
   * Kept evaluations of an asset, newest first: at most `limit` (default and cap 1000), with a row
   * id below `beforeId` (paging), evaluated at or before `at` (epoch ms). [] for an unknown asset.
   */
  getAutomationEvaluations(assetKey: string, query?: AutomationEvaluationsQuery): Promise<AssetEvaluationRecord[]>;

  /** Records a daemon's heartbeat (upsert per daemonType + daemonId). */
  recordDaemonHeartbeat(heartbeat: DaemonHeartbeat): Promise<void>;
  /** Latest heartbeat of each daemon. */
  getDaemonHeartbeats(): Promise<DaemonHeartbeat[]>;

  /**
   * Takes or renews the lease `name` for `holder` until now + ttlMs, when it is free, expired,
   * already `holder`'s, or held by `options.takeOverFrom` (a holder known to be dead). Atomic:
   * of holders racing for it, exactly one gets it. Returns whether `holder` holds it now, and the
   * lease as stored (its current holder when not acquired).
   */
  acquireLease(name: string, holder: string, ttlMs: number, options?: { takeOverFrom?: string }): Promise<{ acquired: boolean; lease: LeaseRecord }>;
  /** Gives the lease up if `holder` holds it; returns whether it did. */
  releaseLease(name: string, holder: string): Promise<boolean>;
  /** The lease as stored, expired or not; undefined when nobody ever took it (or it was released). */
  getLease(name: string): Promise<LeaseRecord | undefined>;
}
