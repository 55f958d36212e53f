import { z } from "zod";
import { resource } from "../../index.js";
import { importOptional } from "../missing-package-error.js";
import { describeTarget, PostgresDatabase } from "./postgres-database.js";

/**
 * A Postgres connection pool (`pg`): the URL from config (usually `EnvVar("DATABASE_URL")`), set
 * up when a run starts (a first query checks that the database answers, so a wrong URL fails the
 * run's set-up with the host and database named, not a step halfway), closed when the run ends.
 * `schema` sets the search path, so unqualified names resolve there first. Its value is a
 * {@link PostgresDatabase}.
 * @example
 * import { postgresResource } from "sluice/postgres";
 * defineDefinitions({ assets, resources: { postgres: configured(postgresResource, { url: EnvVar("DATABASE_URL") }) } });
 */
export const postgresResource = resource({
  description: "A Postgres connection pool",
  config: z.object({
    /** `postgres://user:password@host:5432/database`. */
    url: z.string().min(1),
    /** Connections at most (default 4: a run's steps at the same time). */
    maxConnections: z.number().int().positive().default(4),
    /** Schema searched first for unqualified names (then `public`). */
    schema: z.string().min(1).optional(),
    /** How long to wait for a connection (ms). */
    connectTimeoutMs: z.number().int().positive().default(10_000),
    /** Application name shown in `pg_stat_activity`. */
    applicationName: z.string().default("sluice"),
  }),
  setup: async (config) => {
    const pg = await importOptional("sluice/postgres", "pg", "^8.16.0", () => import("pg"));
    const Pool = pg.default.Pool;
    const target = describeTarget(config.url);
    const pool = new Pool({
      connectionString: config.url,
      max: config.maxConnections,
      connectionTimeoutMillis: config.connectTimeoutMs,
      application_name: config.applicationName,
      ...(config.schema ? { options: `-c search_path=${quoteSearchPath(config.schema)},public` } : {}),
    });
    // An idle client that loses its server emits 'error' on the pool; unhandled, it would crash the process.
    pool.on("error", () => undefined);
    try {
      await pool.query("SELECT 1");
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`Cannot connect to Postgres at ${target}: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresDatabase(pool, target);
  },
  teardown: (database) => database.pool.end(),
});

function quoteSearchPath(schema: string): string {
  // In libpq's options string, spaces must be escaped; quoting keeps mixed-case names intact.
  return `"${schema.replaceAll('"', '""')}"`.replaceAll(" ", "\\ ");
}
