import type { Kysely } from "kysely";
import { checkDynamicPartitionKeys } from "../definitions/partitions/dynamic-partitions.js";
import type { DynamicPartitionsRequest } from "../definitions/run-request.js";
import type { StorageDialect } from "./dialect.js";
import type { StorageGuard } from "./guard.js";
import type { DynamicPartitionsChange } from "./records.js";
import type { Database } from "./schema.js";

/**
 * Rows per statement: far below SQLite's limit on bound parameters (32,766) even at the
 * per-request limit of keys, three parameters a row.
 */
const CHUNK = 1000;

/**
 * The keys of dynamic partitions. Adding is idempotent by the unique (name, key) of the table:
 * racing writers cannot store a key twice, and each is told which keys it added.
 */
export class DynamicPartitionStorage {
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  readonly #guard: StorageGuard;

  constructor(dialect: StorageDialect, db: Kysely<Database>, guard: StorageGuard) {
    this.#dialect = dialect;
    this.#db = db;
    this.#guard = guard;
  }

  /** See `Storage.addDynamicPartitions`. */
  addDynamicPartitions(name: string, keys: readonly string[]): Promise<string[]> {
    return this.#guard.run(`add keys to dynamic partitions "${name}"`, async () => {
      const unique = checkDynamicPartitionKeys(name, keys);
      if (unique.length === 0) return [];
      return this.#dialect.writeTransaction(this.#db, async (trx) => {
        await this.#dialect.lockDynamicPartitions(trx);
        return insertKeys(trx, name, unique, Date.now());
      });
    });
  }

  /** See `Storage.deleteDynamicPartitions`. */
  deleteDynamicPartitions(name: string, keys: readonly string[]): Promise<string[]> {
    return this.#guard.run(`remove keys of dynamic partitions "${name}"`, async () => {
      const unique = checkDynamicPartitionKeys(name, keys);
      if (unique.length === 0) return [];
      return this.#dialect.writeTransaction(this.#db, async (trx) => {
        await this.#dialect.lockDynamicPartitions(trx);
        return deleteKeys(trx, name, unique);
      });
    });
  }

  /** See `Storage.getDynamicPartitions`. */
  getDynamicPartitions(name: string): Promise<string[]> {
    return this.#guard.run(`read the keys of dynamic partitions "${name}"`, async () => {
      const rows = await this.#db.selectFrom("dynamic_partitions").select("partition_key").where("name", "=", name).orderBy("id", "asc").execute();
      return rows.map((row) => row.partition_key);
    });
  }

  /** See `Storage.hasDynamicPartition`. */
  hasDynamicPartition(name: string, key: string): Promise<boolean> {
    return this.#guard.run(`look up key "${key}" of dynamic partitions "${name}"`, async () => {
      const row = await this.#db
        .selectFrom("dynamic_partitions")
        .select("id")
        .where("name", "=", name)
        .where("partition_key", "=", key)
        .executeTakeFirst();
      return row !== undefined;
    });
  }
}

/**
 * Applies a sensor tick's dynamic partitions requests inside the tick's transaction, in order
 * (within one request: its additions, then its removals). Throws the errors of
 * checkDynamicPartitionKeys for a malformed request, failing the whole transaction.
 */
export async function applyDynamicPartitionsRequests(trx: Kysely<Database>, dialect: StorageDialect, requests: readonly DynamicPartitionsRequest[], now: number): Promise<DynamicPartitionsChange[]> {
  const changes: DynamicPartitionsChange[] = [];
  if (requests.length > 0) await dialect.lockDynamicPartitions(trx);
  for (const [i, request] of requests.entries()) {
    const name = request.partitionsName;
    const add = checkDynamicPartitionKeys(name, request.add ?? [], `dynamicPartitionsRequests[${i}].add`);
    const remove = checkDynamicPartitionKeys(name, request.remove ?? [], `dynamicPartitionsRequests[${i}].remove`);
    changes.push({
      partitionsName: name,
      added: add.length === 0 ? [] : await insertKeys(trx, name, add, now),
      removed: remove.length === 0 ? [] : await deleteKeys(trx, name, remove),
    });
  }
  return changes;
}

/** Inserts the keys that are new (in the order given, so their ids keep it); returns those. */
async function insertKeys(trx: Kysely<Database>, name: string, keys: readonly string[], now: number): Promise<string[]> {
  const inserted = new Set<string>();
  for (let at = 0; at < keys.length; at += CHUNK) {
    const rows = await trx
      .insertInto("dynamic_partitions")
      .values(keys.slice(at, at + CHUNK).map((key) => ({ name, partition_key: key, created_at: now })))
      .onConflict((oc) => oc.columns(["name", "partition_key"]).doNothing())
      .returning("partition_key")
      .execute();
    for (const row of rows) inserted.add(row.partition_key);
  }
  return keys.filter((key) => inserted.has(key));
}

/** Deletes the keys; returns those that existed, in the order given. */
async function deleteKeys(trx: Kysely<Database>, name: string, keys: readonly string[]): Promise<string[]> {
  const deleted = new Set<string>();
  for (let at = 0; at < keys.length; at += CHUNK) {
    const rows = await trx
      .deleteFrom("dynamic_partitions")
      .where("name", "=", name)
      .where("partition_key", "in", keys.slice(at, at + CHUNK))
      .returning("partition_key")
      .execute();
    for (const row of rows) deleted.add(row.partition_key);
  }
  return keys.filter((key) => deleted.has(key));
}
