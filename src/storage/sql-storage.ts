import type { Kysely } from "kysely";
import { RunNotFoundError, StorageError } from "../definitions/errors.js";
import type { StorageDialect } from "./dialect.js";
import { DynamicPartitionStorage } from "./dynamic-partition-storage.js";
import type { FreshnessRecord, FreshnessTransitionRecord, FreshnessTransitionsQuery, FreshnessUpdate } from "./freshness-records.js";
import { FreshnessStorage } from "./freshness-storage.js";
import type { AssetAutomationState, AssetEvaluationRecord, AutomationCursor, AutomationTickResult, AutomationTickWrite } from "./automation-records.js";
import { AutomationStorage, type AutomationEvaluationsQuery } from "./automation-storage.js";
import { BackfillStorage } from "./backfill-storage.js";
import { ObservationReader } from "./observation-storage.js";
import { PartitionStatusReader } from "./partition-status-index.js";
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
import { CheckStorage, wipeCheckEvaluations, type CheckEvaluationsQuery } from "./check-storage.js";
import { EventAppender } from "./event-appender.js";
import { StorageGuard } from "./guard.js";
import { LeaseStorage } from "./lease-storage.js";
import { insertRun } from "./insert-run.js";
import { migrateToLatest, readSchemaVersion } from "./migrations.js";
import {
  EventType,
  FINISHED_RUN_STATUSES,
  RUNLESS_RUN_ID,
  type AssetIndexRecord,
  type ObservationRecord,
  type CheckEvaluationRecord,
  type DaemonHeartbeat,
  type EventRecord,
  type InstigatorState,
  type InstigatorStatus,
  type InstigatorType,
  type LeaseRecord,
  type NewEvent,
  type NewRun,
  type RunProcess,
  type RunQueueLimits,
  type RunRecord,
  type RunsFilter,
  type RunStatus,
  type SensorTickResult,
  type StepStats,
  type StoredValue,
  type StoredValueOwner,
  type TickRecord,
  type TickStatus,
} from "./records.js";
import { assertRunExists, RunQueue } from "./run-queue.js";
import { matchesNothing, runsWhere } from "./runs-where.js";
import type { Database } from "./schema.js";
import { fromAssetIndexRow, fromDaemonHeartbeatRow, fromEventRow, fromRunRow, NO_PARTITION, runProcessColumns } from "./sql-rows.js";
import { computeStepStats } from "./step-stats.js";
import type { EventsQuery, Storage, StorageCapabilities } from "./storage.js";
import { TickStorage } from "./tick-storage.js";

/**
 * The one implementation of {@link Storage}, written against kysely and a {@link StorageDialect}:
 * SQLite and Postgres differ only in the dialect they pass. Errors that are not Sluice errors
 * (driver failures) are rethrown as StorageError with the original as `cause`.
 */
export class SqlStorage implements Storage {
  readonly capabilities: StorageCapabilities;
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #events: EventAppender;
  readonly #queue: RunQueue;
  readonly #ticks: TickStorage;
  readonly #leases: LeaseStorage;
  readonly #dynamicPartitions: DynamicPartitionStorage;
  readonly #freshness: FreshnessStorage;
  readonly #automation: AutomationStorage;
  readonly #backfills: BackfillStorage;
  readonly #partitionStatuses: PartitionStatusReader;
  readonly #observations: ObservationReader;
  readonly #checks: CheckStorage;
  readonly #guard: StorageGuard;

  constructor(dialect: StorageDialect) {
    this.#dialect = dialect;
    this.capabilities = dialect.capabilities;
    this.#db = dialect.createKysely();
    this.#guard = new StorageGuard(dialect);
    this.#events = new EventAppender(dialect, this.#db);
    this.#queue = new RunQueue(dialect, this.#db, this.#guard);
    this.#ticks = new TickStorage(dialect, this.#db, this.#guard);
    this.#leases = new LeaseStorage(dialect, this.#db, this.#guard);
    this.#dynamicPartitions = new DynamicPartitionStorage(dialect, this.#db, this.#guard);
    this.#freshness = new FreshnessStorage(dialect, this.#db, this.#guard);
    this.#automation = new AutomationStorage(dialect, this.#db, this.#guard);
    this.#backfills = new BackfillStorage(dialect, this.#db, this.#guard);
    this.#partitionStatuses = new PartitionStatusReader(this.#db, this.#guard);
    this.#observations = new ObservationReader(this.#db, this.#guard);
    this.#checks = new CheckStorage(this.#db, this.#guard);
  }

  /** Throws StorageError when the database was migrated by a newer Sluice. */
  async migrate(): Promise<void> {
    await this.#guard.run("migrate the storage schema", () => migrateToLatest(this.#db, this.#dialect));
  }

  /** 0 for a database never migrated. */
  schemaVersion(): Promise<number> {
    return this.#guard.run("read the schema version", () => readSchemaVersion(this.#db, this.#dialect));
  }

  /** Closing twice is harmless. */
  close(): Promise<void> {
    return this.#guard.run("close storage", () => this.#db.destroy());
  }

  /** Counts as numbers on every backend (Postgres' count(*) is an int8). */
  countRecords(): Promise<{ runs: number; events: number }> {
    return this.#guard.run("count runs and events", async () => {
      const count = async (table: "runs" | "events") => {
        const row = await this.#db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      };
      // The reserved run of run-less events is no run a user made.
      const runs = await this.countRuns();
      return { runs, events: await count("events") };
    });
  }

  /** Throws StorageError when a run with this id exists. */
  createRun(run: NewRun): Promise<RunRecord> {
    return this.#guard.run(`create run "${run.runId}"`, () =>
      this.#write((trx) => insertRun(trx, run, Date.now())),
    );
  }

  /** Never throws for an unknown id: returns undefined (also for the reserved run of run-less events). */
  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#guard.run(`read run "${runId}"`, async () => {
      if (runId === RUNLESS_RUN_ID) return undefined;
      const row = await this.#db
        .selectFrom("runs")
        .selectAll()
        .where("run_id", "=", runId)
        .executeTakeFirst();
      return row === undefined ? undefined : fromRunRow(row);
    });
  }

  /** An empty list in a filter field matches nothing. */
  listRuns(filter: RunsFilter = {}): Promise<RunRecord[]> {
    return this.#guard.run("list runs", async () => {
      const { before, limit } = filter;
      if (matchesNothing(filter) || limit === 0) return [];
      let query = runsWhere(this.#db, filter).selectAll("runs");
      if (before !== undefined) {
        // Keyset paging: strictly after the anchor in (created_at, id) descending order, so a page
        // costs the same at any depth and runs created meanwhile do not shift it.
        const anchor = await this.#db.selectFrom("runs").select(["created_at", "id"]).where("run_id", "=", before).executeTakeFirst();
        if (anchor === undefined) throw new RunNotFoundError(before);
        const { created_at: createdAt, id } = anchor;
        query = query.where((eb) => eb.or([eb("created_at", "<", createdAt), eb.and([eb("created_at", "=", createdAt), eb("id", "<", id)])]));
      }
      // id breaks ties between runs created in the same millisecond: newest inserted first.
      query = query.orderBy("created_at", "desc").orderBy("id", "desc");
      if (limit !== undefined) query = query.limit(limit);
      return (await query.execute()).map(fromRunRow);
    });
  }

  /** Counted in the database, without reading the runs; an empty list in a filter field matches nothing. */
  countRuns(filter: Omit<RunsFilter, "before" | "limit"> = {}): Promise<number> {
    return this.#guard.run("count runs", async () => {
      if (matchesNothing(filter)) return 0;
      const row = await runsWhere(this.#db, filter)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  /** Throws RunNotFoundError when the run does not exist (also when `onlyFrom` does not match). */
  setRunStatus(
    runId: string,
    status: RunStatus,
    options: { onlyFrom?: RunStatus[] } = {},
  ): Promise<boolean> {
    const { onlyFrom } = options;
    return this.#guard.run(`set the status of run "${runId}"`, () =>
      this.#write(async (trx) => {
        if (onlyFrom?.length === 0) {
          await assertRunExists(trx, runId);
          return false;
        }
        const now = Date.now();
        let update = trx
          .updateTable("runs")
          .set({
            status,
            updated_at: now,
            ...(FINISHED_RUN_STATUSES.includes(status) ? { ended_at: now } : {}),
          })
          .where("run_id", "=", runId);
        // The status check is part of the UPDATE, so no other writer can slip in between.
        if (onlyFrom !== undefined) update = update.where("status", "in", onlyFrom);
        if (Number((await update.executeTakeFirst()).numUpdatedRows) === 1) return true;
        await assertRunExists(trx, runId);
        return false;
      }),
    );
  }

  /** Oldest first, within the limits; see {@link RunQueue}. */
  claimQueuedRuns(workerId: string, max: number, limits: RunQueueLimits): Promise<RunRecord[]> {
    return this.#queue.claimQueuedRuns(workerId, max, limits);
  }

  /** Throws RunNotFoundError when the run does not exist. */
  claimRun(runId: string, workerId: string, process?: RunProcess): Promise<boolean> {
    return this.#queue.claimRun(runId, workerId, process);
  }

  /** Throws RunNotFoundError when the run does not exist. */
  setRunProcess(runId: string, process: RunProcess): Promise<void> {
    return this.#guard.run(`record the process of run "${runId}"`, () =>
      this.#write(async (trx) => {
        const now = Date.now();
        const result = await trx
          .updateTable("runs")
          .set({ ...runProcessColumns(process), heartbeat_at: now, updated_at: now })
          .where("run_id", "=", runId)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new RunNotFoundError(runId);
      }),
    );
  }

  /** Throws RunNotFoundError when the run does not exist. */
  heartbeatRun(runId: string): Promise<void> {
    return this.#guard.run(`record a heartbeat of run "${runId}"`, () =>
      this.#write(async (trx) => {
        const now = Date.now();
        const result = await trx
          .updateTable("runs")
          .set({ heartbeat_at: now, updated_at: now })
          .where("run_id", "=", runId)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new RunNotFoundError(runId);
      }),
    );
  }

  /** Throws RunNotFoundError when the run does not exist (and then stores nothing). */
  async storeEvent(event: NewEvent): Promise<EventRecord> {
    const [stored] = await this.storeEvents([event]);
    return stored!;
  }

  /** Throws RunNotFoundError when any event's run does not exist (and then stores none of them). */
  storeEvents(events: NewEvent[]): Promise<EventRecord[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.#guard.run("store events", () =>
      this.#dialect.eventLogTransaction(this.#db, (trx) => this.#events.writeAll(trx, events)),
    );
  }

  /** Throws RunNotFoundError for an unknown run, StorageError for an event that does not end a run. */
  endRunIfUnfinished(event: NewEvent): Promise<EventRecord | undefined> {
    if (event.type !== EventType.RunFailure && event.type !== EventType.RunCanceled) {
      return Promise.reject(new StorageError(`endRunIfUnfinished takes a RUN_FAILURE or RUN_CANCELED event, not ${event.type}.`));
    }
    return this.#guard.run(`end run "${event.runId}"`, () =>
      this.#dialect.eventLogTransaction(this.#db, async (trx) => {
        const run = await trx.selectFrom("runs").select("status").where("run_id", "=", event.runId).executeTakeFirst();
        if (run === undefined) throw new RunNotFoundError(event.runId);
        if (FINISHED_RUN_STATUSES.includes(run.status as RunStatus)) return undefined;
        return this.#events.write(trx, event);
      }),
    );
  }

  /** An unknown run has no events: returns []. */
  getEvents(runId: string, query: EventsQuery = {}): Promise<EventRecord[]> {
    return this.#guard.run(`read the events of run "${runId}"`, async () => {
      const { afterId, types, limit } = query;
      if (types?.length === 0 || limit === 0) return [];
      let select = this.#db.selectFrom("events").selectAll().where("run_id", "=", runId);
      if (afterId !== undefined) select = select.where("id", ">", afterId);
      if (types !== undefined) select = select.where("type", "in", types);
      select = select.orderBy("id", "asc");
      if (limit !== undefined) select = select.limit(limit);
      return (await select.execute()).map(fromEventRow);
    });
  }

  /** In id (write) order; an empty `types` or `assetKeys` list matches nothing. */
  getEventsAcrossRuns(query: EventsQuery & { assetKeys?: string[] }): Promise<EventRecord[]> {
    return this.#guard.run("read events across runs", async () => {
      const { afterId, types, assetKeys, limit } = query;
      if (types?.length === 0 || assetKeys?.length === 0 || limit === 0) return [];
      let select = this.#db.selectFrom("events").selectAll();
      if (afterId !== undefined) select = select.where("id", ">", afterId);
      if (types !== undefined) select = select.where("type", "in", types);
      if (assetKeys !== undefined) select = select.where("asset_key", "in", assetKeys);
      select = select.orderBy("id", "asc");
      if (limit !== undefined) select = select.limit(limit);
      return (await select.execute()).map(fromEventRow);
    });
  }

  /** An unknown run has no steps: returns []. */
  getStepStats(runId: string): Promise<StepStats[]> {
    return this.#guard.run(`read the step stats of run "${runId}"`, async () => {
      const rows = await this.#db
        .selectFrom("events")
        .select(["id", "type", "step_key", "timestamp"])
        .where("run_id", "=", runId)
        .where("step_key", "is not", null)
        .orderBy("id", "asc")
        .execute();
      return computeStepStats(
        rows.map((row) => ({
          id: Number(row.id),
          type: row.type,
          stepKey: row.step_key!,
          timestamp: Number(row.timestamp),
        })),
      );
    });
  }

  /** Sorted by asset key, then partition (unpartitioned first). */
  getAssetIndex(assetKeys?: string[]): Promise<AssetIndexRecord[]> {
    return this.#guard.run("read the asset index", async () => {
      if (assetKeys?.length === 0) return [];
      let query = this.#db.selectFrom("asset_index").selectAll();
      if (assetKeys !== undefined) query = query.where("asset_key", "in", assetKeys);
      const rows = await query.orderBy("asset_key").orderBy("partition").execute();
      return rows.map(fromAssetIndexRow);
    });
  }

  /** An asset never materialized has none: returns []. */
  getMaterializations(assetKey: string, options: { limit?: number } = {}): Promise<EventRecord[]> {
    return this.#guard.run(`read the materializations of asset "${assetKey}"`, async () => {
      if (options.limit === 0) return [];
      let query = this.#db
        .selectFrom("events")
        .selectAll()
        .where("asset_key", "=", assetKey)
        .where("type", "=", EventType.AssetMaterialization)
        .orderBy("id", "desc");
      if (options.limit !== undefined) query = query.limit(options.limit);
      return (await query.execute()).map(fromEventRow);
    });
  }

  getStoredValue(owner: StoredValueOwner, name: string, partition: string | null): Promise<StoredValue | undefined> {
    return this.#guard.run(`read the stored value of ${owner} "${name}"${partition !== null ? ` (partition "${partition}")` : ""}`, async () => {
      const row = await this.#db
        .selectFrom("stored_values")
        .select("json")
        .where("owner", "=", owner)
        .where("name", "=", name)
        .where("partition", "=", partition ?? NO_PARTITION)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      return { owner, name, partition, json: row.json === null ? null : new Uint8Array(row.json) };
    });
  }

  /** Unknown keys are ignored; the index and the events change together or not at all. */
  wipeAssets(assetKeys: string[]): Promise<void> {
    if (assetKeys.length === 0) return Promise.resolve();
    return this.#guard.run("wipe assets", () =>
      this.#write(async (trx) => {
        await trx.deleteFrom("asset_index").where("asset_key", "in", assetKeys).execute();
        await trx.deleteFrom("asset_partition_status").where("asset_key", "in", assetKeys).execute();
        await trx.deleteFrom("asset_observations").where("asset_key", "in", assetKeys).execute();
        await wipeCheckEvaluations(trx, assetKeys);
        await trx
          .deleteFrom("events")
          .where("type", "in", [EventType.AssetMaterialization, EventType.AssetObservation, EventType.AssetCheckEvaluation])
          .where("asset_key", "in", assetKeys)
          .execute();
      }),
    );
  }

  /** See {@link ObservationReader}. */
  getLatestObservations(assetKeys?: readonly string[]): Promise<ObservationRecord[]> {
    return this.#observations.getLatestObservations(assetKeys);
  }

  /** See {@link ObservationReader}. */
  getObservations(assetKey: string, options?: { partition?: string | null; limit?: number }): Promise<EventRecord[]> {
    return this.#observations.getObservations(assetKey, options);
  }

  /** See {@link CheckStorage}. */
  getLatestCheckEvaluations(assetKeys?: readonly string[]): Promise<CheckEvaluationRecord[]> {
    return this.#checks.getLatestCheckEvaluations(assetKeys);
  }

  /** Newest first. */
  getCheckEvaluations(assetKey: string, checkName: string, options?: CheckEvaluationsQuery): Promise<CheckEvaluationRecord[]> {
    return this.#checks.getCheckEvaluations(assetKey, checkName, options);
  }

  /** See {@link PartitionStatusReader}. */
  getLatestAttempts(assetKeys?: readonly string[]): Promise<LatestAttemptRecord[]> {
    return this.#partitionStatuses.getLatestAttempts(assetKeys);
  }

  /** 0 on an empty event log. */
  getLatestEventId(): Promise<number> {
    return this.#guard.run("read the latest event id", async () => {
      const row = await this.#db.selectFrom("events").select((eb) => eb.fn.max("id").as("id")).executeTakeFirst();
      return row?.id == null ? 0 : Number(row.id);
    });
  }

  /** See {@link PartitionStatusReader}. */
  getAssetPartitionStatuses(assetKey: string, options?: { statuses?: AssetPartitionStatus[] }): Promise<AssetPartitionStatusRecord[]> {
    return this.#partitionStatuses.getAssetPartitionStatuses(assetKey, options);
  }

  /** Zeros for an asset with no partition recorded. */
  countAssetPartitionStatuses(assetKeys: readonly string[]): Promise<Map<string, AssetPartitionCounts>> {
    return this.#partitionStatuses.countAssetPartitionStatuses(assetKeys);
  }

  /** Batched inserts in one transaction. */
  createBackfill(backfill: NewBackfill): Promise<BackfillRecord> {
    return this.#backfills.createBackfill(backfill);
  }

  /** Undefined for an unknown id. */
  getBackfill(backfillId: string): Promise<BackfillRecord | undefined> {
    return this.#backfills.getBackfill(backfillId);
  }

  /** Newest first. */
  listBackfills(filter?: BackfillsFilter): Promise<BackfillRecord[]> {
    return this.#backfills.listBackfills(filter);
  }

  /** In the backfill's order. */
  getBackfillPartitions(backfillId: string, query?: BackfillPartitionsQuery): Promise<BackfillPartitionRecord[]> {
    return this.#backfills.getBackfillPartitions(backfillId, query);
  }

  /** Every status, 0 when none. */
  countBackfillPartitions(backfillId: string): Promise<Record<BackfillPartitionStatus, number>> {
    return this.#backfills.countBackfillPartitions(backfillId);
  }

  /** Launched partitions only. */
  countBackfillRunStatuses(backfillId: string): Promise<Partial<Record<RunStatus, number>>> {
    return this.#backfills.countBackfillRunStatuses(backfillId);
  }

  /** Atomic with onlyFrom. */
  setBackfillStatus(backfillId: string, status: BackfillStatus, options?: { onlyFrom?: BackfillStatus[]; error?: string | null }): Promise<boolean> {
    return this.#backfills.setBackfillStatus(backfillId, status, options);
  }

  /** One transaction: the run and the partition's launch, or nothing. */
  launchBackfillPartition(backfillId: string, group: string, partitions: string | readonly string[], run: NewRun): Promise<RunRecord | undefined> {
    return this.#backfills.launchBackfillPartition(backfillId, group, partitions, run);
  }

  /** One transaction for the batch. */
  launchBackfillPartitions(backfillId: string, launches: readonly BackfillLaunch[]): Promise<RunRecord[]> {
    return this.#backfills.launchBackfillPartitions(backfillId, launches);
  }

  /** Only partitions in one of `onlyFrom`. */
  updateBackfillPartitions(backfillId: string, updates: readonly BackfillPartitionUpdate[], options: { onlyFrom: BackfillPartitionStatus[] }): Promise<number> {
    return this.#backfills.updateBackfillPartitions(backfillId, updates, options);
  }

  /** Pending partitions only. */
  cancelPendingBackfillPartitions(backfillId: string, reason: string): Promise<number> {
    return this.#backfills.cancelPendingBackfillPartitions(backfillId, reason);
  }

  /** Only from FAILED or CANCELED. */
  resumeBackfill(backfillId: string): Promise<number | undefined> {
    return this.#backfills.resumeBackfill(backfillId);
  }

  /** See {@link TickStorage}. */
  getInstigatorState(name: string): Promise<InstigatorState | undefined> {
    return this.#ticks.getInstigatorState(name);
  }

  /** Sorted by name. */
  listInstigatorStates(type?: InstigatorType): Promise<InstigatorState[]> {
    return this.#ticks.listInstigatorStates(type);
  }

  /** Keeps a sensor's cursor. */
  setInstigatorStatus(
    name: string,
    type: InstigatorType,
    status: InstigatorStatus,
  ): Promise<InstigatorState> {
    return this.#ticks.setInstigatorStatus(name, type, status);
  }

  /** Racing callers get the same tick. */
  claimScheduleTick(name: string, tickTime: number): Promise<TickRecord> {
    return this.#ticks.claimScheduleTick(name, tickTime);
  }

  /** Throws StorageError for an unknown tick or an existing run id. */
  createRunsForTick(tickId: number, runs: readonly NewRun[]): Promise<RunRecord[]> {
    return this.#ticks.createRunsForTick(tickId, runs);
  }

  /** Throws StorageError for an unknown tick. */
  finishTick(tickId: number, outcome: Parameters<Storage["finishTick"]>[1]): Promise<TickRecord> {
    return this.#ticks.finishTick(tickId, outcome);
  }

  /** Throws StorageError when a request's run id exists; then stores nothing of the tick. */
  recordSensorTick(
    name: string,
    tick: Parameters<Storage["recordSensorTick"]>[1],
  ): Promise<SensorTickResult> {
    return this.#ticks.recordSensorTick(name, tick);
  }

  /** Newest first. */
  listTicks(name: string, options?: { limit?: number; statuses?: TickStatus[] }): Promise<TickRecord[]> {
    return this.#ticks.listTicks(name, options);
  }

  /** See {@link FreshnessStorage}. */
  recordFreshness(updates: readonly FreshnessUpdate[]): Promise<FreshnessTransitionRecord[]> {
    return this.#freshness.recordFreshness(updates);
  }

  /** See {@link FreshnessStorage}. */
  getFreshness(assetKeys?: readonly string[]): Promise<FreshnessRecord[]> {
    return this.#freshness.getFreshness(assetKeys);
  }

  /** See {@link FreshnessStorage}. */
  getFreshnessTransitions(query?: FreshnessTransitionsQuery): Promise<FreshnessTransitionRecord[]> {
    return this.#freshness.getFreshnessTransitions(query);
  }

  /** See {@link FreshnessStorage}. */
  deleteFreshness(assetKeys: readonly string[]): Promise<void> {
    return this.#freshness.deleteFreshness(assetKeys);
  }

  /** See {@link AutomationStorage}. */
  getAutomationCursor(): Promise<AutomationCursor | undefined> {
    return this.#automation.getAutomationCursor();
  }

  /** By asset key. */
  getAutomationStates(): Promise<AssetAutomationState[]> {
    return this.#automation.getAutomationStates();
  }

  /** Compare-and-set on the cursor; see {@link AutomationStorage}. */
  recordAutomationTick(write: AutomationTickWrite): Promise<AutomationTickResult> {
    return this.#automation.recordAutomationTick(write);
  }

  /** Newest first. */
  getAutomationEvaluations(assetKey: string, query?: AutomationEvaluationsQuery): Promise<AssetEvaluationRecord[]> {
    return this.#automation.getAutomationEvaluations(assetKey, query);
  }

  /** Idempotent; see {@link DynamicPartitionStorage}. */
  addDynamicPartitions(name: string, keys: readonly string[]): Promise<string[]> {
    return this.#dynamicPartitions.addDynamicPartitions(name, keys);
  }

  /** Keys it does not have are ignored. */
  deleteDynamicPartitions(name: string, keys: readonly string[]): Promise<string[]> {
    return this.#dynamicPartitions.deleteDynamicPartitions(name, keys);
  }

  /** In the order they were added. */
  getDynamicPartitions(name: string): Promise<string[]> {
    return this.#dynamicPartitions.getDynamicPartitions(name);
  }

  /** False for an unknown name. */
  hasDynamicPartition(name: string, key: string): Promise<boolean> {
    return this.#dynamicPartitions.hasDynamicPartition(name, key);
  }

  /** Upsert per (daemonType, daemonId). */
  recordDaemonHeartbeat(heartbeat: DaemonHeartbeat): Promise<void> {
    return this.#guard.run(`record the heartbeat of daemon "${heartbeat.daemonType}"`, () =>
      this.#write(async (trx) => {
        const row = {
          daemon_type: heartbeat.daemonType,
          daemon_id: heartbeat.daemonId,
          timestamp: heartbeat.timestamp,
          errors: JSON.stringify(heartbeat.errors),
        };
        await trx
          .insertInto("daemon_heartbeats")
          .values(row)
          .onConflict((oc) =>
            oc
              .columns(["daemon_type", "daemon_id"])
              .doUpdateSet({ timestamp: row.timestamp, errors: row.errors }),
          )
          .execute();
      }),
    );
  }

  /** Sorted by daemon type, then id. */
  getDaemonHeartbeats(): Promise<DaemonHeartbeat[]> {
    return this.#guard.run("read daemon heartbeats", async () => {
      const rows = await this.#db
        .selectFrom("daemon_heartbeats")
        .selectAll()
        .orderBy("daemon_type")
        .orderBy("daemon_id")
        .execute();
      return rows.map(fromDaemonHeartbeatRow);
    });
  }

  /** See {@link LeaseStorage}. */
  acquireLease(name: string, holder: string, ttlMs: number, options?: { takeOverFrom?: string }): Promise<{ acquired: boolean; lease: LeaseRecord }> {
    return this.#leases.acquireLease(name, holder, ttlMs, options);
  }

  /** Only the holder's release counts. */
  releaseLease(name: string, holder: string): Promise<boolean> {
    return this.#leases.releaseLease(name, holder);
  }

  /** Expired leases are returned as stored. */
  getLease(name: string): Promise<LeaseRecord | undefined> {
    return this.#leases.getLease(name);
  }

  #write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#dialect.writeTransaction(this.#db, fn);
  }
}

