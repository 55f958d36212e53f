import { SqlStorage } from "../sql-storage.js";
import type { Storage } from "../storage.js";
import { sqliteDialect } from "./sqlite-dialect.js";

/**
 * Opens (creating it and its folder when missing) the SQLite storage file and brings its schema up
 * to date. Several processes may open one file at once. Throws StorageError when the file cannot be
 * opened or was migrated by a newer Sluice. With `migrate: false` the schema is left as it is
 * (`sluice instance info` reports it; `sluice instance migrate` migrates it).
 *
 * @example
 * const storage = await openSqliteStorage(".sluice/storage.db");
 * const runs = await storage.listRuns({ limit: 10 });
 * await storage.close();
 */
export async function openSqliteStorage(filePath: string, options: { migrate?: boolean } = {}): Promise<Storage> {
  const storage = new SqlStorage(sqliteDialect(filePath));
  try {
    if (options.migrate === false) await storage.schemaVersion();
    else await storage.migrate();
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw err;
  }
  return storage;
}
