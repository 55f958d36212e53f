import type { Kysely } from "kysely";
import { isSluiceError, StorageError, RunNotFoundError } from "../definitions/errors.js";
import type { StorageDialect } from "./dialect.js";
import { EventWriter } from "./event-writer.js";
import { migrateToLatest, readSchemaVersion } from "./migrations.js";
import {
  EventType,
  type AssetIndexRecord,
  type EventRecord,
  type NewEvent,
  type NewRun,
  type RunRecord,
  type RunsFilter,
  type RunStatus,
  type StepStats,
} from "./records.js";
import type { Database } from "./schema.js";
import { fromAssetIndexRow, fromEventRow, fromRunRow, toRunRow } from "./sql-rows.js";
import { computeStepStats } from "./step-stats.js";
import type { EventsQuery, Storage, StorageCapabilities } from "./storage.js";

/**
 * The one implementation of {@link Storage}, written against kysely and a {@link StorageDialect}:
 * SQLite and Postgres differ only in the dialect they pass. Errors that are not Sluice errors
 * (driver failures) are rethrown as StorageError with the original as `cause`.
 */
export class SqlStorage implements Storage {
  readonly capabilities: StorageCapabilities;
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #events: EventWriter;

  constructor(dialect: StorageDialect) {
    this.#dialect = dialect;
    this.capabilities = dialect.capabilities;
    this.#db = dialect.createKysely();
    this.#events = new EventWriter(dialect, this.#db);
  }

  /** Throws StorageError when the database was migrated by a newer Sluice. */
  async migrate(): Promise<void> {
    await guard("migrate the storage schema", () => migrateToLatest(this.#db, this.#dialect));
  }

  /** 0 for a database never migrated. */
  schemaVersion(): Promise<number> {
    return guard("read the schema version", () => readSchemaVersion(this.#db));
  }

  /** Closing twice is harmless. */
  close(): Promise<void> {
    return guard("close storage", () => this.#db.destroy());
  }

  /** Throws StorageError when a run with this id exists. */
  createRun(run: NewRun): Promise<RunRecord> {
    return guard(`create run "${run.runId}"`, () =>
      this.#write(async (trx) => {
        const now = Date.now();
        const parentRunId = run.parentRunId ?? null;
        let rootRunId = run.rootRunId ?? null;
        if (rootRunId === null && parentRunId !== null) {
          const parent = await trx
            .selectFrom("runs")
            .select(["run_id", "root_run_id"])
            .where("run_id", "=", parentRunId)
            .executeTakeFirst();
          rootRunId = parent?.root_run_id ?? parentRunId;
        }
        const record: RunRecord = {
          runId: run.runId,
          status: run.status ?? "QUEUED",
          jobName: run.jobName,
          selection: run.selection,
          selectionExpression: run.selectionExpression ?? null,
          partition: run.partition ?? null,
          config: run.config ?? {},
          tags: run.tags ?? {},
          parentRunId,
          rootRunId,
          createdAt: now,
          updatedAt: now,
          startedAt: null,
          endedAt: null,
        };
        // DO NOTHING + row count detects a duplicate the same way on every dialect, and without
        // a race between a check and the insert.
        const inserted = await trx
          .insertInto("runs")
          .values(toRunRow(record))
          .onConflict((oc) => oc.column("run_id").doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
          throw new StorageError(
            `Run "${run.runId}" already exists. Run ids must be unique: create the run with a new id.`,
          );
        }
        const tags = Object.entries(record.tags);
        if (tags.length > 0) {
          await trx
            .insertInto("run_tags")
            .values(tags.map(([key, value]) => ({ run_id: run.runId, key, value })))
            .execute();
        }
        return record;
      }),
    );
  }

  /** Never throws for an unknown id: returns undefined. */
  getRun(runId: string): Promise<RunRecord | undefined> {
    return guard(`read run "${runId}"`, async () => {
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
    return guard("list runs", async () => {
      const { statuses, jobName, runIds, tags, limit } = filter;
      if (statuses?.length === 0 || runIds?.length === 0 || limit === 0) return [];
      let query = this.#db.selectFrom("runs").selectAll("runs");
      if (statuses !== undefined) query = query.where("status", "in", statuses);
      if (jobName !== undefined) query = query.where("job_name", "=", jobName);
      if (runIds !== undefined) query = query.where("run_id", "in", runIds);
      for (const [key, value] of Object.entries(tags ?? {})) {
        query = query.where(({ exists, selectFrom }) =>
          exists(
            selectFrom("run_tags")
              .select("run_tags.run_id")
              .whereRef("run_tags.run_id", "=", "runs.run_id")
              .where("run_tags.key", "=", key)
              .where("run_tags.value", "=", value),
          ),
        );
      }
      // id breaks ties between runs created in the same millisecond: newest inserted first.
      query = query.orderBy("created_at", "desc").orderBy("id", "desc");
      if (limit !== undefined) query = query.limit(limit);
      return (await query.execute()).map(fromRunRow);
    });
  }

  /** Throws RunNotFoundError when the run does not exist. */
  setRunStatus(runId: string, status: RunStatus): Promise<void> {
    return guard(`set the status of run "${runId}"`, () =>
      this.#write(async (trx) => {
        const result = await trx
          .updateTable("runs")
          .set({ status, updated_at: Date.now() })
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
    return guard("store events", () =>
      this.#write(async (trx) => {
        const stored: EventRecord[] = [];
        for (const event of events) stored.push(await this.#events.write(trx, event));
        return stored;
      }),
    );
  }

  /** An unknown run has no events: returns []. */
  getEvents(runId: string, query: EventsQuery = {}): Promise<EventRecord[]> {
    return guard(`read the events of run "${runId}"`, async () => {
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

  /** An unknown run has no steps: returns []. */
  getStepStats(runId: string): Promise<StepStats[]> {
    return guard(`read the step stats of run "${runId}"`, async () => {
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
    return guard("read the asset index", async () => {
      if (assetKeys?.length === 0) return [];
      let query = this.#db.selectFrom("asset_index").selectAll();
      if (assetKeys !== undefined) query = query.where("asset_key", "in", assetKeys);
      const rows = await query.orderBy("asset_key").orderBy("partition").execute();
      return rows.map(fromAssetIndexRow);
    });
  }

  /** An asset never materialized has none: returns []. */
  getMaterializations(assetKey: string, options: { limit?: number } = {}): Promise<EventRecord[]> {
    return guard(`read the materializations of asset "${assetKey}"`, async () => {
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

  /** Unknown keys are ignored; the index and the events change together or not at all. */
  wipeAssets(assetKeys: string[]): Promise<void> {
    if (assetKeys.length === 0) return Promise.resolve();
    return guard("wipe assets", () =>
      this.#write(async (trx) => {
        await trx.deleteFrom("asset_index").where("asset_key", "in", assetKeys).execute();
        await trx
          .deleteFrom("events")
          .where("type", "=", EventType.AssetMaterialization)
          .where("asset_key", "in", assetKeys)
          .execute();
      }),
    );
  }

  #write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#dialect.writeTransaction(this.#db, fn);
  }
}

/** Runs `fn`, turning driver errors into StorageError that says what was being done. */
async function guard<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isSluiceError(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new StorageError(`Storage failed to ${doing}: ${message}`, { cause: err });
  }
}
