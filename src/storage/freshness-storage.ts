import type { Kysely, Selectable } from "kysely";
import type { FreshnessStatus } from "../definitions/freshness-policy.js";
import type { StorageDialect } from "./dialect.js";
import type { FreshnessRecord, FreshnessTransitionRecord, FreshnessTransitionsQuery, FreshnessUpdate } from "./freshness-records.js";
import type { StorageGuard } from "./guard.js";
import type { AssetFreshnessTable, Database, FreshnessTransitionsTable } from "./schema.js";

/** Transitions read at most per call. */
const MAX_TRANSITIONS = 1000;
/** Keys per `in (...)` list: far below SQLite's bound-parameter limit. */
const CHUNK = 500;

/**
 * Asset freshness: the last evaluated state per asset, and a log of status changes written in the
 * same transaction as the states that changed. One writer is expected (the leader daemon): two
 * writers racing on Postgres could each log the same change.
 */
export class FreshnessStorage {
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(dialect: StorageDialect, db: Kysely<Database>, guard: StorageGuard) {
    this.#dialect = dialect;
    this.#db = db;
    this.#guard = guard;
  }

  /** See `Storage.recordFreshness`. */
  recordFreshness(updates: readonly FreshnessUpdate[]): Promise<FreshnessTransitionRecord[]> {
    return this.#guard.run(`record the freshness of ${updates.length} asset(s)`, async () => {
      if (updates.length === 0) return [];
      return this.#dialect.writeTransaction(this.#db, async (trx) => {
        const previous = new Map<string, string>();
        for (const keys of chunks(updates.map((u) => u.assetKey))) {
          const rows = await trx.selectFrom("asset_freshness").select(["asset_key", "status"]).where("asset_key", "in", keys).execute();
          for (const row of rows) previous.set(row.asset_key, row.status);
        }
        const transitions: FreshnessTransitionRecord[] = [];
        for (const u of updates) {
          const before = previous.get(u.assetKey);
          const fields = { status: u.status, last_materialization_at: u.lastMaterializationAt, next_deadline: u.nextDeadline, updated_at: u.evaluatedAt };
          if (before === undefined) {
            await trx.insertInto("asset_freshness").values({ asset_key: u.assetKey, tracked_since: u.trackedSince, ...fields }).execute();
          } else {
            await trx.updateTable("asset_freshness").set(fields).where("asset_key", "=", u.assetKey).execute();
          }
          if (before === u.status) continue;
          const row = await trx
            .insertInto("freshness_transitions")
            .values({
              asset_key: u.assetKey,
              previous_status: before ?? null,
              status: u.status,
              timestamp: u.evaluatedAt,
              last_materialization_at: u.lastMaterializationAt,
              next_deadline: u.nextDeadline,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          transitions.push({
            id: Number(row.id),
            assetKey: u.assetKey,
            previousStatus: (before ?? null) as FreshnessStatus | null,
            status: u.status,
            timestamp: u.evaluatedAt,
            lastMaterializationAt: u.lastMaterializationAt,
            nextDeadline: u.nextDeadline,
          });
        }
        return transitions;
      });
    });
  }

  /** See `Storage.getFreshness`. */
  getFreshness(assetKeys?: readonly string[]): Promise<FreshnessRecord[]> {
    return this.#guard.run("read asset freshness", async () => {
      if (assetKeys === undefined) {
        const rows = await this.#db.selectFrom("asset_freshness").selectAll().orderBy("asset_key").execute();
        return rows.map(fromStateRow);
      }
      const out: FreshnessRecord[] = [];
      for (const keys of chunks([...new Set(assetKeys)])) {
        const rows = await this.#db.selectFrom("asset_freshness").selectAll().where("asset_key", "in", keys).execute();
        out.push(...rows.map(fromStateRow));
      }
      return out.sort((a, b) => (a.assetKey < b.assetKey ? -1 : a.assetKey > b.assetKey ? 1 : 0));
    });
  }

  /** See `Storage.getFreshnessTransitions`. */
  getFreshnessTransitions(query: FreshnessTransitionsQuery = {}): Promise<FreshnessTransitionRecord[]> {
    return this.#guard.run("read freshness transitions", async () => {
      const limit = Math.min(Math.max(1, query.limit ?? MAX_TRANSITIONS), MAX_TRANSITIONS);
      const rows = await this.#db.selectFrom("freshness_transitions").selectAll().where("id", ">", query.afterId ?? 0).orderBy("id", "asc").limit(limit).execute();
      return rows.map(fromTransitionRow);
    });
  }

  /** See `Storage.deleteFreshness`. */
  deleteFreshness(assetKeys: readonly string[]): Promise<void> {
    return this.#guard.run("forget asset freshness", async () => {
      if (assetKeys.length === 0) return;
      await this.#dialect.writeTransaction(this.#db, async (trx) => {
        for (const keys of chunks([...new Set(assetKeys)])) await trx.deleteFrom("asset_freshness").where("asset_key", "in", keys).execute();
      });
    });
  }
}

function* chunks(keys: readonly string[]): Generator<string[]> {
  for (let i = 0; i < keys.length; i += CHUNK) yield keys.slice(i, i + CHUNK);
}

function fromStateRow(row: Selectable<AssetFreshnessTable>): FreshnessRecord {
  return {
    assetKey: row.asset_key,
    status: row.status as FreshnessStatus,
    lastMaterializationAt: row.last_materialization_at === null ? null : Number(row.last_materialization_at),
    nextDeadline: Number(row.next_deadline),
    trackedSince: Number(row.tracked_since),
    updatedAt: Number(row.updated_at),
  };
}

function fromTransitionRow(row: Selectable<FreshnessTransitionsTable>): FreshnessTransitionRecord {
  return {
    id: Number(row.id),
    assetKey: row.asset_key,
    previousStatus: row.previous_status as FreshnessStatus | null,
    status: row.status as FreshnessStatus,
    timestamp: Number(row.timestamp),
    lastMaterializationAt: row.last_materialization_at === null ? null : Number(row.last_materialization_at),
    nextDeadline: Number(row.next_deadline),
  };
}
