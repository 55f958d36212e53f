/**
 * sluice/duckdb against real DuckDB files: the IO manager's tables, the resource's connections,
 * two processes contending for a file's lock, and Parquet partitions.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { asset, configured, defineDefinitions, materialize, output, staticPartitions, type EventRecord } from "../../index.js";
import { DuckDBDatabase, duckdbIOManager, duckdbResource, DuckDBLockedError, tableNameOf, writeParquet } from "../duckdb.js";
import { removeTempDirs, tempDir } from "../testing/temp-dirs.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
afterAll(removeTempDirs);

function database(file: string, lockTimeoutMs = 10_000): DuckDBDatabase {
  return new DuckDBDatabase({ path: file, lockTimeoutMs, initialLockDelayMs: 20, maxLockDelayMs: 200, settings: {} });
}

/** Reads a table straight from the file, with DuckDB's own API (not ours). */
async function readTable(file: string, sql: string): Promise<unknown[]> {
  const instance = await DuckDBInstance.create(file);
  try {
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson();
    connection.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

describe("tableNameOf", () => {
  it("maps key components to schema and table", () => {
    expect(tableNameOf("raw/orders")).toEqual({ schema: "raw", table: "orders" });
    expect(tableNameOf("summary")).toEqual({ schema: "main", table: "summary" });
    expect(tableNameOf("summary", "analytics")).toEqual({ schema: "analytics", table: "summary" });
    expect(tableNameOf("a/b/c")).toEqual({ schema: "a__b", table: "c" });
  });
});

describe("duckdbIOManager", () => {
  it("stores rows as a table named after the key and loads them back typed", async () => {
    const dir = tempDir();
    const file = path.join(dir, "warehouse.duckdb");
    const orders = asset({
      key: "raw/orders",
      run: () => [
        { id: 1, customer: "ada", amount: 12.5, paid: true, at: new Date("2026-01-02T03:04:05.678Z"), tags: ["a", "b"] },
        { id: 2, customer: "bob", amount: 30, paid: false, at: new Date("2026-01-03T00:00:00.000Z"), tags: [] },
        { id: 3, customer: null, amount: 7.25, paid: true, at: new Date("2026-01-04T00:00:00.000Z"), tags: null },
      ],
    });
    let seen: unknown;
    const total = asset({
      key: "total",
      ins: { orders },
      run: ({ orders: rows }) => {
        seen = rows;
        return [{ total: rows.reduce((sum, r) => sum + r.amount, 0) }];
      },
    });
    const defs = defineDefinitions({ assets: [orders, total], resources: { io_manager: configured(duckdbIOManager, { path: file }) } });
    const home = path.join(dir, ".sluice");
    const first = await materialize(defs, { home });
    expect(first.success, JSON.stringify(first.failures)).toBe(true);
    expect(seen).toEqual([
      { id: 1, customer: "ada", amount: 12.5, paid: true, at: new Date("2026-01-02T03:04:05.678Z"), tags: ["a", "b"] },
      { id: 2, customer: "bob", amount: 30, paid: false, at: new Date("2026-01-03T00:00:00.000Z"), tags: [] },
      { id: 3, customer: null, amount: 7.25, paid: true, at: new Date("2026-01-04T00:00:00.000Z"), tags: null },
    ]);
    expect(await readTable(file, "select id, customer, amount, paid from raw.orders order by id")).toEqual([
      { id: "1", customer: "ada", amount: 12.5, paid: true },
      { id: "2", customer: "bob", amount: 30, paid: false },
      { id: "3", customer: null, amount: 7.25, paid: true },
    ]);
    expect(await readTable(file, "select column_name, data_type from information_schema.columns where table_schema = 'raw' order by ordinal_position")).toEqual([
      { column_name: "id", data_type: "BIGINT" },
      { column_name: "customer", data_type: "VARCHAR" },
      { column_name: "amount", data_type: "DOUBLE" },
      { column_name: "paid", data_type: "BOOLEAN" },
      { column_name: "at", data_type: "TIMESTAMP" },
      { column_name: "tags", data_type: "JSON" },
    ]);
    expect(await readTable(file, "select * from main.total")).toEqual([{ total: 49.75 }]);

    // A later run of the downstream asset alone loads its input from the table.
    seen = undefined;
    const second = await materialize(defs, { home, selection: ["total"] });
    expect(second.success).toBe(true);
    expect((seen as unknown[]).length).toBe(3);
  });

  it("records the row count and table on the materialization", async () => {
    const dir = tempDir();
    const file = path.join(dir, "w.duckdb");
    const a = asset({ key: "staging/items", run: () => output([{ n: 1 }, { n: 2 }], { metadata: { note: "x" } }) });
    const defs = defineDefinitions({ assets: [a], resources: { io_manager: configured(duckdbIOManager, { path: file }) } });
    const events: EventRecord[] = [];
    const result = await materialize(defs, { home: path.join(dir, ".sluice"), onEvent: (e) => void events.push(e) });
    expect(result.success).toBe(true);
    const metadata = events.find((e) => e.type === "ASSET_MATERIALIZATION")!.data.metadata!;
    expect(metadata["sluice/row_count"]).toEqual({ type: "int", value: 2 });
    expect(metadata.table).toEqual({ type: "text", value: "staging.items" });
    expect(metadata.database).toEqual({ type: "path", value: file });
    expect(metadata.note).toEqual({ type: "text", value: "x" });
  });

  it("keeps an emptied table's columns and loads it as no rows", async () => {
    const dir = tempDir();
    const file = path.join(dir, "w.duckdb");
    let rows: { id: number }[] = [{ id: 1 }];
    let loaded: unknown;
    const source = asset({ key: "raw/source", run: () => rows });
    const sink = asset({ key: "sink", ins: { source }, run: ({ source: s }) => { loaded = s; return [{ n: s.length }]; } });
    const defs = defineDefinitions({ assets: [source, sink], resources: { io_manager: configured(duckdbIOManager, { path: file }) } });
    const home = path.join(dir, ".sluice");
    expect((await materialize(defs, { home })).success).toBe(true);
    rows = [];
    expect((await materialize(defs, { home })).success).toBe(true);
    expect(loaded).toEqual([]);
    expect(await readTable(file, "select column_name from information_schema.columns where table_name = 'source'")).toEqual([{ column_name: "id" }]);
  });

  it("uses the column types an asset declares, so whole amounts stay DOUBLE", async () => {
    const dir = tempDir();
    const file = path.join(dir, "w.duckdb");
    const totals = asset({
      key: "report/totals",
      metadata: { "duckdb/column_types": { revenue: "DOUBLE", note: "VARCHAR" } },
      run: () => [{ region: "east", revenue: 44 }, { region: "west", revenue: 20 }],
    });
    const wrong = asset({ key: "report/wrong", metadata: { "duckdb/column_types": { revenue: "DOUBLE" } }, run: () => [{ revenue: "44" }] });
    const defs = defineDefinitions({ assets: [totals, wrong], resources: { io_manager: configured(duckdbIOManager, { path: file }) } });
    const result = await materialize(defs, { home: path.join(dir, ".sluice") });
    expect(result.failures.map((f) => f.stepKey)).toEqual(["report/wrong"]);
    expect(result.failures[0]!.error.message).toContain('Asset "report/wrong"');
    expect(result.failures[0]!.error.message).toContain('$[0].revenue is a string, which does not fit column "revenue" declared as DOUBLE');
    expect(await readTable(file, "select column_name, data_type from information_schema.columns where table_name = 'totals' order by ordinal_position")).toEqual([
      { column_name: "region", data_type: "VARCHAR" },
      { column_name: "revenue", data_type: "DOUBLE" },
      { column_name: "note", data_type: "VARCHAR" },
    ]);
  });

  it("keeps a partitioned asset's partitions in one table and replaces one partition at a time", async () => {
    const dir = tempDir();
    const file = path.join(dir, "w.duckdb");
    const regions = staticPartitions(["eu", "us"]);
    let sales: Record<string, { sku: string; units: number }[]> = {
      eu: [{ sku: "a", units: 1 }, { sku: "b", units: 2 }],
      us: [{ sku: "a", units: 5 }],
    };
    const daily = asset({
      key: "raw/sales",
      partitions: regions,
      metadata: { "duckdb/partition_column": "region" },
      run: (_in, { partitionKey }) => sales[partitionKey!]!,
    });
    let loaded: unknown;
    const perRegion = asset({
      key: "region_total",
      partitions: regions,
      ins: { sales: daily },
      run: ({ sales: rows }) => {
        loaded = rows;
        return [{ units: rows.reduce((n, r) => n + r.units, 0) }];
      },
    });
    const defs = defineDefinitions({ assets: [daily, perRegion], resources: { io_manager: configured(duckdbIOManager, { path: file }) } });
    const home = path.join(dir, ".sluice");
    for (const key of ["eu", "us"]) {
      const result = await materialize(defs, { home, selection: ["raw/sales"], partitionKey: key });
      expect(result.success, JSON.stringify(result.failures)).toBe(true);
    }
    sales = { eu: [{ sku: "c", units: 9 }], us: [] };
    expect((await materialize(defs, { home, selection: ["raw/sales"], partitionKey: "eu" })).success).toBe(true);
    expect(await readTable(file, "select region, sku, units from raw.sales order by region, sku")).toEqual([
      { region: "eu", sku: "c", units: "9" },
      { region: "us", sku: "a", units: "5" },
    ]);
    // A later run loads only its partition's rows.
    expect((await materialize(defs, { home, selection: ["region_total"], partitionKey: "us" })).success).toBe(true);
    expect(loaded).toEqual([{ sku: "a", units: 5, region: "us" }]);
  });

  it("fails the step naming the asset and the value when rows cannot be a table", async () => {
    const dir = tempDir();
    const mixed = asset({ key: "raw/mixed", run: () => [{ v: 1 }, { v: "one" }] });
    const notRows = asset({ key: "raw/scalar", run: () => 42 });
    const defs = defineDefinitions({
      assets: [mixed, notRows],
      resources: { io_manager: configured(duckdbIOManager, { path: path.join(dir, "w.duckdb") }) },
    });
    const result = await materialize(defs, { home: path.join(dir, ".sluice") });
    expect(result.success).toBe(false);
    const messages = Object.fromEntries(result.failures.map((f) => [f.stepKey, f.error.message]));
    expect(messages["raw/mixed"]).toMatch(/Asset "raw\/mixed".*column "v" holds an integer at \$\[0\]\.v and a string at \$\[1\]\.v/);
    expect(messages["raw/scalar"]).toMatch(/Asset "raw\/scalar".*the value is a number, not an array of row objects/);
  });
});

describe("duckdbResource", () => {
  it("creates a new file's directory, but not for a read-only database", async () => {
    const dir = tempDir();
    const file = path.join(dir, "data", "lake", "w.duckdb");
    const db = database(file);
    await db.execute("create table t as select 1 as x");
    expect(await readTable(file, "select x from t")).toEqual([{ x: 1 }]);
    db.close();
    const missing = path.join(dir, "absent", "r.duckdb");
    const readOnly = new DuckDBDatabase({ path: missing, lockTimeoutMs: 100, initialLockDelayMs: 20, maxLockDelayMs: 50, settings: { access_mode: "READ_ONLY" } });
    await expect(readOnly.query("select 1")).rejects.toThrow(/absent/);
    expect(existsSync(path.join(dir, "absent"))).toBe(false);
  });

  it("gives each call its own connection and releases the file between them", async () => {
    const dir = tempDir();
    const file = path.join(dir, "r.duckdb");
    const db = database(file);
    await db.execute("create table t (x integer); insert into t values (1), (2), (3)");
    expect(await db.query("select sum(x) as s from t where x > $1", [1])).toEqual([{ s: 5 }]);
    // Closed between calls: another process can open the file now.
    expect(await readTableInChild(file, "select count(*)::int as n from t")).toEqual([{ n: 3 }]);
    db.close();
  });

  it("shares :memory: across the steps of a run", async () => {
    const dir = tempDir();
    const make = asset({
      key: "make",
      resources: { db: duckdbResource },
      run: async (_in, { resources }) => {
        await resources.db.execute("create table kept as select 7 as n");
        return "made";
      },
    });
    let read: unknown;
    const use = asset({
      key: "use",
      deps: [make],
      resources: { db: duckdbResource },
      run: async (_in, { resources }) => {
        read = await resources.db.query("select n from kept");
        return "used";
      },
    });
    const result = await materialize(defineDefinitions({ assets: [make, use] }), { home: path.join(dir, ".sluice") });
    expect(result.success, JSON.stringify(result.failures)).toBe(true);
    expect(read).toEqual([{ n: 7 }]);
  });

  it("waits for another process to release the file's lock", async () => {
    const dir = tempDir();
    const file = path.join(dir, "locked.duckdb");
    const holder = await holdLock(file, 1500);
    const started = Date.now();
    const rows = await database(file, 15_000).query("select count(*)::int as n from held");
    expect(rows).toEqual([{ n: 1 }]);
    expect(Date.now() - started).toBeGreaterThan(800);
    await exited(holder);
  });

  it("fails naming the file when the lock stays held past lockTimeoutMs", async () => {
    const dir = tempDir();
    const file = path.join(dir, "stuck.duckdb");
    const holder = await holdLock(file, 4000);
    const started = Date.now();
    const error = await database(file, 400).query("select 1").catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(DuckDBLockedError);
    expect((error as DuckDBLockedError).code).toBe("DATABASE_LOCKED");
    expect((error as DuckDBLockedError).file).toBe(file);
    expect((error as Error).message).toContain(`DuckDB file "${file}" is locked by another process`);
    expect((error as Error).message).toContain(`PID ${holder.pid}`);
    expect((error as Error).message).toContain("lockTimeoutMs");
    holder.kill();
    await exited(holder);
  });
});

describe("writeParquet", () => {
  it("writes Hive-style partitions that read back to the same rows", async () => {
    const dir = tempDir();
    const db = database(":memory:");
    await db.execute(
      "create table readings as select * from (values ('2026-01-01', 'a', 1.5), ('2026-01-01', 'b', 2.0), ('2026-01-02', 'a', 3.0)) v(date, device, value)",
    );
    // Its parent does not exist yet: created, as DuckDB creates only the partition directories.
    const out = path.join(dir, "lake", "staging");
    const result = await db.withConnection((c) => writeParquet(c, { query: "select * from readings", to: out, partitionBy: ["date", "device"] }));
    expect(result.rowCount).toBe(3);
    expect(result.files.map((f) => path.relative(out, path.dirname(f))).sort()).toEqual([
      "date=2026-01-01/device=a",
      "date=2026-01-01/device=b",
      "date=2026-01-02/device=a",
    ]);
    expect(readFileSync(result.files[0]!).subarray(0, 4).toString()).toBe("PAR1");
    // Written again: replaced, not appended.
    await db.withConnection((c) => writeParquet(c, { query: "select * from readings", to: out, partitionBy: ["date", "device"] }));
    const back = await db.query(`select date, device, sum(value) as v from read_parquet('${out}/**/*.parquet', hive_partitioning = true) group by all order by all`);
    expect(back).toEqual([
      { date: "2026-01-01", device: "a", v: 1.5 },
      { date: "2026-01-01", device: "b", v: 2 },
      { date: "2026-01-02", device: "a", v: 3 },
    ]);
    db.close();
  });

  it("refuses a target outside `within` (a path built from a partition key) before writing anything", async () => {
    const dir = tempDir();
    const lake = path.join(dir, "lake");
    const db = database(":memory:");
    await db.execute("create table readings as select * from (values ('a', 1.5)) v(device, value)");
    // Each would be a directory of the test's own (OVERWRITE empties a partitioned target first).
    for (const key of ["../../escaped", "../../lake-evil", path.join(dir, "absolute")]) {
      const to = path.isAbsolute(key) ? key : path.join(lake, "date=2026-01-01", key);
      const error = await db.withConnection((c) => writeParquet(c, { query: "select * from readings", to, partitionBy: ["device"], within: lake })).then(
        () => undefined,
        (err: Error & { code?: string }) => err,
      );
      expect(error, key).toMatchObject({ code: "UNSAFE_PATH", baseDir: lake, path: path.resolve(to) });
    }
    expect(readdirSync(dir)).toEqual([]);
    // Inside it, written as usual; partition values that look like paths stay directory names.
    await db.execute("insert into readings values ('../../evil', 2.0)");
    const out = path.join(lake, "date=2026-01-01");
    const result = await db.withConnection((c) => writeParquet(c, { query: "select * from readings", to: out, partitionBy: ["device"], within: lake }));
    expect(result.rowCount).toBe(2);
    for (const file of result.files) expect(path.relative(out, file).startsWith("..")).toBe(false);
    expect(readdirSync(dir)).toEqual(["lake"]);
    db.close();
  });
});

/** Starts a process that opens `file` (creating table `held`), holds it for `ms`, then exits. */
async function holdLock(file: string, ms: number): Promise<ChildProcess> {
  const script = `
    import { DuckDBInstance } from "@duckdb/node-api";
    const instance = await DuckDBInstance.create(${JSON.stringify(file)});
    const c = await instance.connect();
    await c.run("create table if not exists held as select 1 as x");
    console.log("holding");
    setTimeout(() => { c.closeSync(); instance.closeSync(); }, ${ms});`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("holding") && resolve());
    child.on("exit", (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.on("exit", () => resolve()));
}

/** Runs a query in another process, proving this one does not hold the file. */
async function readTableInChild(file: string, sql: string): Promise<unknown> {
  const script = `
    import { DuckDBInstance } from "@duckdb/node-api";
    const instance = await DuckDBInstance.create(${JSON.stringify(file)});
    const c = await instance.connect();
    console.log(JSON.stringify((await c.runAndReadAll(${JSON.stringify(sql)})).getRowObjectsJson()));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`child failed (${code}): ${err}`);
  return JSON.parse(out) as unknown;
}
