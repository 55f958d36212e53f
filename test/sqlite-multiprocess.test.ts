import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "../src/storage/migrations.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";
import type { WriterSummary } from "./fixtures/storage-writer.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const writerScript = path.join(repoRoot, "test", "fixtures", "storage-writer.ts");
const WRITERS = 10;
const RUNS_PER_WRITER = 20;
const EVENTS_PER_RUN = 10;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a writer; resolves `ready` once it has loaded, `done` when it exits. */
function startWriter(
  file: string,
  worker: number,
): { child: ChildProcess; ready: Promise<void>; done: Promise<Finished> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", writerScript, file, String(worker), String(RUNS_PER_WRITER)],
    { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith("ready\n")) markReady();
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Finished>((resolve) => {
    child.on("close", (code) => {
      markReady(); // a writer that died while loading must not hang the barrier
      resolve({ code, stdout, stderr });
    });
  });
  return { child, ready, done };
}

describe("SQLite storage shared by several processes", () => {
  it(
    `keeps every run, event and index entry when ${WRITERS} processes migrate and write one new file at once`,
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-multiprocess-"));
      tempDirs.push(dir);
      const file = path.join(dir, "nested", "storage.db");

      const writers = Array.from({ length: WRITERS }, (_, i) => startWriter(file, i));
      await Promise.all(writers.map((w) => w.ready));
      // Released together: every process opens, migrates and writes the fresh file concurrently.
      for (const w of writers) w.child.stdin!.end("go\n");
      const results = await Promise.all(writers.map((w) => w.done));

      for (const [i, result] of results.entries()) {
        expect(result.stderr, `writer ${i} stderr`).not.toMatch(/database is locked|SQLITE_BUSY/i);
        const outcome = { writer: i, code: result.code, stderr: result.stderr };
        expect(outcome).toEqual({ writer: i, code: 0, stderr: "" });
      }
      const summaries = results.map((r) => JSON.parse(r.stdout.split("\n")[1]!) as WriterSummary);
      const written = summaries.flatMap((s) => s.events);
      expect(written.length).toBe(WRITERS * RUNS_PER_WRITER * EVENTS_PER_RUN);
      expect(new Set(written.map((e) => e.id)).size).toBe(written.length);

      const raw = new BetterSqlite3(file, { readonly: true });
      try {
        // Each migration applied once, however many processes raced to apply it.
        expect(raw.prepare("select version from schema_migrations order by version").all()).toEqual(
          MIGRATIONS.map((m) => ({ version: m.version })),
        );
        expect(raw.prepare("select count(*) as n from events").get()).toEqual({ n: written.length });
      } finally {
        raw.close();
      }

      const storage = await openSqliteStorage(file);
      try {
        expect(await storage.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        const runs = await storage.listRuns();
        expect(runs.length).toBe(WRITERS * RUNS_PER_WRITER);
        expect(new Set(runs.map((r) => r.runId))).toEqual(new Set(summaries.flatMap((s) => s.runIds)));
        for (const run of runs) {
          expect(run).toMatchObject({
            status: "SUCCESS",
            startedAt: expect.any(Number),
            endedAt: expect.any(Number),
            rootRunId: run.runId.endsWith("-r0") ? null : run.runId.replace(/-r\d+$/, "-r0"),
          });
          const events = await storage.getEvents(run.runId);
          expect(events.map((e) => e.id)).toEqual(
            written.filter((e) => e.runId === run.runId).map((e) => e.id),
          );
        }
        const tagged = await storage.listRuns({ tags: { worker: "3", parity: "odd" } });
        expect(tagged.length).toBe(RUNS_PER_WRITER / 2);

        // The index points at the newest materialization of each (asset, partition), by event id.
        const newest = new Map<string, number>();
        for (const e of written) {
          if (e.type !== "ASSET_MATERIALIZATION") continue;
          const key = `${e.assetKey}|${e.partition ?? ""}`;
          newest.set(key, Math.max(newest.get(key) ?? 0, e.id));
        }
        const index = await storage.getAssetIndex();
        expect(index.length).toBe(newest.size);
        for (const entry of index) {
          expect(entry.eventId).toBe(newest.get(`${entry.assetKey}|${entry.partition ?? ""}`));
        }
        expect((await storage.getMaterializations("shared/a")).length).toBe(WRITERS * RUNS_PER_WRITER);
      } finally {
        await storage.close();
      }
    },
    120_000,
  );
});
