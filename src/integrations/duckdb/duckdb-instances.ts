import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { DuckDBInstance } from "@duckdb/node-api";
import { importOptional } from "../missing-package-error.js";
import { DuckDBLockedError, isLockConflict } from "./duckdb-lock-error.js";

/** The package `sluice/duckdb` is built on. */
export const DUCKDB_PACKAGE = "@duckdb/node-api";
/** The version of `@duckdb/node-api` to install (tested with it; its releases are `-r.N` prereleases). */
export const DUCKDB_VERSION_RANGE = "1.5.6-r.1";

/** How to open a database file. */
export interface OpenOptions {
  /** Retry while another process holds the file's lock, for at most this long. */
  lockTimeoutMs: number;
  /** First wait between attempts; doubled after each, up to `maxLockDelayMs`. */
  initialLockDelayMs: number;
  maxLockDelayMs: number;
  /** DuckDB settings (`threads`, `memory_limit`, `access_mode`...). */
  settings: Record<string, string>;
  signal?: AbortSignal;
}

interface Entry {
  opening: Promise<DuckDBInstance>;
  users: number;
}

/**
 * One DuckDB database per file per process. Two `DuckDBInstance`s of one file in one process do
 * not see each other's writes and would corrupt the file (DuckDB's file lock is per process, so it
 * does not stop them); every user of a file in this process therefore shares one instance, which
 * is closed, releasing the lock for other processes, when its last user lets go. Kept on
 * globalThis so that two copies of this module still share it.
 */
const REGISTRY_KEY = Symbol.for("sluice.duckdb.instances");
const registry: Map<string, Entry> = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as Map<string, Entry> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] = new Map<string, Entry>()) as Map<string, Entry>;

/** Loads `@duckdb/node-api`, or throws MissingPackageError naming it. */
export function loadDuckDB(): Promise<typeof import("@duckdb/node-api")> {
  return importOptional("sluice/duckdb", DUCKDB_PACKAGE, DUCKDB_VERSION_RANGE, () => import("@duckdb/node-api"));
}

/** A database held open for one user; `release()` lets go of it (once). */
export interface InstanceLease {
  readonly instance: DuckDBInstance;
  release(): void;
}

/**
 * Opens (or shares) the database of a file. While another process holds the file's lock, retries
 * with exponential backoff for up to `lockTimeoutMs`, then throws DuckDBLockedError naming the
 * file. `:memory:` is never shared: each call gets a database of its own.
 */
export async function acquireInstance(file: string, options: OpenOptions): Promise<InstanceLease> {
  if (file === ":memory:") {
    const instance = await openWithRetry(file, options);
    let released = false;
    return { instance, release: () => { if (!released) { released = true; instance.closeSync(); } } };
  }
  const key = path.resolve(file);
  let entry = registry.get(key);
  if (!entry) {
    const opening = openWithRetry(key, options);
    entry = { opening, users: 0 };
    registry.set(key, entry);
    opening.catch(() => {
      if (registry.get(key) === entry) registry.delete(key);
    });
  }
  entry.users += 1;
  let instance: DuckDBInstance;
  try {
    instance = await entry.opening;
  } catch (err) {
    entry.users -= 1;
    throw err;
  }
  let released = false;
  const held = entry;
  return {
    instance,
    release: () => {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users === 0 && registry.get(key) === held) {
        registry.delete(key);
        instance.closeSync();
      }
    },
  };
}

async function openWithRetry(file: string, options: OpenOptions): Promise<DuckDBInstance> {
  const { DuckDBInstance } = await loadDuckDB();
  // A new database file is created on first use; so is its directory (`data/warehouse.duckdb` in a
  // fresh checkout), unless the database is opened read-only, where a missing file is an error.
  if (file !== ":memory:" && options.settings.access_mode?.toUpperCase() !== "READ_ONLY") {
    await mkdir(path.dirname(file), { recursive: true });
  }
  const started = Date.now();
  let delay = options.initialLockDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await DuckDBInstance.create(file, options.settings);
    } catch (err) {
      if (!isLockConflict(err)) throw err;
      const waited = Date.now() - started;
      if (waited >= options.lockTimeoutMs || options.signal?.aborted) throw new DuckDBLockedError(file, waited, attempt, err);
      // Jitter keeps two waiting processes from retrying in lockstep.
      const pause = Math.min(delay, options.lockTimeoutMs - waited) * (0.5 + Math.random() / 2);
      await sleep(pause, options.signal);
      delay = Math.min(delay * 2, options.maxLockDelayMs);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
