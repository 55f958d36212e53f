import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { BackgroundCheckpointer } from "./background-checkpoint.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A WAL database with one table, as the storage opens it. */
function walDatabase(): { raw: BetterSqlite3.Database; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-checkpoint-"));
  dirs.push(dir);
  const file = path.join(dir, "storage.db");
  const raw = new BetterSqlite3(file);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  raw.exec("create table t (id integer primary key, body blob not null)");
  return { raw, file };
}

/** One write transaction of a 4 KiB row (about one page), counted as the storage counts commits. */
function commitRow(raw: BetterSqlite3.Database, checkpointer: BackgroundCheckpointer): void {
  raw.exec("begin immediate");
  raw.prepare("insert into t (body) values (?)").run(Buffer.alloc(4096, 1));
  raw.exec("commit");
  checkpointer.committed();
}

/**
 * Rows that checkpoints have copied into the database file: read from a copy of the file alone,
 * without its WAL (so reading checkpoints nothing); -1 while a checkpoint is halfway through a page.
 */
function checkpointedRows(file: string): number {
  const copy = `${file}.copy`;
  fs.copyFileSync(file, copy);
  try {
    const reader = new BetterSqlite3(copy, { readonly: true });
    try {
      return (reader.prepare("select count(*) as n from t").get() as { n: number }).n;
    } finally {
      reader.close();
    }
  } catch {
    return -1;
  } finally {
    fs.rmSync(copy, { force: true });
  }
}

describe("background WAL checkpoints", () => {
  it("start only after many commits, then take over the writer's automatic checkpoints", () => {
    const { raw, file } = walDatabase();
    const checkpointer = new BackgroundCheckpointer(raw, file);
    try {
      for (let i = 0; i < 63; i++) commitRow(raw, checkpointer);
      expect(checkpointer.running).toBe(false);
      expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
      commitRow(raw, checkpointer);
      expect(checkpointer.running).toBe(true);
      // The writer's own checkpoint becomes a backstop far above SQLite's default.
      expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBeGreaterThan(1000);
    } finally {
      checkpointer.stop();
      raw.close();
    }
  });

  it("copies the WAL back into the database from the thread while the writer goes on", async () => {
    const { raw, file } = walDatabase();
    const checkpointer = new BackgroundCheckpointer(raw, file);
    try {
      // Past the writer's default of 1,000 pages: only the thread can have checkpointed them.
      for (let i = 0; i < 1500; i++) commitRow(raw, checkpointer);
      expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBeGreaterThan(1500 * 2);
      // The writer did not checkpoint (its backstop is far above these 3,000 frames); the last
      // request went out at commit 1,472, and the thread copies at least that far.
      await expect.poll(() => checkpointedRows(file), { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(1472);
      expect(raw.prepare("select count(*) as n from t").get()).toEqual({ n: 1500 });
    } finally {
      checkpointer.stop();
      raw.close();
    }
    // Everything is in the database file once the last connection closed (the WAL is gone).
    const reopened = new BetterSqlite3(file, { readonly: true });
    expect(reopened.prepare("select count(*) as n from t").get()).toEqual({ n: 1500 });
    reopened.close();
  });

  it("stops its thread when told, and the writer checkpoints as before", async () => {
    const { raw, file } = walDatabase();
    const checkpointer = new BackgroundCheckpointer(raw, file);
    try {
      for (let i = 0; i < 64; i++) commitRow(raw, checkpointer);
      expect(checkpointer.running).toBe(true);
      const exited = checkpointer.exited();
      checkpointer.stop();
      expect(checkpointer.running).toBe(false);
      // The thread closes its connection and ends.
      await exited;
      // Further commits start nothing.
      for (let i = 0; i < 200; i++) commitRow(raw, checkpointer);
      expect(checkpointer.running).toBe(false);
    } finally {
      raw.close();
    }
  });
});
