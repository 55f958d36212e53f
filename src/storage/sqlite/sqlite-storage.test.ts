import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrateToLatest, readSchemaVersion } from "../migrations.js";
import { caught, expectSluiceError, queuedRecord } from "../testing/contract-helpers.js";
import { describeStorageContract } from "../testing/storage-contract.js";
import { sqliteDialect } from "./sqlite-dialect.js";
import { openSqliteStorage } from "./sqlite-storage.js";

const tempDirs: string[] = [];

/** A path in a fresh temp folder (the file itself does not exist yet). */
function tempFile(name = "storage.db"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-sqlite-"));
  tempDirs.push(dir);
  return path.join(dir, name);
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describeStorageContract("sqlite", { newDatabase: () => tempFile(), open: openSqliteStorage });

describe("sqlite storage file", () => {
  it("creates missing parent folders and uses WAL with foreign keys on", async () => {
    const file = path.join(path.dirname(tempFile()), "nested", "deeper", "storage.db");
    const storage = await openSqliteStorage(file);
    await storage.createRun(queuedRecord("r"));
    await storage.close();
    const raw = new BetterSqlite3(file, { readonly: true });
    try {
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      // Besides the reserved run of run-less events (migration 8).
      expect(raw.prepare("select count(*) as n from runs where run_id <> '__runless__'").get()).toEqual({ n: 1 });
    } finally {
      raw.close();
    }
  });

  it("keeps data across close and reopen", async () => {
    const file = tempFile();
    const first = await openSqliteStorage(file);
    await first.createRun({ ...queuedRecord("r"), tags: { k: "v" } });
    await first.storeEvent({ runId: "r", type: "ASSET_MATERIALIZATION", assetKey: "a" });
    await first.close();
    const second = await openSqliteStorage(file);
    expect((await second.listRuns({ tags: { k: "v" } })).map((r) => r.runId)).toEqual(["r"]);
    expect((await second.getAssetIndex()).map((e) => e.assetKey)).toEqual(["a"]);
    await second.close();
  });

  it("lets several storages in one process open one new file at once and write concurrently", async () => {
    // Two connections in one thread would stall each other for the whole busy timeout (the
    // synchronous busy wait blocks the thread holding the lock): storages share one connection.
    const file = tempFile();
    const storages = await Promise.all(Array.from({ length: 5 }, () => openSqliteStorage(file)));
    await Promise.all(storages.map((s, i) => s.createRun(queuedRecord(`r${i}`))));
    await Promise.all(
      storages.flatMap((s, i) =>
        Array.from({ length: 20 }, () => s.storeEvent({ runId: `r${(i + 1) % 5}`, type: "LOG" })),
      ),
    );
    await storages[0]!.close();
    for (const s of storages.slice(1)) {
      expect(await s.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect((await s.listRuns()).length).toBe(5);
      expect((await s.getEvents("r1")).length).toBe(20);
    }
    await Promise.all(storages.slice(1).map((s) => s.close()));
    const reopened = await openSqliteStorage(file);
    expect((await reopened.listRuns()).length).toBe(5);
    await reopened.close();
  }, 20_000);

  it("refuses a database migrated by a newer Sluice, telling the user to upgrade", async () => {
    const file = tempFile();
    await (await openSqliteStorage(file)).close();
    const raw = new BetterSqlite3(file);
    raw
      .prepare("insert into schema_migrations (version, name, applied_at) values (?, ?, ?)")
      .run(LATEST_SCHEMA_VERSION + 1, "from_the_future", Date.now());
    raw.close();
    const err = await caught(openSqliteStorage(file));
    expectSluiceError(err, "STORAGE_ERROR", /schema version \d+.*newer Sluice.*Upgrade Sluice/s);
  });
});

describe("migrator on sqlite", () => {
  it("reports version 0 for a new file, then applies every migration once", async () => {
    const dialect = sqliteDialect(tempFile());
    const db = dialect.createKysely();
    try {
      expect(await readSchemaVersion(db, dialect)).toBe(0);
      expect(await migrateToLatest(db, dialect)).toBe(LATEST_SCHEMA_VERSION);
      expect(await migrateToLatest(db, dialect)).toBe(LATEST_SCHEMA_VERSION);
      const applied = await db.selectFrom("schema_migrations").select("version").execute();
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await db.destroy();
    }
  });

  it("tells a database never migrated from one whose version cannot be read", async () => {
    const file = tempFile();
    const dialect = sqliteDialect(file);
    const db = dialect.createKysely();
    try {
      expect(await readSchemaVersion(db, dialect)).toBe(0);
      const raw = new BetterSqlite3(file);
      raw.exec("create table schema_migrations (not_version integer)");
      raw.close();
      await expect(readSchemaVersion(db, dialect)).rejects.toThrow(/no such column: version/);
    } finally {
      await db.destroy();
    }
  });

  it("carries materialized partitions of a version 4 database into the per-partition status index", async () => {
    const file = tempFile();
    const dialect = sqliteDialect(file);
    const db = dialect.createKysely();
    try {
      expect(await migrateToLatest(db, dialect, MIGRATIONS.slice(0, 4))).toBe(4);
      const raw = new BetterSqlite3(file);
      const insert = raw.prepare("insert into asset_index (asset_key, partition, run_id, event_id, timestamp, metadata) values (?, ?, 'old', ?, 5, '{}')");
      insert.run("a", "", 1);
      insert.run("a", "2024-01-01", 2);
      insert.run("b", "eu", 3);
      raw.close();
    } finally {
      await db.destroy();
    }
    const storage = await openSqliteStorage(file);
    try {
      expect(await storage.getAssetPartitionStatuses("a")).toEqual([{ assetKey: "a", partition: "2024-01-01", status: "MATERIALIZED", runId: "old", updatedAt: 5 }]);
      expect(Object.fromEntries(await storage.countAssetPartitionStatuses(["a", "b"]))).toEqual({
        a: { materialized: 1, failed: 0, inProgress: 0 },
        b: { materialized: 1, failed: 0, inProgress: 0 },
      });
    } finally {
      await storage.close();
    }
  });

  it("upgrades a version 1 database in place, keeping its runs and events", async () => {
    const file = tempFile();
    const dialect = sqliteDialect(file);
    const db = dialect.createKysely();
    try {
      expect(await migrateToLatest(db, dialect, MIGRATIONS.slice(0, 1))).toBe(1);
      const raw = new BetterSqlite3(file);
      raw
        .prepare(
          "insert into runs (run_id, status, job_name, selection, config, tags, created_at, updated_at) " +
            "values ('old', 'SUCCESS', 'job', '[]', '{}', '{}', 1, 2)",
        )
        .run();
      raw
        .prepare(
          "insert into events (run_id, type, timestamp, level, message, data) " +
            "values ('old', 'LOG', 3, 'INFO', 'kept', '{}')",
        )
        .run();
      raw.close();
    } finally {
      await db.destroy();
    }
    const storage = await openSqliteStorage(file);
    try {
      expect(await storage.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await storage.getRun("old")).toMatchObject({ status: "SUCCESS", workerId: null, heartbeatAt: null });
      expect((await storage.getEvents("old")).map((e) => e.message)).toEqual(["kept"]);
      expect(await storage.claimScheduleTick("s", 1)).toMatchObject({ instigatorName: "s", runIds: [] });
    } finally {
      await storage.close();
    }
  });

  it("rolls a failing migration back whole, leaving the previous version", async () => {
    const dialect = sqliteDialect(tempFile());
    const db = dialect.createKysely();
    try {
      await migrateToLatest(db, dialect);
      const broken = {
        version: LATEST_SCHEMA_VERSION + 1,
        name: "broken",
        async up(trx: Parameters<(typeof MIGRATIONS)[number]["up"]>[0]) {
          await trx.schema.createTable("half_done").addColumn("x", "text").execute();
          throw new Error("migration bug");
        },
      };
      await expect(migrateToLatest(db, dialect, [...MIGRATIONS, broken])).rejects.toThrow(
        "migration bug",
      );
      expect(await readSchemaVersion(db, dialect)).toBe(LATEST_SCHEMA_VERSION);
      const tables = await db.introspection.getTables();
      expect(tables.map((t) => t.name)).not.toContain("half_done");
    } finally {
      await db.destroy();
    }
  });

  it("rejects migrations whose versions do not increase", async () => {
    const dialect = sqliteDialect(tempFile());
    const db = dialect.createKysely();
    try {
      const err = await caught(migrateToLatest(db, dialect, [...MIGRATIONS, ...MIGRATIONS]));
      expectSluiceError(err, "STORAGE_ERROR", /does not follow/);
    } finally {
      await db.destroy();
    }
  });
});
