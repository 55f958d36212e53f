/**
 * sluice/postgres against the local Postgres server: a fresh schema for this file, the pool set up
 * per run and closed at its end, errors that name the server and the statement.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset, configured, defineDefinitions, EnvVar, materialize } from "../../index.js";
import { PostgresDatabase, postgresResource } from "../postgres.js";
import { removeTempDirs, tempDir } from "../testing/temp-dirs.js";

const URL = process.env.SLUICE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `sluice_int_${randomBytes(4).toString("hex")}`;
const admin = new pg.Client({ connectionString: URL });

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
  removeTempDirs();
});

describe("postgresResource", () => {
  it("connects from an env var, searches the configured schema, and closes the pool after the run", async () => {
    let database: PostgresDatabase | undefined;
    const load = asset({
      key: "raw/pages",
      resources: { postgres: postgresResource },
      run: async (_in, { resources }) => {
        database = resources.postgres;
        await resources.postgres.query("CREATE TABLE pages (id int PRIMARY KEY, title text)");
        await resources.postgres.transaction(async (client) => {
          await client.query("INSERT INTO pages VALUES ($1, $2), ($3, $4)", [1, "home", 2, "about"]);
        });
        return (await resources.postgres.query<{ n: string }>("SELECT count(*) AS n FROM pages"))[0]!.n;
      },
    });
    const defs = defineDefinitions({
      assets: [load],
      resources: { postgres: configured(postgresResource, { url: EnvVar("SLUICE_INT_PG_URL"), schema: SCHEMA }) },
    });
    process.env.SLUICE_INT_PG_URL = URL;
    try {
      const result = await materialize(defs, { home: path.join(tempDir(), ".sluice") });
      expect(result.success, JSON.stringify(result.failures)).toBe(true);
      expect(result.outputOf("raw/pages")).toBe("2");
    } finally {
      delete process.env.SLUICE_INT_PG_URL;
    }
    // The unqualified table went to the configured schema.
    const rows = await admin.query(`SELECT id, title FROM ${SCHEMA}.pages ORDER BY id`);
    expect(rows.rows).toEqual([{ id: 1, title: "home" }, { id: 2, title: "about" }]);
    expect(database!.pool.ended).toBe(true);
  });

  it("rolls a failed transaction back", async () => {
    const db = await setUp({ url: URL, schema: SCHEMA });
    await db.query("CREATE TABLE tx (id int PRIMARY KEY)");
    const error = await db
      .transaction(async (client) => {
        await client.query("INSERT INTO tx VALUES (1)");
        await client.query("INSERT INTO tx VALUES (1)");
      })
      .catch((err: unknown) => err);
    expect((error as Error).message).toMatch(/duplicate key/);
    expect(await db.query("SELECT count(*)::int AS n FROM tx")).toEqual([{ n: 0 }]);
    await db.pool.end();
  });

  it("names the server and the statement when a query fails", async () => {
    const db = await setUp({ url: URL, schema: SCHEMA });
    const error = await db.query("SELECT * FROM no_such_table WHERE id = $1", [1]).catch((err: unknown) => err);
    expect((error as Error).message).toBe(
      `Postgres query failed on postgres://postgres@127.0.0.1:5432/test: relation "no_such_table" does not exist\n` +
        `  in: SELECT * FROM no_such_table WHERE id = $1`,
    );
    await db.pool.end();
  });

  it("fails the run's set-up naming the server, without the password, when it cannot connect", async () => {
    const dead = "postgres://someone:s3cret@127.0.0.1:1/nowhere";
    const step = asset({ key: "needs_db", resources: { postgres: postgresResource }, run: () => 1 });
    const defs = defineDefinitions({
      assets: [step],
      resources: { postgres: configured(postgresResource, { url: dead, connectTimeoutMs: 2000 }) },
    });
    const result = await materialize(defs, { home: path.join(tempDir(), ".sluice") });
    expect(result.success).toBe(false);
    const message = result.runError!.message;
    expect(message).toContain('Resource "postgres" failed to set up');
    expect(message).toContain("Cannot connect to Postgres at postgres://someone@127.0.0.1:1/nowhere");
    expect(message).not.toContain("s3cret");
  });
});

/** Sets the resource up as a run would (its own setup function, a real pool). */
async function setUp(config: { url: string; schema: string }): Promise<PostgresDatabase> {
  const controller = new AbortController();
  return (await postgresResource.setup(
    { url: config.url, schema: config.schema, maxConnections: 2, connectTimeoutMs: 5000, applicationName: "sluice-test" },
    { name: "postgres", runId: "test", signal: controller.signal, log: { debug() {}, info() {}, warn() {}, error() {} } as never },
  )) as PostgresDatabase;
}
