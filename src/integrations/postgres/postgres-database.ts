import type { Pool, PoolClient, QueryResultRow } from "pg";

/**
 * A Postgres database as a resource value: a `pg.Pool` (also reachable as `pool`) with helpers
 * whose errors name the statement that failed.
 */
export class PostgresDatabase {
  constructor(
    /** The connection pool; closed when the run ends. */
    readonly pool: Pool,
    /** Where it connects, with the password left out (for messages). */
    readonly target: string,
  ) {}

  /**
   * Runs one statement with `$1`-style parameters and returns its rows.
   * @example
   * const rows = await resources.postgres.query<{ id: number }>("select id from raw.pages where url = $1", [url]);
   */
  async query<R extends QueryResultRow = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params as unknown[])).rows;
    } catch (err) {
      throw queryError(err, sql, this.target);
    }
  }

  /**
   * Runs `fn` in a transaction on one connection: committed when it resolves, rolled back when it
   * throws (and the error thrown again).
   * @example
   * await resources.postgres.transaction(async (client) => { await client.query("delete from t"); await client.query("insert ..."); });
   */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

function queryError(err: unknown, sql: string, target: string): Error {
  const statement = sql.replace(/\s+/g, " ").trim();
  const shown = statement.length > 200 ? `${statement.slice(0, 200)}…` : statement;
  return new Error(`Postgres query failed on ${target}: ${(err as Error).message}\n  in: ${shown}`, { cause: err });
}

/** A connection URL without its password, for messages: `postgres://user@host:5432/db`. */
export function describeTarget(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    url.password = "";
    url.search = "";
    return url.toString().replace(/:@/, "@");
  } catch {
    return "(an unparseable connection URL)";
  }
}
