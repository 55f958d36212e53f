import path from "node:path";
import { MissingEnvVarError } from "../definitions/errors.js";
import { DEFAULT_POSTGRES_SCHEMA } from "../storage/postgres/postgres-dialect.js";
import { openPostgresStorage } from "../storage/postgres/postgres-storage.js";
import { redactPostgresUrl } from "../storage/postgres/postgres-url.js";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.js";
import type { Storage } from "../storage/storage.js";
import { loadDotEnv } from "./dotenv.js";
import type { InstanceSettings } from "./instance-settings.js";

/** Where an instance's storage lives, with every `{env: NAME}` resolved. */
export type StorageTarget =
  | { readonly backend: "sqlite"; readonly path: string }
  | { readonly backend: "postgres"; readonly url: string; readonly schema: string; readonly poolSize?: number; readonly reconnectTimeoutMs?: number };

/**
 * What may be shown of a storage target (`sluice instance info`, logs): the SQLite file, or the
 * Postgres URL with its password masked and the schema.
 */
export type StorageLocation =
  | { readonly backend: "sqlite"; readonly path: string }
  | { readonly backend: "postgres"; readonly url: string; readonly schema: string };

/**
 * The storage target of these settings: the SQLite file (relative to `home`) unless sluice.yaml
 * names Postgres. A URL given as `{env: NAME}` is read from the environment, then from the `.env`
 * of `cwd`; throws MissingEnvVarError naming the variable and the setting when neither has it.
 */
export function resolveStorageTarget(settings: InstanceSettings, home: string, cwd: string = process.cwd()): StorageTarget {
  const { postgres, sqlite } = settings.storage;
  if (postgres === undefined) {
    return { backend: "sqlite", path: path.resolve(home, sqlite?.path ?? "sluice.db") };
  }
  let url: string;
  if (typeof postgres.url === "string") {
    url = postgres.url;
  } else {
    const name = postgres.url.env;
    if (process.env[name] === undefined) loadDotEnv(cwd);
    const value = process.env[name];
    if (value === undefined || value === "") {
      throw new MissingEnvVarError(name, `${path.join(home, "sluice.yaml")} storage.postgres.url`);
    }
    url = value;
  }
  return {
    backend: "postgres",
    url,
    schema: postgres.schema ?? DEFAULT_POSTGRES_SCHEMA,
    ...(postgres.pool_size !== undefined ? { poolSize: postgres.pool_size } : {}),
    ...(postgres.reconnect_timeout_seconds !== undefined ? { reconnectTimeoutMs: postgres.reconnect_timeout_seconds * 1000 } : {}),
  };
}

/** The target as it may be shown: no password. */
export function describeStorageTarget(target: StorageTarget): StorageLocation {
  return target.backend === "sqlite"
    ? { backend: "sqlite", path: target.path }
    : { backend: "postgres", url: redactPostgresUrl(target.url), schema: target.schema };
}

/**
 * Opens the target's storage; with `migrate` (the default) brings its schema up to date first.
 * Throws StorageError when the database cannot be reached (naming it, without password).
 */
export function openStorageTarget(target: StorageTarget, options: { migrate?: boolean; waitForServer?: boolean } = {}): Promise<Storage> {
  return target.backend === "sqlite"
    ? openSqliteStorage(target.path, { ...(options.migrate !== undefined ? { migrate: options.migrate } : {}) })
    : openPostgresStorage(target.url, { schema: target.schema, poolSize: target.poolSize, reconnectTimeoutMs: target.reconnectTimeoutMs, ...options });
}
