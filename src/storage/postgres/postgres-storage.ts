import { StorageError } from "../../definitions/errors.js";
import { SqlStorage } from "../sql-storage.js";
import type { Storage } from "../storage.js";
import { connectionLostReason, describeConnectionFailure } from "./postgres-connection-errors.js";
import { DEFAULT_RECONNECT_TIMEOUT_MS, postgresDialect, type PostgresDialectOptions } from "./postgres-dialect.js";
import { redactPostgresUrl } from "./postgres-url.js";

/** Options of {@link openPostgresStorage}. */
export interface PostgresStorageOptions extends PostgresDialectOptions {
  /** Bring the schema up to date on open (default true); false only checks that it can connect. */
  migrate?: boolean;
  /**
   * When the server cannot be reached at open because it is down or starting (not for a wrong
   * host, user or password), keep trying for the reconnect window instead of failing at once: for
   * a process started for work claimed from this database moments ago (a run's process).
   */
  waitForServer?: boolean;
}

/**
 * Opens the storage in a Postgres database (in `options.schema`, default `public`, created when
 * missing) and brings its schema up to date; processes that start together migrate once (an
 * advisory lock). Throws StorageError naming the URL (never its password) when the server cannot
 * be reached or refuses the login, when `url` is not a postgres:// URL, or when the schema was
 * migrated by a newer Sluice. Once open, an operation that loses its connection (a server restart)
 * is tried again for `reconnectTimeoutMs` (60 s) before it throws StorageUnavailableError.
 *
 * @example
 * const storage = await openPostgresStorage(process.env.DATABASE_URL!, { schema: "sluice" });
 * const runs = await storage.listRuns({ limit: 10 });
 * await storage.close();
 */
export async function openPostgresStorage(url: string, options: PostgresStorageOptions = {}): Promise<Storage> {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new StorageError(
      `Postgres URL ${JSON.stringify(redactPostgresUrl(url))} is not a postgres:// URL. ` +
        `Write it as postgres://USER:PASSWORD@HOST:5432/DATABASE.`,
    );
  }
  const storage = new SqlStorage(postgresDialect(url, options));
  const deadline = Date.now() + (options.waitForServer ? (options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS) : 0);
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      // Either way a first query runs now, so an unreachable server is reported here, by its URL.
      if (options.migrate === false) await storage.schemaVersion();
      else await storage.migrate();
      return storage;
    } catch (err) {
      if (connectionLostReason(err) !== undefined && Date.now() + wait < deadline) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      await storage.close().catch(() => undefined);
      throw describeConnectionFailure(err, url) ?? err;
    }
  }
}
