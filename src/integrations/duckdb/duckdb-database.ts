import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { acquireInstance, type InstanceLease, type OpenOptions } from "./duckdb-instances.js";
import { rowsOf } from "./row-tables.js";

/** Config of a DuckDB database, as `duckdbResource` and `duckdbIOManager` take it. */
export interface DuckDBDatabaseOptions {
  /** A database file, or `:memory:`. Relative paths are resolved from the working directory. */
  path: string;
  /** How long to retry while another process holds the file's lock (ms). */
  lockTimeoutMs: number;
  /** First wait between lock attempts (ms), doubled after each up to `maxLockDelayMs`. */
  initialLockDelayMs: number;
  maxLockDelayMs: number;
  /** DuckDB settings, e.g. `{ threads: "2", memory_limit: "1GB" }`. */
  settings: Record<string, string>;
}

/**
 * A DuckDB database as a resource value. Each `withConnection()` (one per step, typically) opens a
 * connection of its own and closes it after. A file is opened when the first connection needs it
 * and closed when the last one is done, so another process (the other project's run, the DuckDB
 * CLI) can take its lock between steps; `:memory:` lives as long as this object, so the steps of a
 * run share its tables.
 */
export class DuckDBDatabase {
  private memory: InstanceLease | undefined;

  constructor(
    readonly options: DuckDBDatabaseOptions,
    private readonly signal?: AbortSignal,
  ) {}

  /** The database file (or `:memory:`). */
  get path(): string {
    return this.options.path;
  }

  /**
   * Runs `fn` with a connection of its own, closed when `fn` settles; waits for the file's lock
   * (see `lockTimeoutMs`) and throws DuckDBLockedError naming the file when it stays held.
   * @example
   * const n = await resources.duckdb.withConnection(async (conn) => (await conn.runAndReadAll("select 42")).getRows()[0][0]);
   */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T> | T): Promise<T> {
    const lease = await this.lease();
    let connection: DuckDBConnection | undefined;
    try {
      connection = await lease.instance.connect();
      return await fn(connection);
    } finally {
      connection?.closeSync();
      if (lease !== this.memory) lease.release();
    }
  }

  /**
   * Runs one SQL statement (with `$1`-style or `$name` parameters) and returns its rows as plain
   * objects: integers as numbers, TIMESTAMP as Date, JSON columns parsed.
   * @example
   * const rows = await resources.duckdb.query("select * from raw.orders where amount > $1", [10]);
   */
  query<R = Record<string, unknown>>(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<R[]> {
    return this.withConnection(async (connection) => rowsOf(await connection.runAndReadAll(sql, params)) as R[]);
  }

  /** Runs SQL (several statements allowed) for its effect. */
  async execute(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<void> {
    await this.withConnection((connection) => connection.run(sql, params));
  }

  /** Closes the in-memory database; a file database is already closed between connections. */
  close(): void {
    this.memory?.release();
    this.memory = undefined;
  }

  private async lease(): Promise<InstanceLease> {
    const open: OpenOptions = {
      lockTimeoutMs: this.options.lockTimeoutMs,
      initialLockDelayMs: this.options.initialLockDelayMs,
      maxLockDelayMs: this.options.maxLockDelayMs,
      settings: this.options.settings,
      ...(this.signal ? { signal: this.signal } : {}),
    };
    if (this.options.path !== ":memory:") return acquireInstance(this.options.path, open);
    this.memory ??= await acquireInstance(":memory:", open);
    return this.memory;
  }
}
