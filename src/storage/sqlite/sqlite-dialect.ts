import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  type Dialect,
  type Driver,
  type SqliteDatabase,
  type SqliteStatement,
} from "kysely";
import type { DialectDdl, StorageDialect } from "../dialect.js";
import { secretMaskingDialect } from "../secret-masking-dialect.js";
import type { Database } from "../schema.js";
import type { StorageCapabilities } from "../storage.js";
import { BackgroundCheckpointer } from "./background-checkpoint.js";

/** How long a connection waits for another process's write lock before failing. */
const BUSY_TIMEOUT_MS = 30_000;
/** Prepared statements kept per connection; kysely would otherwise re-prepare every query. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * One driver per file per process, shared by every storage opened on it. better-sqlite3 is
 * synchronous: with two connections in one thread, one holding the write lock across an `await`
 * while the other waits in the busy handler, the waiter blocks the very thread that would commit,
 * and both stall for the whole busy timeout. One connection (with kysely's mutex) serializes them.
 */
const sharedDrivers = new Map<string, { driver: Driver; users: number; init?: Promise<void> }>();

// Compiled once: they run twice per stored event.
const BEGIN_IMMEDIATE = CompiledQuery.raw("begin immediate");
const COMMIT = CompiledQuery.raw("commit");
const ROLLBACK = CompiledQuery.raw("rollback");

const capabilities: StorageCapabilities = { dialect: "sqlite", multiMachine: false };

const ddl: DialectDdl = {
  // AUTOINCREMENT (not a bare rowid alias) so a deleted newest event's id is never handed out again.
  idColumn: { type: "integer", build: (column) => column.primaryKey().autoIncrement() },
  blobType: "blob",
};

/**
 * The SQLite backend's dialect: one better-sqlite3 connection per file per process, shared by all
 * storages opened on it (kysely serializes its use), WAL so readers never block the writer, and
 * `BEGIN IMMEDIATE` write transactions so several processes can write one file without
 * "database is locked". The parent folder of the file is created when missing.
 *
 * @example
 * const dialect = sqliteDialect(".sluice/storage.db");
 * const db = dialect.createKysely();
 */
export function sqliteDialect(filePath: string): StorageDialect {
  return {
    capabilities,
    ddl,
    // A file has no connection to lose; a busy file is waited for by the busy timeout instead.
    reconnectTimeoutMs: 0,
    connectionLoss: () => undefined,

    createKysely(): Kysely<Database> {
      const base = new SqliteDialect({ database: async () => openDatabase(filePath) });
      const dialect: Dialect = {
        createDriver: () =>
          filePath === ":memory:" || filePath === ""
            ? base.createDriver() // a private database per connection: nothing to share
            : leaseSharedDriver(path.resolve(filePath), () => base.createDriver()),
        createQueryCompiler: () => base.createQueryCompiler(),
        createAdapter: () => base.createAdapter(),
        createIntrospector: (db) => base.createIntrospector(db),
      };
      return new Kysely<Database>({ dialect: secretMaskingDialect(dialect) });
    },

    async writeTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
      // kysely's own transaction() issues a deferred BEGIN: the first write then has to upgrade a
      // read lock, and SQLite fails that upgrade with SQLITE_BUSY at once, without consulting the
      // busy handler. IMMEDIATE takes the write lock up front, where busy_timeout does apply.
      return db.connection().execute(async (conn) => {
        await conn.executeQuery(BEGIN_IMMEDIATE);
        let result: T;
        try {
          result = await fn(conn);
          await conn.executeQuery(COMMIT);
        } catch (err) {
          await rollbackQuietly(conn);
          throw err;
        }
        return result;
      });
    },

    withMigrationLock<T>(db: Kysely<any>, fn: (db: Kysely<any>) => Promise<T>): Promise<T> {
      // SQLite's DDL is transactional and it has a single writer: holding the write lock for the
      // whole migration is the migration lock.
      return this.writeTransaction(db, fn);
    },

    isForeignKeyViolation(err: unknown): boolean {
      return (err as { code?: unknown } | null)?.code === "SQLITE_CONSTRAINT_FOREIGNKEY";
    },

    isUndefinedTable(err: unknown): boolean {
      // SQLite has no specific code for it (SQLITE_ERROR): its message is the stable part.
      const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
      return code === "SQLITE_ERROR" && typeof message === "string" && message.startsWith("no such table");
    },

    forUpdateSkipLocked(query) {
      // No row locks in SQLite (and it rejects FOR UPDATE); a write transaction is already the only
      // writer of the file, so whatever it selects cannot be claimed by anyone else meanwhile.
      return query;
    },

    async lockRunQueue() {
      // Nothing to do: a write transaction (BEGIN IMMEDIATE) already excludes every other writer of
      // the file, in this process and in others, until it ends.
    },

    eventLogTransaction(db, fn) {
      // One writer at a time already: appenders commit one at a time, in id order.
      return this.writeTransaction(db, fn);
    },

    async lockDynamicPartitions() {
      // Nothing to do, for the same reason: one writer of keys at a time already.
    },
  };
}

/**
 * A driver that uses the process's shared driver for `key`; the shared one is destroyed (and its
 * file closed) when the last user is destroyed.
 */
function leaseSharedDriver(key: string, create: () => Driver): Driver {
  const entry = sharedDrivers.get(key) ?? { driver: create(), users: 0 };
  sharedDrivers.set(key, entry);
  const shared = entry.driver;
  let using = false;
  return {
    async init() {
      // Counted on init, not on lease: kysely never destroys a driver it never initialized.
      using = true;
      entry.users += 1;
      entry.init ??= shared.init().catch((err: unknown) => {
        if (sharedDrivers.get(key) === entry) sharedDrivers.delete(key);
        throw err;
      });
      await entry.init;
    },
    acquireConnection: () => shared.acquireConnection(),
    beginTransaction: (conn, settings) => shared.beginTransaction(conn, settings),
    commitTransaction: (conn) => shared.commitTransaction(conn),
    rollbackTransaction: (conn) => shared.rollbackTransaction(conn),
    releaseConnection: (conn) => shared.releaseConnection(conn),
    async destroy() {
      if (!using) return;
      using = false;
      entry.users -= 1;
      if (entry.users > 0) return;
      if (sharedDrivers.get(key) === entry) sharedDrivers.delete(key);
      await shared.destroy();
    },
  };
}

/** Opens the file with the session settings every connection needs, in the order they need. */
async function openDatabase(filePath: string): Promise<SqliteDatabase> {
  if (filePath !== ":memory:" && filePath !== "") {
    fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
  }
  const raw = new BetterSqlite3(filePath, { timeout: BUSY_TIMEOUT_MS });
  // busy_timeout first: switching a fresh file to WAL needs a lock another process may hold.
  raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  try {
    await switchToWal(raw);
  } catch (err) {
    raw.close();
    throw err;
  }
  // In WAL, NORMAL syncs at checkpoints only: a power loss may drop the last commits, never corrupt.
  raw.pragma("synchronous = NORMAL");
  raw.pragma("foreign_keys = ON");
  const checkpointer = filePath === ":memory:" || filePath === "" ? undefined : new BackgroundCheckpointer(raw, path.resolve(filePath));
  return withStatementCache(raw, checkpointer);
}

/**
 * Wraps the connection so identical SQL text reuses its prepared statement, and so that each
 * COMMIT is counted by the background checkpointer.
 */
function withStatementCache(raw: BetterSqlite3.Database, checkpointer?: BackgroundCheckpointer): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      checkpointer?.stop();
      raw.close();
    },
    prepare(sqlText) {
      let statement = cache.get(sqlText);
      if (statement === undefined) {
        // Queries with variable-length IN lists produce many texts; a full reset keeps it bounded.
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        const prepared = raw.prepare(sqlText);
        statement = checkpointer !== undefined && sqlText === COMMIT.sql ? countingCommits(prepared, checkpointer) : prepared;
        cache.set(sqlText, statement);
      }
      return statement;
    },
  };
}

/** The COMMIT statement, telling the checkpointer of each commit that succeeded. */
function countingCommits(commit: BetterSqlite3.Statement, checkpointer: BackgroundCheckpointer): SqliteStatement {
  return {
    reader: false,
    all: (parameters) => commit.all(parameters),
    iterate: (parameters) => commit.iterate(parameters),
    run(parameters) {
      const result = commit.run(parameters);
      checkpointer.committed();
      return result;
    },
  };
}

/**
 * Sets WAL mode, waiting out other processes that convert the same new file at the same moment.
 * The conversion upgrades a read lock that its own statement holds to an exclusive one; SQLite
 * refuses such an upgrade at once with SQLITE_BUSY (waiting could deadlock two upgraders), without
 * consulting busy_timeout, so the wait is here. Once one process has converted the file the pragma
 * is a no-op for every other.
 */
async function switchToWal(raw: BetterSqlite3.Database): Promise<void> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      raw.pragma("journal_mode = WAL");
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}

async function rollbackQuietly(conn: Kysely<any>): Promise<void> {
  try {
    await conn.executeQuery(ROLLBACK);
  } catch {
    // SQLite already rolled back on its own (some errors end the transaction); the caller's error
    // is the one worth reporting.
  }
}
