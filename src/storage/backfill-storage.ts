import type { Insertable, Kysely, Selectable } from "kysely";
import { BackfillNotFoundError, StorageError } from "../definitions/errors.js";
import {
  BackfillPartitionStatus,
  BackfillStatus,
  FINISHED_BACKFILL_STATUSES,
  type BackfillPartitionRecord,
  type BackfillPartitionsQuery,
  type BackfillPartitionUpdate,
  type BackfillRecord,
  type BackfillsFilter,
  type NewBackfill,
  type BackfillLaunch,
  type BackfillGroup,
} from "./backfill-records.js";
import type { StorageDialect } from "./dialect.js";
import type { StorageGuard } from "./guard.js";
import { insertRuns } from "./insert-run.js";
import type { NewRun, RunRecord, RunStatus } from "./records.js";
import type { BackfillPartitionsTable, BackfillsTable, Database } from "./schema.js";

/**
 * Rows per INSERT statement when creating a backfill's partitions: 8 parameters a row stays under
 * SQLite's 32,766 and Postgres' 65,535 bound parameters, and a 10,000-partition backfill takes
 * a few statements in one transaction.
 */
const PARTITION_ROWS_PER_INSERT = 2000;

/** Partitions of one backfill, at most (its request is refused beyond: see the runs layer). */
export const MAX_BACKFILL_PARTITION_ROWS = 1_000_000;

/**
 * Backfills and their partitions. Launching a
 * partition's run is one transaction that creates the run and marks the partition launched only if
 * it is still pending, so a daemon killed anywhere never launches a partition twice nor loses one.
 */
export class BackfillStorage {
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(dialect: StorageDialect, db: Kysely<Database>, guard: StorageGuard) {
    this.#dialect = dialect;
    this.#db = db;
    this.#guard = guard;
  }

  /** See Storage.createBackfill. */
  createBackfill(backfill: NewBackfill): Promise<BackfillRecord> {
    const rows = backfill.groups.reduce((sum, g) => sum + g.partitionKeys.length, 0);
    const empty = backfill.groups.find((g) => g.partitionKeys.length === 0);
    if (backfill.groups.length === 0 || empty) {
      const what = empty ? `partition${backfill.groups.length > 1 ? ` in group "${empty.name}"` : ""}` : "asset group";
      return Promise.reject(new StorageError(`Backfill "${backfill.backfillId}" has no ${what}; there is nothing to record.`));
    }
    if (new Set(backfill.groups.map((g) => g.name)).size !== backfill.groups.length) {
      return Promise.reject(new StorageError(`Backfill "${backfill.backfillId}" names two groups alike; group names must be unique.`));
    }
    if (rows > MAX_BACKFILL_PARTITION_ROWS) {
      return Promise.reject(new StorageError(`Backfill "${backfill.backfillId}" has ${rows} partitions, more than the ${MAX_BACKFILL_PARTITION_ROWS} a backfill may have.`));
    }
    const groups: BackfillGroup[] = backfill.groups.map((g) => ({
      name: g.name,
      assetKeys: g.assetKeys,
      upstream: g.upstream,
      partitionCount: g.partitionKeys.length,
      runCount: g.runCount ?? g.partitionKeys.length,
    }));
    return this.#guard.run(`create backfill "${backfill.backfillId}"`, () =>
      this.#write(async (trx) => {
        const now = Date.now();
        const inserted = await trx
          .insertInto("backfills")
          .values({
            backfill_id: backfill.backfillId,
            status: BackfillStatus.Requested,
            target: JSON.stringify(backfill.target),
            groups: JSON.stringify(groups),
            partition_set: JSON.stringify(backfill.partitionSet),
            partition_count: rows,
            tags: JSON.stringify(backfill.tags ?? {}),
            launched_by: backfill.launchedBy,
            parent_backfill_id: backfill.parentBackfillId ?? null,
            error: null,
            created_at: now,
            updated_at: now,
            ended_at: null,
          })
          .onConflict((oc) => oc.column("backfill_id").doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
          throw new StorageError(`Backfill "${backfill.backfillId}" already exists. Backfill ids must be unique.`);
        }
        let position = 0;
        let batch: Insertable<BackfillPartitionsTable>[] = [];
        const flush = async (): Promise<void> => {
          if (batch.length > 0) await trx.insertInto("backfill_partitions").values(batch).execute();
          batch = [];
        };
        for (const group of backfill.groups) {
          for (const partition of group.partitionKeys) {
            batch.push({ backfill_id: backfill.backfillId, asset_group: group.name, partition, position: position++, status: BackfillPartitionStatus.Pending, run_id: null, reason: null, updated_at: now });
            if (batch.length >= PARTITION_ROWS_PER_INSERT) await flush();
          }
        }
        await flush();
        return (await readBackfill(trx, backfill.backfillId))!;
      }),
    );
  }

  /** Undefined for an unknown id. */
  getBackfill(backfillId: string): Promise<BackfillRecord | undefined> {
    return this.#guard.run(`read backfill "${backfillId}"`, () => readBackfill(this.#db, backfillId));
  }

  /** Newest first; an empty `statuses` matches nothing. */
  listBackfills(filter: BackfillsFilter = {}): Promise<BackfillRecord[]> {
    return this.#guard.run("list backfills", async () => {
      if (filter.statuses?.length === 0 || filter.limit === 0) return [];
      let query = this.#db.selectFrom("backfills").selectAll();
      if (filter.statuses !== undefined) query = query.where("status", "in", filter.statuses);
      if (filter.before !== undefined) {
        const anchor = await this.#db.selectFrom("backfills").select("id").where("backfill_id", "=", filter.before).executeTakeFirst();
        if (anchor === undefined) throw new BackfillNotFoundError(filter.before);
        query = query.where("id", "<", anchor.id);
      }
      query = query.orderBy("id", "desc");
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      return (await query.execute()).map(fromBackfillRow);
    });
  }

  /** In the order of the backfill's groups and keys, with each run's current status. Throws BackfillNotFoundError. */
  getBackfillPartitions(backfillId: string, query: BackfillPartitionsQuery = {}): Promise<BackfillPartitionRecord[]> {
    return this.#guard.run(`read the partitions of backfill "${backfillId}"`, async () => {
      await assertBackfillExists(this.#db, backfillId);
      if (query.statuses?.length === 0 || query.runStatuses?.length === 0 || query.limit === 0) return [];
      let select = this.#db
        .selectFrom("backfill_partitions as p")
        .leftJoin("runs as r", "r.run_id", "p.run_id")
        .select(["p.asset_group", "p.partition", "p.status", "p.run_id", "p.reason", "r.status as run_status"])
        .where("p.backfill_id", "=", backfillId);
      if (query.statuses !== undefined) select = select.where("p.status", "in", query.statuses);
      if (query.runStatuses !== undefined) {
        const { runStatuses } = query;
        const statuses = runStatuses.filter((s): s is RunStatus => s !== null);
        select = select.where((eb) => eb.or([...(statuses.length > 0 ? [eb("r.status", "in", statuses)] : []), ...(runStatuses.includes(null) ? [eb("r.run_id", "is", null)] : [])]));
      }
      if (query.group !== undefined) select = select.where("p.asset_group", "=", query.group);
      select = select.orderBy("p.position");
      // SQLite takes an OFFSET only after a LIMIT.
      if (query.limit !== undefined || query.offset) select = select.limit(query.limit ?? Number.MAX_SAFE_INTEGER);
      if (query.offset) select = select.offset(query.offset);
      return (await select.execute()).map((row) => ({
        group: row.asset_group,
        partition: row.partition,
        status: row.status as BackfillPartitionStatus,
        runId: row.run_id,
        runStatus: (row.run_status ?? null) as RunStatus | null,
        reason: row.reason,
      }));
    });
  }

  /** Every status appears, 0 when none. Throws BackfillNotFoundError. */
  countBackfillPartitions(backfillId: string): Promise<Record<BackfillPartitionStatus, number>> {
    return this.#guard.run(`count the partitions of backfill "${backfillId}"`, async () => {
      await assertBackfillExists(this.#db, backfillId);
      const rows = await this.#db
        .selectFrom("backfill_partitions")
        .select(["status", (eb) => eb.fn.countAll().as("n")])
        .where("backfill_id", "=", backfillId)
        .groupBy("status")
        .execute();
      const counts = Object.fromEntries(Object.values(BackfillPartitionStatus).map((s) => [s, 0])) as Record<BackfillPartitionStatus, number>;
      for (const row of rows) counts[row.status as BackfillPartitionStatus] = Number(row.n);
      return counts;
    });
  }

  /** See Storage.countBackfillRunStatuses. */
  countBackfillRunStatuses(backfillId: string): Promise<Partial<Record<RunStatus, number>>> {
    return this.#guard.run(`count the runs of backfill "${backfillId}"`, async () => {
      await assertBackfillExists(this.#db, backfillId);
      const rows = await this.#db
        .selectFrom("backfill_partitions as p")
        .innerJoin("runs as r", "r.run_id", "p.run_id")
        // A run over a range launches several partitions: count it once.
        .select(["r.status", (eb) => eb.fn.count("r.run_id").distinct().as("n")])
        .where("p.backfill_id", "=", backfillId)
        .where("p.status", "=", BackfillPartitionStatus.Launched)
        .groupBy("r.status")
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    });
  }

  /** See Storage.setBackfillStatus. */
  setBackfillStatus(backfillId: string, status: BackfillStatus, options: { onlyFrom?: BackfillStatus[]; error?: string | null } = {}): Promise<boolean> {
    return this.#guard.run(`set the status of backfill "${backfillId}"`, () =>
      this.#write(async (trx) => {
        if (options.onlyFrom?.length === 0) return (await assertBackfillExists(trx, backfillId), false);
        const now = Date.now();
        let update = trx
          .updateTable("backfills")
          .set({
            status,
            updated_at: now,
            ended_at: FINISHED_BACKFILL_STATUSES.includes(status) ? now : null,
            ...(options.error !== undefined ? { error: options.error } : {}),
          })
          .where("backfill_id", "=", backfillId);
        if (options.onlyFrom !== undefined) update = update.where("status", "in", options.onlyFrom);
        if (Number((await update.executeTakeFirst()).numUpdatedRows) === 1) return true;
        await assertBackfillExists(trx, backfillId);
        return false;
      }),
    );
  }

  /** See Storage.launchBackfillPartition. */
  async launchBackfillPartition(backfillId: string, group: string, partitions: string | readonly string[], run: NewRun): Promise<RunRecord | undefined> {
    const [created] = await this.launchBackfillPartitions(backfillId, [{ group, partitions: typeof partitions === "string" ? [partitions] : partitions, run }]);
    return created;
  }

  /** See Storage.launchBackfillPartitions. */
  launchBackfillPartitions(backfillId: string, launches: readonly BackfillLaunch[]): Promise<RunRecord[]> {
    if (launches.length === 0) return Promise.resolve([]);
    if (launches.some((l) => l.partitions.length === 0)) return Promise.reject(new StorageError(`A launch of backfill "${backfillId}" names no partition: each run launches at least one.`));
    return this.#guard.run(`launch ${launches.length} run${launches.length === 1 ? "" : "s"} of backfill "${backfillId}"`, () =>
      this.#write(async (trx) => {
        const now = Date.now();
        // Only a backfill still being executed launches. The UPDATE (not a SELECT) locks its row on
        // Postgres, so a cancel committing meanwhile waits for this launch, or wins before it.
        const live = await trx
          .updateTable("backfills")
          .set({ updated_at: now })
          .where("backfill_id", "=", backfillId)
          .where("status", "=", BackfillStatus.Requested)
          .executeTakeFirst();
        if (Number(live.numUpdatedRows) === 0) {
          await assertBackfillExists(trx, backfillId);
          return [];
        }
        // A few statements for the whole batch: the partitions still pending (locked on Postgres, so a
        // second daemon racing this one skips them), their runs, then the partitions marked launched.
        const pending = new Map<string, number>();
        const named = [...new Set(launches.flatMap((l) => l.partitions))];
        for (let at = 0; at < named.length; at += PARTITION_ROWS_PER_INSERT) {
          const rows = await this.#dialect
            .forUpdateSkipLocked(
              trx
                .selectFrom("backfill_partitions")
                .select(["asset_group", "partition", "position"])
                .where("backfill_id", "=", backfillId)
                .where("status", "=", BackfillPartitionStatus.Pending)
                .where("partition", "in", named.slice(at, at + PARTITION_ROWS_PER_INSERT)),
            )
            .execute();
          for (const row of rows) pending.set(slot(row.asset_group, row.partition), Number(row.position));
        }
        const launching: { launch: BackfillLaunch; positions: number[] }[] = [];
        for (const launch of launches) {
          const keys = launch.partitions.map((p) => slot(launch.group, p));
          // A run over a range launches only when every partition of it is still pending.
          if (new Set(keys).size !== keys.length || keys.some((k) => !pending.has(k))) continue;
          launching.push({ launch, positions: keys.map((k) => pending.get(k)!) });
          for (const k of keys) pending.delete(k); // a partition listed twice launches once
        }
        if (launching.length === 0) return [];
        const created = await insertRuns(trx, launching.map((l) => l.launch.run), now);
        const rows = launching.flatMap(({ launch, positions }) =>
          launch.partitions.map((partition, i) => ({
            backfill_id: backfillId,
            asset_group: launch.group,
            partition,
            position: positions[i]!,
            status: BackfillPartitionStatus.Launched,
            run_id: launch.run.runId,
            reason: null,
            updated_at: now,
          })),
        );
        for (let at = 0; at < rows.length; at += PARTITION_ROWS_PER_INSERT) {
          // Every row exists (read above, under the write lock): the upsert is a batched UPDATE.
          await trx
            .insertInto("backfill_partitions")
            .values(rows.slice(at, at + PARTITION_ROWS_PER_INSERT))
            .onConflict((oc) =>
              oc.columns(["backfill_id", "asset_group", "partition"]).doUpdateSet((eb) => ({
                status: eb.ref("excluded.status"),
                run_id: eb.ref("excluded.run_id"),
                updated_at: eb.ref("excluded.updated_at"),
              })),
            )
            .execute();
        }
        return created;
      }),
    );
  }

  /** See Storage.updateBackfillPartitions. */
  updateBackfillPartitions(backfillId: string, updates: readonly BackfillPartitionUpdate[], options: { onlyFrom: BackfillPartitionStatus[] }): Promise<number> {
    if (updates.length === 0 || options.onlyFrom.length === 0) return Promise.resolve(0);
    return this.#guard.run(`update the partitions of backfill "${backfillId}"`, () =>
      this.#write(async (trx) => {
        await assertBackfillExists(trx, backfillId);
        const now = Date.now();
        let changed = 0;
        for (const u of updates) {
          const result = await trx
            .updateTable("backfill_partitions")
            .set({ status: u.status, reason: u.reason ?? null, updated_at: now })
            .where("backfill_id", "=", backfillId)
            .where("asset_group", "=", u.group)
            .where("partition", "=", u.partition)
            .where("status", "in", options.onlyFrom)
            .executeTakeFirst();
          changed += Number(result.numUpdatedRows);
        }
        if (changed > 0) await trx.updateTable("backfills").set({ updated_at: now }).where("backfill_id", "=", backfillId).execute();
        return changed;
      }),
    );
  }

  /** See Storage.cancelPendingBackfillPartitions. */
  cancelPendingBackfillPartitions(backfillId: string, reason: string): Promise<number> {
    return this.#guard.run(`cancel the pending partitions of backfill "${backfillId}"`, () =>
      this.#write(async (trx) => {
        await assertBackfillExists(trx, backfillId);
        const now = Date.now();
        const result = await trx
          .updateTable("backfill_partitions")
          .set({ status: BackfillPartitionStatus.Canceled, reason, updated_at: now })
          .where("backfill_id", "=", backfillId)
          .where("status", "=", BackfillPartitionStatus.Pending)
          .executeTakeFirst();
        const changed = Number(result.numUpdatedRows);
        if (changed > 0) await trx.updateTable("backfills").set({ updated_at: now }).where("backfill_id", "=", backfillId).execute();
        return changed;
      }),
    );
  }

  /** See Storage.resumeBackfill. */
  resumeBackfill(backfillId: string): Promise<number | undefined> {
    return this.#guard.run(`resume backfill "${backfillId}"`, () =>
      this.#write(async (trx) => {
        const now = Date.now();
        const resumed = await trx
          .updateTable("backfills")
          .set({ status: BackfillStatus.Requested, updated_at: now, ended_at: null, error: null })
          .where("backfill_id", "=", backfillId)
          .where("status", "in", [BackfillStatus.Failed, BackfillStatus.Canceled])
          .executeTakeFirst();
        if (Number(resumed.numUpdatedRows) === 0) {
          await assertBackfillExists(trx, backfillId);
          return undefined;
        }
        const reset = await trx
          .updateTable("backfill_partitions")
          .set({ status: BackfillPartitionStatus.Pending, run_id: null, reason: null, updated_at: now })
          .where("backfill_id", "=", backfillId)
          .where("status", "in", [BackfillPartitionStatus.Failed, BackfillPartitionStatus.Canceled])
          .executeTakeFirst();
        return Number(reset.numUpdatedRows);
      }),
    );
  }

  #write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#dialect.writeTransaction(this.#db, fn);
  }
}

async function readBackfill(db: Kysely<Database>, backfillId: string): Promise<BackfillRecord | undefined> {
  const row = await db.selectFrom("backfills").selectAll().where("backfill_id", "=", backfillId).executeTakeFirst();
  return row === undefined ? undefined : fromBackfillRow(row);
}

async function assertBackfillExists(db: Kysely<Database>, backfillId: string): Promise<void> {
  const row = await db.selectFrom("backfills").select("backfill_id").where("backfill_id", "=", backfillId).executeTakeFirst();
  if (row === undefined) throw new BackfillNotFoundError(backfillId);
}

function slot(group: string, partition: string): string {
  return `${group}\u0000${partition}`;
}

function fromBackfillRow(row: Selectable<BackfillsTable>): BackfillRecord {
  const partitionCount = Number(row.partition_count);
  // Backfills recorded before groups had their own keys had one group with every partition.
  const groups = (JSON.parse(row.groups) as Partial<BackfillGroup>[]).map(
    (g): BackfillGroup => ({ name: g.name ?? "", assetKeys: g.assetKeys ?? [], upstream: g.upstream ?? [], partitionCount: g.partitionCount ?? partitionCount, runCount: g.runCount ?? g.partitionCount ?? partitionCount }),
  );
  return {
    backfillId: row.backfill_id,
    status: row.status as BackfillStatus,
    target: JSON.parse(row.target) as BackfillRecord["target"],
    groups,
    partitionSet: JSON.parse(row.partition_set) as BackfillRecord["partitionSet"],
    partitionCount,
    tags: JSON.parse(row.tags) as Record<string, string>,
    launchedBy: row.launched_by,
    parentBackfillId: row.parent_backfill_id,
    error: row.error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
  };
}
