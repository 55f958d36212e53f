import type {
  ColumnDataType,
  ColumnDefinitionBuilder,
  Expression,
  Kysely,
  SelectQueryBuilder,
} from "kysely";
import type { Database } from "./schema.js";
import type { StorageCapabilities } from "./storage.js";

/**
 * DDL that the SQL dialects spell differently. Migrations use kysely's schema builder plus only
 * these, so one migration list serves every backend.
 */
export interface DialectDdl {
  /**
   * An integer primary key that the database assigns, increasing and never reused, even after the
   * newest row is deleted (event tailing by id depends on that). SQLite: `integer primary key
   * autoincrement`; Postgres: `bigserial primary key` (kysely's `autoIncrement()` prints
   * `auto_increment` on Postgres, which it rejects).
   */
  readonly idColumn: {
    readonly type: ColumnDataType | Expression<unknown>;
    build(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  };
  /** Bytes, stored as given (no secret masking applies: only string parameters are masked). SQLite: `blob`; Postgres: `bytea`. */
  readonly blobType: ColumnDataType;
}

/** What a lost connection looks like, as the dialect explains it (see `StorageDialect.connectionLoss`). */
export interface ConnectionLoss {
  /** The driver's reason, e.g. `connect ECONNREFUSED 127.0.0.1:5432`. */
  readonly reason: string;
  /** The database, as it may be shown (a Postgres URL without its password). */
  readonly location: string;
  /**
   * The connection dropped while a write transaction was committing: the write may or may not
   * have been stored, so it must not be tried again.
   */
  readonly duringCommit: boolean;
}

/**
 * Everything that differs between the SQL backends (the model is kysely's `DialectAdapter`).
 * `SqlStorage` and the migrator are written once against kysely and this interface; a backend is
 * one small file implementing it.
 */
export interface StorageDialect {
  /** What the backend can do; exposed unchanged as `Storage.capabilities`. */
  readonly capabilities: StorageCapabilities;
  /** DDL spellings for migrations. */
  readonly ddl: DialectDdl;

  /** Opens the connection (pool) with the backend's session settings applied. */
  createKysely(): Kysely<Database>;

  /**
   * Runs `fn` in a transaction that holds the write lock from its first statement, commits when
   * `fn` resolves and rolls back when it throws. `fn` must use only the handle it is given: on
   * SQLite the one connection is reserved for it, so touching `db` inside would wait forever.
   */
  writeTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;

  /**
   * Runs `fn` while holding the migration lock, so that one process at a time reads the schema
   * version and applies migrations; others wait, then find the work done.
   */
  withMigrationLock<T>(db: Kysely<any>, fn: (db: Kysely<any>) => Promise<T>): Promise<T>;

  /**
   * How long an operation that lost its connection keeps being tried again, in ms (0: never). Only
   * once the database has been reached: the first contact reports an unreachable server at once.
   */
  readonly reconnectTimeoutMs: number;

  /**
   * When `err` means the connection to the database was lost or cannot be made right now (a server
   * restarting, failing over, or out of reach), what happened; undefined for every other error, and
   * always on SQLite (a file has no connection to lose). Such an operation may succeed when tried
   * again, unless the loss came during a commit.
   */
  connectionLoss(err: unknown): ConnectionLoss | undefined;

  /**
   * True when `err` is the driver's foreign-key violation. Storing an event relies on it to detect
   * an unknown run without a query of its own.
   */
  isForeignKeyViolation(err: unknown): boolean;

  /**
   * True when `err` is the driver's "no such table" error. The migrator reads the schema version
   * and relies on it to tell a database never migrated from a failing one.
   */
  isUndefinedTable(err: unknown): boolean;

  /**
   * Makes a SELECT inside a write transaction lock the rows it returns and skip rows that another
   * transaction holds (claiming queued work from several workers). Postgres: `for update skip
   * locked`.
   */
  forUpdateSkipLocked<QB extends SelectQueryBuilder<any, any, any>>(query: QB): QB;

  /**
   * Called first in the write transaction of `claimQueuedRuns`: makes claimers wait for each other
   * until the transaction ends, so that concurrency limits counted by one claimer cannot be spent
   * by another at the same time (SKIP LOCKED alone keeps runs from being claimed twice, not limits
   * from being exceeded). Postgres: a transaction-scoped advisory lock (`pg_advisory_xact_lock`).
   */
  lockRunQueue<DB>(trx: Kysely<DB>): Promise<void>;

  /**
   * writeTransaction for appending events: appenders take turns until their transactions end, so
   * events become visible in id order and a reader tailing by id never skips one that commits late.
   * SQLite: writeTransaction (one writer at a time already). Postgres: a transaction-scoped advisory
   * lock, taken in the same round trip as BEGIN (events are the hot path).
   */
  eventLogTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;

  /**
   * Postgres: the column an event insert returns beside the ids, holding the id of its transaction,
   * for deciding a commit whose connection broke without a query of its own (see
   * {@link noteTransactionId}). Undefined where there is none to read (SQLite).
   */
  readonly transactionIdColumn?: string;

  /** Records the transaction id read through {@link transactionIdColumn} for the transaction `trx`. */
  noteTransactionId?(trx: Kysely<any>, xid: unknown): void;

  /**
   * Called in a write transaction before it adds or removes keys of dynamic partitions: writers of
   * keys take turns, so two adding the same keys in different orders (a sensor tick and a CLI
   * command) wait instead of deadlocking on the unique index. SQLite: nothing (one writer at a
   * time already). Postgres: a transaction-scoped advisory lock.
   */
  lockDynamicPartitions<DB>(trx: Kysely<DB>): Promise<void>;
}
