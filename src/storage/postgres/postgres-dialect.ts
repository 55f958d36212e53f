import { CompiledQuery, Kysely, PostgresDialect, sql, type SelectQueryBuilder } from "kysely";
import type { Pool, PoolConfig } from "pg";
import { StorageError } from "../../definitions/errors.js";
import type { ConnectionLoss, DialectDdl, StorageDialect } from "../dialect.js";
import { secretMaskingDialect } from "../secret-masking-dialect.js";
import type { Database } from "../schema.js";
import type { StorageCapabilities } from "../storage.js";
import { loadPg } from "./load-pg.js";
import { connectionLostReason, wasLostDuringCommit } from "./postgres-connection-errors.js";
import { noteTransactionId, postgresWriteTransaction } from "./postgres-transaction.js";
import { redactPostgresUrl } from "./postgres-url.js";

/** Options of the Postgres backend beside its URL. */
export interface PostgresDialectOptions {
  /**
   * The schema that holds Sluice's tables (created when missing). Several instances may share one
   * database with a schema each. Default: `public`.
   */
  schema?: string;
  /** Connections this process keeps at most (default 5: writes of one process take turns anyway). */
  poolSize?: number;
  /**
   * How long an operation that lost its connection (a server restart or failover) keeps being
   * tried again before it fails, in ms (default {@link DEFAULT_RECONNECT_TIMEOUT_MS}; 0: never).
   */
  reconnectTimeoutMs?: number;
}

/** Default reconnect window: longer than a restart, and than most managed-database failovers. */
export const DEFAULT_RECONNECT_TIMEOUT_MS = 60_000;

/** The default schema: where a database's tables live unless told otherwise. */
export const DEFAULT_POSTGRES_SCHEMA = "public";

/** A schema name Sluice accepts: a plain SQL identifier, so it never needs escaping rules. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * First keys of the advisory locks Sluice takes (the second key is the schema's hash, so
 * instances in other schemas of the same database never wait for each other). Arbitrary
 * constants, spelled "SL" + a number so they are recognisable in `pg_locks`.
 */
const LockSpace = {
  Migration: 0x534c0001,
  RunQueue: 0x534c0002,
  EventLog: 0x534c0003,
  DynamicPartitions: 0x534c0004,
} as const;

/** Postgres' SQLSTATE codes that the storage decides on. */
const SqlState = {
  ForeignKeyViolation: "23503",
  UndefinedTable: "42P01",
} as const;

const capabilities: StorageCapabilities = { dialect: "postgres", multiMachine: true };

const ddl: DialectDdl = {
  // A sequence never hands out a value twice, even when the newest row is deleted.
  idColumn: { type: "bigserial", build: (column) => column.primaryKey() },
  blobType: "bytea",
};

/** pg's OID of int8 (bigint, bigserial, and what count(*) returns). */
const INT8_OID = 20;

/**
 * The Postgres backend's dialect (pg driver, kysely's PostgresDialect): a pool whose connections
 * use only `schema` (search_path), read int8 as numbers, and never crash the process when the
 * server drops them. Advisory locks make migrations, run claims and event appends safe across
 * processes and machines. The `pg` module is loaded on first use, so SQLite users never load it.
 *
 * @example
 * const dialect = postgresDialect("postgres://postgres@127.0.0.1:5432/sluice", { schema: "prod" });
 * const db = dialect.createKysely();
 */
export function postgresDialect(url: string, options: PostgresDialectOptions = {}): StorageDialect {
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  assertValidSchema(schema);
  const setSearchPath = CompiledQuery.raw(`set search_path to "${schema}"`);
  const lock = (space: number) => sql`select pg_advisory_xact_lock(${sql.lit(space)}, hashtext(${schema}))`;
  // The schema name is a plain identifier (checked above): safe as a literal in the text.
  const beginWithEventLogLock = CompiledQuery.raw(`begin; select pg_advisory_xact_lock(${LockSpace.EventLog}, hashtext('${schema}'))`);
  const location = redactPostgresUrl(url);
  const reconnectTimeoutMs = options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;

  return {
    capabilities,
    ddl,
    reconnectTimeoutMs,

    connectionLoss(err: unknown): ConnectionLoss | undefined {
      const reason = connectionLostReason(err);
      return reason === undefined ? undefined : { reason, location: `Postgres at ${location}`, duringCommit: wasLostDuringCommit(err) };
    },

    createKysely(): Kysely<Database> {
      const dialect = new PostgresDialect({
        pool: () => createPool(url, options.poolSize ?? 5),
        // Every query is unqualified: the search path alone decides which instance's tables it sees.
        onCreateConnection: async (connection) => {
          await connection.executeQuery(setSearchPath);
        },
      });
      return new Kysely<Database>({ dialect: secretMaskingDialect(dialect) });
    },

    writeTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
      // READ COMMITTED: every conditional write re-checks its WHERE against the committed row after
      // waiting for it, which is what the storage's compare-and-set updates rely on. A connection
      // lost at COMMIT is resolved there: see postgresWriteTransaction.
      return postgresWriteTransaction(db, fn, reconnectTimeoutMs);
    },

    withMigrationLock<T>(db: Kysely<any>, fn: (db: Kysely<any>) => Promise<T>): Promise<T> {
      // DDL is transactional on Postgres: the whole migration commits or none of it does, and the
      // transaction-scoped lock is released by that commit (or by the server if this process dies).
      return db.transaction().execute(async (trx) => {
        await lock(LockSpace.Migration).execute(trx);
        await createSchemaIfMissing(trx, schema);
        return fn(trx);
      });
    },

    isForeignKeyViolation(err: unknown): boolean {
      return sqlState(err) === SqlState.ForeignKeyViolation;
    },

    isUndefinedTable(err: unknown): boolean {
      // Also what a search path naming a schema not created yet gives: nothing was ever migrated.
      return sqlState(err) === SqlState.UndefinedTable;
    },

    forUpdateSkipLocked<QB extends SelectQueryBuilder<any, any, any>>(query: QB): QB {
      return query.forUpdate().skipLocked() as QB;
    },

    async lockRunQueue<DB>(trx: Kysely<DB>): Promise<void> {
      await lock(LockSpace.RunQueue).execute(trx);
    },

    async lockDynamicPartitions<DB>(trx: Kysely<DB>): Promise<void> {
      await lock(LockSpace.DynamicPartitions).execute(trx);
    },

    eventLogTransaction<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
      // Sequence values are taken at insert time but become visible at commit: without the lock, a
      // transaction that took id 7 could commit after one that took id 8, and a reader tailing
      // "after 8" (live updates, sensors) would never see event 7. BEGIN and the lock go in one
      // simple query: one round trip fewer on every step boundary.
      return postgresWriteTransaction(db, fn, reconnectTimeoutMs, beginWithEventLogLock);
    },

    transactionIdColumn: "xid",

    noteTransactionId(trx: Kysely<any>, xid: unknown): void {
      noteTransactionId(trx, xid === null || xid === undefined ? null : Number(xid));
    },
  };
}

/** Throws StorageError unless `schema` is a plain identifier. */
function assertValidSchema(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new StorageError(
      `Postgres schema name ${JSON.stringify(schema)} is not allowed: use letters, digits and _ ` +
        `(not starting with a digit, at most 63 characters), like "sluice" or "sluice_prod".`,
    );
  }
}

async function createPool(url: string, max: number): Promise<Pool> {
  const pg = loadPg();
  const config: PoolConfig = {
    connectionString: url,
    max,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 15_000,
    application_name: "sluice",
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID && format !== "binary"
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
  const pool = new pg.Pool(config);
  // A connection the server closes (restart, idle timeout, admin kill) emits "error" on its client,
  // while idle on the pool and also while checked out; unhandled, that event would kill the whole
  // process. The query in flight, if any, still rejects, and the pool discards the client.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}

async function createSchemaIfMissing(trx: Kysely<any>, schema: string): Promise<void> {
  // Checked first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database,
  // which a production role owning only its schema may lack.
  const found = await sql<{ one: number }>`select 1 as one from pg_namespace where nspname = ${schema}`.execute(trx);
  if (found.rows.length === 0) await sql`create schema ${sql.id(schema)}`.execute(trx);
}

/** The SQLSTATE of a pg error, if it is one. */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
