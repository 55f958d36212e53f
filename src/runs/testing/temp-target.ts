import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.js";
import type { Storage } from "../../storage/storage.js";
import type { RunDestination } from "../run-target.js";

/** A throwaway SQLite-backed run target for tests. */
export interface TempTarget extends RunDestination {
  dir: string;
  storage: Storage;
  dispose(): Promise<void>;
}

/** Creates a temp directory with a fresh SQLite storage and an IO manager directory. */
export async function tempTarget(): Promise<TempTarget> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-exec-"));
  const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
  return {
    dir,
    storage,
    valuesDir: path.join(dir, "storage"),
    async dispose() {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
