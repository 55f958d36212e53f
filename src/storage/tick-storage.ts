import type { Kysely } from "kysely";
import { StorageError } from "../definitions/errors.js";
import type { StorageDialect } from "./dialect.js";
import { applyDynamicPartitionsRequests } from "./dynamic-partition-storage.js";
import type { StorageGuard } from "./guard.js";
import { insertRun } from "./insert-run.js";
import {
  InstigatorStatus,
  InstigatorType,
  TickStatus,
  type InstigatorState,
  type NewRun,
  type RunRecord,
  type SensorTickResult,
  type TickRecord,
} from "./records.js";
import type { Database } from "./schema.js";
import { fromInstigatorRow, fromRunRow, fromTickRow } from "./sql-rows.js";
import type { Storage } from "./storage.js";

type SensorTick = Parameters<Storage["recordSensorTick"]>[1];
type TickOutcome = Parameters<Storage["finishTick"]>[1];

/**
 * Schedule and sensor state, their ticks, and sensors' run keys. Every "at most once" here is a
 * unique constraint in the database (one schedule tick per scheduled time, one run per run key),
 * so a daemon that restarts, or two daemons that race, cannot repeat work.
 */
export class TickStorage {
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;
  /** Schedule-tick writes waiting for the next shared transaction (see #batched). */
  #pending: { fn: (trx: Kysely<Database>) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  #draining: Promise<void> | undefined;

  constructor(dialect: StorageDialect, db: Kysely<Database>, guard: StorageGuard) {
    this.#guard = guard;
    this.#dialect = dialect;
    this.#db = db;
  }

  /** Undefined when the schedule or sensor was never started, stopped or ticked. */
  getInstigatorState(name: string): Promise<InstigatorState | undefined> {
    return this.#guard.run(`read the state of "${name}"`, async () => {
      const row = await this.#db
        .selectFrom("instigators")
        .selectAll()
        .where("name", "=", name)
        .executeTakeFirst();
      return row === undefined ? undefined : fromInstigatorRow(row);
    });
  }

  /** Sorted by name. */
  listInstigatorStates(type?: InstigatorType): Promise<InstigatorState[]> {
    return this.#guard.run("list schedule and sensor states", async () => {
      let query = this.#db.selectFrom("instigators").selectAll();
      if (type !== undefined) query = query.where("type", "=", type);
      return (await query.orderBy("name").execute()).map(fromInstigatorRow);
    });
  }

  /** Upserts the status; a stored cursor is kept. */
  setInstigatorStatus(
    name: string,
    type: InstigatorType,
    status: InstigatorStatus,
  ): Promise<InstigatorState> {
    return this.#guard.run(`set the status of "${name}"`, () =>
      this.#write(async (trx) => {
        const now = Date.now();
        const row = await trx
          .insertInto("instigators")
          .values({ name, type, status, cursor: null, updated_at: now })
          .onConflict((oc) => oc.column("name").doUpdateSet({ type, status, updated_at: now }))
          .returningAll()
          .executeTakeFirstOrThrow();
        return fromInstigatorRow(row);
      }),
    );
  }

  /** Insert-or-get on the unique (schedule, tick time): racing callers all get the same tick. */
  claimScheduleTick(name: string, tickTime: number): Promise<TickRecord> {
    return this.#guard.run(`claim the tick of schedule "${name}" at ${tickTime}`, () =>
      this.#batched(async (trx) => {
        const now = Date.now();
        // No conflict target: the unique index is partial (schedules only), and DO NOTHING without
        // a target covers it on both dialects. On Postgres a racing insert waits for the other
        // transaction, then does nothing, and the select below sees the committed tick. RETURNING
        // gives the new tick without a second query, which is the common case (one claim per tick).
        const inserted = await trx
          .insertInto("ticks")
          .values({
            instigator_name: name,
            type: InstigatorType.Schedule,
            tick_time: tickTime,
            status: TickStatus.Started,
            run_ids: "[]",
            skipped_run_keys: "[]",
            skip_reason: null,
            error: null,
            cursor: null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted !== undefined) return fromTickRow(inserted);
        const row = await trx
          .selectFrom("ticks")
          .selectAll()
          .where("instigator_name", "=", name)
          .where("type", "=", InstigatorType.Schedule)
          .where("tick_time", "=", tickTime)
          .executeTakeFirstOrThrow();
        return fromTickRow(row);
      }),
    );
  }

  /**
   * Creates the runs of a tick, all or none, once: of several callers (a restarted daemon and a
   * live one) the first sets the tick's run ids and inserts its runs; the others get those runs
   * back, in the tick's order, and create nothing. Throws StorageError for an unknown tick, or when
   * a run id exists (then nothing changes).
   */
  createRunsForTick(tickId: number, runs: readonly NewRun[]): Promise<RunRecord[]> {
    return this.#guard.run(`create the runs of tick ${tickId}`, () =>
      this.#batched(async (trx) => {
        if (runs.length === 0) throw new StorageError(`Tick ${tickId}: a tick's runs cannot be an empty list; finish the tick as SKIPPED instead.`);
        const now = Date.now();
        // Compare-and-set on the tick row: of two racing callers exactly one moves run_ids off
        // "[]" (on Postgres the second waits for the row, then finds it changed and matches none).
        const taken = await trx
          .updateTable("ticks")
          .set({ run_ids: JSON.stringify(runs.map((run) => run.runId)), updated_at: now })
          .where("id", "=", tickId)
          .where("run_ids", "=", "[]")
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) === 1) {
          const created: RunRecord[] = [];
          for (const run of runs) created.push(await insertRun(trx, run, now));
          return created;
        }

        const tick = await trx
          .selectFrom("ticks")
          .select("run_ids")
          .where("id", "=", tickId)
          .executeTakeFirst();
        if (tick === undefined) throw unknownTick(tickId);
        const existingIds = JSON.parse(tick.run_ids) as string[];
        const rows = existingIds.length === 0 ? [] : await trx.selectFrom("runs").selectAll().where("run_id", "in", existingIds).execute();
        const byId = new Map(rows.map((row) => [row.run_id, fromRunRow(row)]));
        return existingIds.map((id) => {
          const run = byId.get(id);
          if (run === undefined) throw new StorageError(`Tick ${tickId} lists run "${id}", which no longer exists in storage.`);
          return run;
        });
      }),
    );
  }

  /** Throws StorageError for an unknown tick. */
  finishTick(tickId: number, outcome: TickOutcome): Promise<TickRecord> {
    return this.#guard.run(`finish tick ${tickId}`, () =>
      this.#batched(async (trx) => {
        const row = await trx
          .updateTable("ticks")
          .set({
            status: outcome.status,
            skip_reason: outcome.skipReason ?? null,
            error: outcome.error == null ? null : JSON.stringify(outcome.error),
            updated_at: Date.now(),
          })
          .where("id", "=", tickId)
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) throw unknownTick(tickId);
        return fromTickRow(row);
      }),
    );
  }

  /**
   * Throws StorageError when a request's run id exists, or the errors of checkDynamicPartitionKeys
   * for a malformed dynamic partitions request; then nothing of the tick is stored (no tick, runs,
   * run keys, partition keys or cursor). A sensor with no stored state is created RUNNING: it ticks.
   */
  recordSensorTick(name: string, tick: SensorTick): Promise<SensorTickResult> {
    return this.#guard.run(`record a tick of sensor "${name}"`, () =>
      this.#write(async (trx) => {
        const now = Date.now();
        // Before the runs: they may be of keys this tick adds (the checks of newRun saw them).
        const dynamicPartitions = await applyDynamicPartitionsRequests(trx, this.#dialect, tick.dynamicPartitionsRequests ?? [], now);
        const createdRuns: RunRecord[] = [];
        const skippedRunKeys: string[] = [];
        for (const request of tick.requests) {
          if (request.runKey !== null) {
            // The primary key (sensor, run key) decides: a key that ran before inserts nothing.
            const claimed = await trx
              .insertInto("run_keys")
              .values({
                instigator_name: name,
                run_key: request.runKey,
                run_id: request.run.runId,
                created_at: now,
              })
              .onConflict((oc) => oc.columns(["instigator_name", "run_key"]).doNothing())
              .executeTakeFirst();
            if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) {
              skippedRunKeys.push(request.runKey);
              continue;
            }
          }
          createdRuns.push(await insertRun(trx, request.run, now));
        }
        const row = await trx
          .insertInto("ticks")
          .values({
            instigator_name: name,
            type: InstigatorType.Sensor,
            tick_time: tick.tickTime,
            status: tick.status,
            run_ids: JSON.stringify(createdRuns.map((run) => run.runId)),
            skipped_run_keys: JSON.stringify(skippedRunKeys),
            skip_reason: tick.skipReason ?? null,
            error: tick.error == null ? null : JSON.stringify(tick.error),
            cursor: tick.cursor,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .insertInto("instigators")
          .values({
            name,
            type: InstigatorType.Sensor,
            status: InstigatorStatus.Running,
            cursor: tick.cursor,
            updated_at: now,
          })
          .onConflict((oc) => oc.column("name").doUpdateSet({ cursor: tick.cursor, updated_at: now }))
          .execute();
        return { tick: fromTickRow(row), createdRuns, dynamicPartitions };
      }),
    );
  }

  /** Newest first (by creation); an empty status list matches nothing. */
  listTicks(
    name: string,
    options: { limit?: number; statuses?: TickStatus[] } = {},
  ): Promise<TickRecord[]> {
    return this.#guard.run(`list the ticks of "${name}"`, async () => {
      const { limit, statuses } = options;
      if (limit === 0 || statuses?.length === 0) return [];
      let query = this.#db.selectFrom("ticks").selectAll().where("instigator_name", "=", name);
      if (statuses !== undefined) query = query.where("status", "in", statuses);
      query = query.orderBy("id", "desc");
      if (limit !== undefined) query = query.limit(limit);
      return (await query.execute()).map(fromTickRow);
    });
  }

  #write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#dialect.writeTransaction(this.#db, fn);
  }

  /**
   * Runs a schedule-tick write in a transaction shared with the others issued meanwhile: when
   * 1,000 schedules tick in the same second, one commit per write was the scheduler's bottleneck.
   * Each write is one of the idempotent tick operations above, so when a shared transaction fails,
   * its writes are retried one transaction each, and one bad write cannot fail the others.
   */
  #batched<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.#draining ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    // Let writes issued in the same tick of the event loop join this batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      let results: unknown[] | undefined;
      if (batch.length > 1) {
        try {
          results = await this.#write(async (trx) => {
            const out: unknown[] = [];
            for (const item of batch) out.push(await item.fn(trx));
            return out;
          });
        } catch {
          results = undefined;
        }
      }
      if (results) {
        batch.forEach((item, i) => item.resolve(results![i]));
        continue;
      }
      for (const item of batch) {
        try {
          item.resolve(await this.#write(item.fn));
        } catch (err) {
          item.reject(err);
        }
      }
    }
    this.#draining = undefined;
  }
}

function unknownTick(tickId: number): StorageError {
  return new StorageError(
    `Tick ${tickId} does not exist in this storage. Use the id of a tick returned by claimScheduleTick.`,
  );
}
