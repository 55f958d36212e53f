/**
 * Fresh Postgres schemas for tests, on the local server (or `SLUICE_TEST_POSTGRES_URL`): each test
 * file or test gets schemas of its own, so test files run in parallel on one database, and drops
 * them when it is done.
 */
import pg from "pg";

/** The database tests use: `SLUICE_TEST_POSTGRES_URL`, else the local server's `test` database. */
export const TEST_POSTGRES_URL: string =
  process.env.SLUICE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let created = 0;

/**
 * A schema name no other test (in this or another process) uses. The schema itself is created by
 * the first storage opened on it.
 */
export function newTestSchemaName(purpose = "t"): string {
  created += 1;
  return `sluice_${purpose}_${process.pid}_${Date.now().toString(36)}_${created}`;
}

/** Runs `fn` with a client of the test database (or `url`) whose search path is `schema` only. */
export async function withTestSchemaClient<T>(schema: string, fn: (client: pg.Client) => Promise<T>, url = TEST_POSTGRES_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`set search_path to "${schema}"`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Rows of one query in `schema` of the test database (or `url`). int8 columns, counts included,
 * come back as strings: use Number.
 */
export async function queryTestSchema<R extends Record<string, unknown>>(schema: string, text: string, params: unknown[] = [], url = TEST_POSTGRES_URL): Promise<R[]> {
  return withTestSchemaClient(schema, async (client) => (await client.query<R>(text, params)).rows, url);
}

/** Drops these schemas and everything in them; missing ones are ignored. */
export async function dropTestSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** The local server the example tests create whole databases on (`SLUICE_TEST_PG_SERVER` overrides). */
const TEST_PG_SERVER = process.env.SLUICE_TEST_PG_SERVER ?? "postgres://postgres@127.0.0.1:5432";

/**
 * A database of its own for a test file that needs one whole (an example whose app owns schemas),
 * named `sluice_<purpose>_<random>`: `create()` makes it, `drop()` removes it, connections and all.
 * @example
 * const app = testDatabase("receipts");
 * beforeAll(() => app.create());
 * afterAll(() => app.drop());
 */
export function testDatabase(purpose: string): { name: string; url: string; create: () => Promise<void>; drop: () => Promise<void> } {
  const name = `sluice_${purpose}_${Math.random().toString(16).slice(2, 10)}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: `${TEST_PG_SERVER}/postgres` });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    name,
    url: `${TEST_PG_SERVER}/${name}`,
    create: () => admin(`CREATE DATABASE ${name}`),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
