import { StorageError } from "../../definitions/errors.js";
import { SqlStorage } from "../sql-storage.js";
import type { Storage } from "../storage.js";
import { describeConnectionFailure, postgresDialect, type PostgresDialectOptions } from "./postgres-dialect.js";
import { redactPostgresUrl } from "./postgres-url.js";

/** Options of {@link openPostgresStorage}. */
export interface PostgresStorageOptions extends PostgresDialectOptions {
  /** Bring the schema up to date on open (default true); false only checks that it can connect. */
  migrate?: boolean;
}

/**
 * Opens the storage in a Postgres database (in `options.schema`, default `public`, created when
 * missing) and brings its schema up to date; processes that start together migrate once (an
 * advisory lock). Throws StorageError naming the URL (never its password) when the server cannot
 * be reached or refuses the login, when `url` is not a postgres:// URL, or when the schema was
 * migrated by a newer Sluice.
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
  try {
    // Either way a first query runs now, so an unreachable server is reported here, by its URL.
    if (options.migrate === false) await storage.schemaVersion();
    else await storage.migrate();
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw describeConnectionFailure(err, url) ?? err;
  }
  return storage;
}
