import { sql, type Kysely, type Selectable } from "kysely";
import type { StorageDialect } from "./dialect.js";
import type { StorageGuard } from "./guard.js";
import type { LeaseRecord } from "./records.js";
import type { Database, DaemonLeasesTable } from "./schema.js";

/**
 * Leases: a named right held by one holder at a time until it expires (the daemon's leadership).
 * Taking one is a single conditional upsert, so of holders racing for it exactly one wins, on
 * SQLite (one writer) and Postgres (the upsert re-checks its condition on the committed row).
 */
export class LeaseStorage {
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(dialect: StorageDialect, db: Kysely<Database>, guard: StorageGuard) {
    this.#guard = guard;
    this.#dialect = dialect;
    this.#db = db;
  }

  /** See `Storage.acquireLease`. */
  acquireLease(name: string, holder: string, ttlMs: number, options: { takeOverFrom?: string } = {}): Promise<{ acquired: boolean; lease: LeaseRecord }> {
    return this.#guard.run(`acquire lease "${name}"`, () =>
      this.#dialect.writeTransaction(this.#db, async (trx) => {
        const now = Date.now();
        const takeOverFrom = options.takeOverFrom ?? null;
        await trx
          .insertInto("daemon_leases")
          .values({ name, holder, acquired_at: now, expires_at: now + ttlMs })
          .onConflict((oc) =>
            oc
              .column("name")
              .doUpdateSet({
                holder,
                expires_at: now + ttlMs,
                // A renewal keeps the time the holder first took it.
                acquired_at: sql<number>`case when daemon_leases.holder = ${holder} then daemon_leases.acquired_at else ${now} end`,
              })
              .where((eb) =>
                eb.or([
                  eb("daemon_leases.holder", "=", holder),
                  eb("daemon_leases.expires_at", "<=", now),
                  ...(takeOverFrom !== null ? [eb("daemon_leases.holder", "=", takeOverFrom)] : []),
                ]),
              ),
          )
          .execute();
        const row = await trx.selectFrom("daemon_leases").selectAll().where("name", "=", name).executeTakeFirstOrThrow();
        const lease = fromLeaseRow(row);
        return { acquired: lease.holder === holder, lease };
      }),
    );
  }

  /** See `Storage.releaseLease`. */
  releaseLease(name: string, holder: string): Promise<boolean> {
    return this.#guard.run(`release lease "${name}"`, () =>
      this.#dialect.writeTransaction(this.#db, async (trx) => {
        const result = await trx.deleteFrom("daemon_leases").where("name", "=", name).where("holder", "=", holder).executeTakeFirst();
        return Number(result.numDeletedRows) === 1;
      }),
    );
  }

  /** See `Storage.getLease`. */
  getLease(name: string): Promise<LeaseRecord | undefined> {
    return this.#guard.run(`read lease "${name}"`, async () => {
      const row = await this.#db.selectFrom("daemon_leases").selectAll().where("name", "=", name).executeTakeFirst();
      return row === undefined ? undefined : fromLeaseRow(row);
    });
  }
}

function fromLeaseRow(row: Selectable<DaemonLeasesTable>): LeaseRecord {
  return { name: row.name, holder: row.holder, acquiredAt: Number(row.acquired_at), expiresAt: Number(row.expires_at) };
}
