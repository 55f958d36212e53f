/**
 * A database with a corrupted page: events that touch it cannot be stored while others can. The
 * run must then not be recorded SUCCESS while `sluice materialize` reports the failure: the record
 * and the exit code agree.
 */
import { openSync, readSync, writeSync, closeSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, describeResult, fixture, lastLine, listRuns, removeTempDirs, runCli, runEvents, tempDir } from "./helpers.js";

const DEFS = fixture("one-asset.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** Overwrites every page of the named tables and indexes with zeros, after a checkpoint. */
function corruptPages(file: string, names: string[]): number[] {
  const db = new Database(file);
  db.pragma("wal_checkpoint(TRUNCATE)");
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  const pages = (db.prepare(`select pageno from dbstat where name in (${names.map(() => "?").join(",")})`).all(...names) as { pageno: number }[]).map((r) => r.pageno);
  db.close();
  const fd = openSync(file, "r+");
  try {
    const header = Buffer.alloc(16);
    readSync(fd, header, 0, 16, 0);
    expect(header.toString("latin1")).toBe("SQLite format 3\0");
    for (const page of pages) writeSync(fd, Buffer.alloc(pageSize), 0, pageSize, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  return pages;
}

describe("a corrupted database page", () => {
  it("fails the run, recorded FAILURE naming the storage error, and materialize exits 1", async () => {
    const home = tempDir();
    const first = await runCli(["materialize", "-f", DEFS], { home });
    expect(first.code, describeResult(first)).toBe(0);
    // The asset index (the latest materialization of each asset) now lives on pages of its own.
    expect(corruptPages(path.join(home, "sluice.db"), ["asset_index", "sqlite_autoindex_asset_index_1"]).length).toBeGreaterThan(0);

    const second = await runCli(["materialize", "-f", DEFS], { home });
    expect(second.code, describeResult(second)).toBe(1);
    const [run] = await listRuns(home);
    expect(run!.status).toBe("FAILURE");
    const runId = run!.runId;
    expect(lastLine(second.stdout)).toBe(runId);
    const end = (await runEvents(home, runId)).at(-1)!;
    expect(end.type).toBe("RUN_FAILURE");
    expect(end.message).toMatch(/^Run failed: its steps succeeded, but some of its events could not be stored: StorageError: .*malformed/);
  });
});
