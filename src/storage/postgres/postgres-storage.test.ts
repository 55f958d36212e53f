import { afterAll, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrateToLatest, readSchemaVersion } from "../migrations.js";
import { caught, expectSluiceError, queuedRecord } from "../testing/contract-helpers.js";
import {
  dropTestSchemas,
  newTestSchemaName,
  queryTestSchema,
  TEST_POSTGRES_URL,
} from "../testing/postgres-test-schemas.js";
import { describeStorageContract } from "../testing/storage-contract.js";
import { postgresDialect } from "./postgres-dialect.js";
import { openPostgresStorage } from "./postgres-storage.js";
import { redactPostgresUrl } from "./postgres-url.js";

const schemas: string[] = [];

/** A fresh schema name on the test database, dropped after this file's tests. */
function freshSchema(): string {
  const schema = newTestSchemaName();
  schemas.push(schema);
  return schema;
}

afterAll(() => dropTestSchemas(schemas));

describeStorageContract("postgres", {
  newDatabase: () => freshSchema(),
  open: (schema) => openPostgresStorage(TEST_POSTGRES_URL, { schema }),
});

describe("postgres storage", () => {
  it("creates its schema, keeps instances in separate schemas of one database apart", async () => {
    const [a, b] = [freshSchema(), freshSchema()];
    const first = await openPostgresStorage(TEST_POSTGRES_URL, { schema: a });
    const second = await openPostgresStorage(TEST_POSTGRES_URL, { schema: b });
    try {
      await first.createRun({ ...queuedRecord("only-in-a"), tags: { k: "v" } });
      await first.storeEvent({ runId: "only-in-a", type: "ASSET_MATERIALIZATION", assetKey: "x" });
      expect((await first.listRuns()).map((r) => r.runId)).toEqual(["only-in-a"]);
      expect(await second.listRuns()).toEqual([]);
      expect(await second.getAssetIndex()).toEqual([]);
      expect(await second.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      const tables = await queryTestSchema<{ table_name: string }>(
        a,
        "select table_name from information_schema.tables where table_schema = $1 order by table_name",
        [a],
      );
      expect(tables.map((t) => t.table_name)).toContain("events");
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("reads bigint columns and counts as numbers, not strings", async () => {
    const schema = freshSchema();
    const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
    try {
      const run = await storage.createRun(queuedRecord("r"));
      const event = await storage.storeEvent({ runId: "r", type: "LOG", timestamp: 2 ** 41 });
      expect(typeof run.createdAt).toBe("number");
      const [read] = await storage.getEvents("r");
      expect(read).toEqual(event);
      expect(typeof read!.id).toBe("number");
      expect(read!.timestamp).toBe(2 ** 41);
      // The column really is int8 on the server (what pg would otherwise hand back as a string).
      const [column] = await queryTestSchema<{ data_type: string }>(
        schema,
        "select data_type from information_schema.columns where table_schema = $1 and table_name = 'events' and column_name = 'timestamp'",
        [schema],
      );
      expect(column?.data_type).toBe("bigint");
    } finally {
      await storage.close();
    }
  });

  it("migrates once when many connections open one new schema at the same moment", async () => {
    const schema = freshSchema();
    const storages = await Promise.all(
      Array.from({ length: 8 }, () => openPostgresStorage(TEST_POSTGRES_URL, { schema, poolSize: 2 })),
    );
    try {
      for (const s of storages) expect(await s.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      const applied = await queryTestSchema<{ version: number }>(schema, "select version from schema_migrations order by version");
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await Promise.all(storages.map((s, i) => s.createRun(queuedRecord(`r${i}`))));
      expect((await storages[0]!.listRuns()).length).toBe(8);
    } finally {
      await Promise.all(storages.map((s) => s.close()));
    }
  });

  it("names the server, without its password, when it cannot connect", async () => {
    // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    const url = "postgres://sluice:hunter2@127.0.0.1:1/prod";
    const err = await caught(openPostgresStorage(url));
    expectSluiceError(err, "STORAGE_ERROR", /Cannot connect to Postgres at postgres:\/\/sluice:\*\*\*@127\.0\.0\.1:1\/prod: .*ECONNREFUSED/);
    expect((err as Error).message).not.toContain("hunter2");
    expect((err as Error).message).toMatch(/storage\.postgres\.url/);
  });

  it("names the database when the server refuses it", async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = "/sluice_no_such_database";
    const err = await caught(openPostgresStorage(url.toString()));
    expectSluiceError(err, "STORAGE_ERROR", /Cannot connect to Postgres at .*\/sluice_no_such_database: .*does not exist/);
  });

  it("rejects a URL that is not postgres:// and a schema name that is not an identifier", async () => {
    expectSluiceError(
      await caught(openPostgresStorage("mysql://u:pw@host/db")),
      "STORAGE_ERROR",
      /"mysql:\/\/u:\*\*\*@host\/db" is not a postgres:\/\/ URL/,
    );
    expectSluiceError(
      await caught(openPostgresStorage(TEST_POSTGRES_URL, { schema: "drop table; --" })),
      "STORAGE_ERROR",
      /schema name "drop table; --" is not allowed/,
    );
  });

  it("refuses a schema migrated by a newer Sluice, telling the user to upgrade", async () => {
    const schema = freshSchema();
    await (await openPostgresStorage(TEST_POSTGRES_URL, { schema })).close();
    await queryTestSchema(schema, "insert into schema_migrations (version, name, applied_at) values ($1, 'from_the_future', 0)", [
      LATEST_SCHEMA_VERSION + 1,
    ]);
    const err = await caught(openPostgresStorage(TEST_POSTGRES_URL, { schema }));
    expectSluiceError(err, "STORAGE_ERROR", /schema version \d+.*newer Sluice.*Upgrade Sluice/s);
  });
});

describe("migrator on postgres", () => {
  it("rolls a failing migration back whole (DDL included), leaving the previous version", async () => {
    const schema = freshSchema();
    const dialect = postgresDialect(TEST_POSTGRES_URL, { schema });
    const db = dialect.createKysely();
    try {
      expect(await readSchemaVersion(db, dialect)).toBe(0);
      await migrateToLatest(db, dialect);
      const broken = {
        version: LATEST_SCHEMA_VERSION + 1,
        name: "broken",
        async up(trx: Parameters<(typeof MIGRATIONS)[number]["up"]>[0]) {
          await trx.schema.createTable("half_done").addColumn("x", "text").execute();
          throw new Error("migration bug");
        },
      };
      await expect(migrateToLatest(db, dialect, [...MIGRATIONS, broken])).rejects.toThrow("migration bug");
      expect(await readSchemaVersion(db, dialect)).toBe(LATEST_SCHEMA_VERSION);
      // Only this schema's: the introspection lists every schema's tables, and another test run on
      // the same server may be half way through this very test.
      const tables = (await db.introspection.getTables()).filter((t) => t.schema === schema);
      expect(tables.map((t) => t.name)).toContain("events");
      expect(tables.map((t) => t.name)).not.toContain("half_done");
    } finally {
      await db.destroy();
    }
  });
});

describe("redactPostgresUrl", () => {
  it("hides passwords in the user info and in query parameters, and keeps the rest", () => {
    expect(redactPostgresUrl("postgres://app:s3cret@db.internal:6432/prod?sslmode=require")).toBe(
      "postgres://app:***@db.internal:6432/prod?sslmode=require",
    );
    expect(redactPostgresUrl("postgresql://app@db/prod?password=s3cret")).toBe("postgresql://app@db/prod?password=***");
    expect(redactPostgresUrl("postgres://postgres@127.0.0.1:5432/test")).toBe("postgres://postgres@127.0.0.1:5432/test");
    expect(redactPostgresUrl("host=db password='s3 cret' user=app")).toBe("host=db password=*** user=app");
  });
});
