import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "../src/storage/migrations.js";
import { openPostgresStorage } from "../src/storage/postgres/postgres-storage.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";
import type { Storage } from "../src/storage/storage.js";
import { dropTestSchemas, newTestSchemaName, queryTestSchema, TEST_POSTGRES_URL } from "../src/storage/testing/postgres-test-schemas.js";
import type {
  ClaimerSummary,
  TickerSummary,
  WriterSummary,
} from "./fixtures/storage-writer.js";

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
const schemas: string[] = [];
afterAll(async () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  await dropTestSchemas(schemas);
});

/**
 * A backend the processes share: a target string the fixture understands (a SQLite file, or
 * `postgres:SCHEMA`), and the same database opened here through the API and with raw SQL.
 */
interface Backend {
  name: "sqlite" | "postgres";
  /** A new, empty database (the file or schema does not exist yet); returns its target. */
  newTarget(): string;
  open(target: string): Promise<Storage>;
  /** Rows of a raw query, int8 values as numbers. */
  rows(target: string, sqlText: string): Promise<Record<string, unknown>[]>;
}

const BACKENDS: Backend[] = [
  {
    name: "sqlite",
    newTarget: () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-multiprocess-"));
      tempDirs.push(dir);
      return path.join(dir, "nested", "storage.db");
    },
    open: (file) => openSqliteStorage(file),
    rows: async (file, sqlText) => {
      const raw = new BetterSqlite3(file, { readonly: true });
      try {
        return raw.prepare(sqlText).all() as Record<string, unknown>[];
      } finally {
        raw.close();
      }
    },
  },
  {
    name: "postgres",
    newTarget: () => {
      const schema = newTestSchemaName("mp");
      schemas.push(schema);
      return `postgres:${schema}`;
    },
    open: (target) => openPostgresStorage(TEST_POSTGRES_URL, { schema: target.slice("postgres:".length) }),
    rows: async (target, sqlText) => {
      const rows = await queryTestSchema(target.slice("postgres:".length), sqlText);
      // pg returns int8 (counts, bigint columns) as strings.
      return rows.map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v])),
      );
    },
  },
];

/** Starts a fixture process; resolves `ready` once it has loaded, `done` when it exits. */
function startWriter(
  file: string,
  worker: number,
  n = RUNS_PER_WRITER,
  mode: "write" | "claim" | "ticks" = "write",
): { child: ChildProcess; ready: Promise<void>; done: Promise<Finished> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", writerScript, file, String(worker), String(n), mode],
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

/**
 * Runs `processes` fixture processes in `mode` on `file`, released at the same moment, and returns
 * their JSON summaries once every one exited cleanly.
 */
async function race<T>(file: string, processes: number, n: number, mode: "claim" | "ticks"): Promise<T[]> {
  const started = Array.from({ length: processes }, (_, i) => startWriter(file, i, n, mode));
  await Promise.all(started.map((p) => p.ready));
  for (const p of started) p.child.stdin!.end("go\n");
  const results = await Promise.all(started.map((p) => p.done));
  for (const [i, result] of results.entries()) {
    expect({ process: i, code: result.code, stderr: result.stderr }).toEqual({ process: i, code: 0, stderr: "" });
  }
  return results.map((r) => JSON.parse(r.stdout.split("\n")[1]!) as T);
}

/** A fresh database of the backend, with `queued` queued runs (oldest first: q000, q001...). */
async function storageWithQueue(backend: Backend, queued: number): Promise<string> {
  const file = backend.newTarget();
  const storage = await backend.open(file);
  for (let i = 0; i < queued; i++) {
    await storage.createRun({ runId: `q${String(i).padStart(3, "0")}`, jobName: "job", selection: [] });
  }
  await storage.close();
  return file;
}

const RACERS = 8;

describe.each(BACKENDS)("$name storage shared by several processes", (backend) => {
  it(
    `keeps every run, event and index entry when ${WRITERS} processes migrate and write one new file at once`,
    async () => {
      const file = backend.newTarget();

      const writers = Array.from({ length: WRITERS }, (_, i) => startWriter(file, i));
      await Promise.all(writers.map((w) => w.ready));
      // Released together: every process opens, migrates and writes the fresh file concurrently.
      for (const w of writers) w.child.stdin!.end("go\n");
      const results = await Promise.all(writers.map((w) => w.done));

      for (const [i, result] of results.entries()) {
        expect(result.stderr, `writer ${i} stderr`).not.toMatch(/database is locked|SQLITE_BUSY|deadlock|already exists/i);
        const outcome = { writer: i, code: result.code, stderr: result.stderr };
        expect(outcome).toEqual({ writer: i, code: 0, stderr: "" });
      }
      const summaries = results.map((r) => JSON.parse(r.stdout.split("\n")[1]!) as WriterSummary);
      const written = summaries.flatMap((s) => s.events);
      expect(written.length).toBe(WRITERS * RUNS_PER_WRITER * EVENTS_PER_RUN);
      expect(new Set(written.map((e) => e.id)).size).toBe(written.length);

      // Each migration applied once, however many processes raced to apply it.
      expect(await backend.rows(file, "select version from schema_migrations order by version")).toEqual(
        MIGRATIONS.map((m) => ({ version: m.version })),
      );
      expect(await backend.rows(file, "select count(*) as n from events")).toEqual([{ n: written.length }]);

      const storage = await backend.open(file);
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

  it(`claims each of 100 queued runs exactly once when ${RACERS} processes race for them`, async () => {
    const file = await storageWithQueue(backend, 100);
    const summaries = await race<ClaimerSummary>(file, RACERS, -1, "claim");
    const claimed = summaries.flatMap((s) => s.claimed);
    expect(claimed.length).toBe(100);
    expect(new Set(claimed).size).toBe(100);
    const storage = await backend.open(file);
    try {
      const runs = await storage.listRuns();
      expect(runs.every((run) => run.status === "STARTING")).toBe(true);
      for (const s of summaries) {
        for (const runId of s.claimed) expect(runs.find((r) => r.runId === runId)?.workerId).toBe(s.workerId);
      }
    } finally {
      await storage.close();
    }
  }, 120_000);

  it(`keeps maxConcurrentRuns when ${RACERS} processes claim at once`, async () => {
    const file = await storageWithQueue(backend, 100);
    const summaries = await race<ClaimerSummary>(file, RACERS, 10, "claim");
    const claimed = summaries.flatMap((s) => s.claimed).sort();
    // Oldest first, across processes: exactly the ten oldest runs, each once.
    expect(claimed).toEqual(Array.from({ length: 10 }, (_, i) => `q${String(i).padStart(3, "0")}`));
    const storage = await backend.open(file);
    try {
      expect((await storage.listRuns({ statuses: ["STARTING"] })).length).toBe(10);
      expect((await storage.listRuns({ statuses: ["QUEUED"] })).length).toBe(90);
    } finally {
      await storage.close();
    }
  }, 120_000);

  it(`creates one tick and run per tick time, and one run per run key, when ${RACERS} processes tick`, async () => {
    const TICKS = 20;
    const file = await storageWithQueue(backend, 0);
    const summaries = await race<TickerSummary>(file, RACERS, TICKS, "ticks");
    for (let t = 0; t < TICKS; t++) {
      // Every process got the same tick and the same run for each tick time.
      const got = summaries.map((s) => s.schedule[t]!);
      expect(new Set(got.map((g) => g.tickTime))).toEqual(new Set([t * 60_000]));
      expect(new Set(got.map((g) => g.tickId)).size).toBe(1);
      expect(new Set(got.map((g) => g.runId)).size).toBe(1);
    }
    const sensorCreated = summaries.flatMap((s) => s.sensorCreated);
    expect(sensorCreated.length).toBe(TICKS);
    expect(new Set(sensorCreated.map((runId) => runId.replace(/^w\d+-/, ""))).size).toBe(TICKS);
    expect(summaries.flatMap((s) => s.sensorSkipped).length).toBe(TICKS * (RACERS - 1));

    const scheduleTicks = (await backend.rows(
      file,
      "select tick_time, run_ids from ticks where instigator_name = 'every_minute' order by tick_time",
    )) as { tick_time: number; run_ids: string }[];
    expect(scheduleTicks.map((t) => t.tick_time)).toEqual(Array.from({ length: TICKS }, (_, t) => t * 60_000));
    expect(scheduleTicks.map((t) => JSON.parse(t.run_ids) as string[])).toEqual(summaries[0]!.schedule.map((s) => [s.runId]));
    const count = async (sqlText: string) => (await backend.rows(file, sqlText))[0];
    expect(await count("select count(*) as n from runs where job_name = 'minutely'")).toEqual({ n: TICKS });
    expect(await count("select count(*) as n from runs where job_name = 'ingest'")).toEqual({ n: TICKS });
    expect(await count("select count(*) as n from run_keys")).toEqual({ n: TICKS });
    expect(await count("select count(*) as n from ticks where instigator_name = 'new_files'")).toEqual({ n: TICKS * RACERS });
  }, 120_000);
});
