import type {
  AssetIndexRecord,
  EventRecord,
  EventType,
  NewEvent,
  NewRun,
  RunRecord,
  RunsFilter,
  RunStatus,
  StepStats,
} from "./records.js";

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

  /** Creates a run (status QUEUED unless given) and returns it. Throws StorageError when the id exists. */
  createRun(run: NewRun): Promise<RunRecord>;
  /** The run, or undefined. */
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Runs matching every field of the filter, newest first. */
  listRuns(filter?: RunsFilter): Promise<RunRecord[]>;
  /** Sets a run's status directly (used by the launcher and monitoring); throws RunNotFoundError. */
  setRunStatus(runId: string, status: RunStatus): Promise<void>;

  /**
   * Appends an event. In the same transaction: a RUN_START/RUN_SUCCESS/RUN_FAILURE/RUN_CANCELED
   * event moves the run's status and times; an ASSET_MATERIALIZATION event updates the asset index.
   * Throws RunNotFoundError when the run does not exist.
   */
  storeEvent(event: NewEvent): Promise<EventRecord>;
  /** Appends several events in one transaction, with the same side effects as storeEvent. */
  storeEvents(events: NewEvent[]): Promise<EventRecord[]>;
  /** A run's events in the order they were written. */
  getEvents(runId: string, query?: EventsQuery): Promise<EventRecord[]>;
  /** Per-step status derived from a run's STEP_* events, in the order steps first started. */
  getStepStats(runId: string): Promise<StepStats[]>;

  /** Latest materialization per asset key (optionally only these keys). */
  getAssetIndex(assetKeys?: string[]): Promise<AssetIndexRecord[]>;
  /** ASSET_MATERIALIZATION events of one asset, newest first. */
  getMaterializations(assetKey: string, options?: { limit?: number }): Promise<EventRecord[]>;
  /** Forgets the materializations of these assets (index rows and materialization events). */
  wipeAssets(assetKeys: string[]): Promise<void>;
}
