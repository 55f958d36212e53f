/**
 * Per-step overhead of Sluice beside the Node engines it is judged against, in one run and one
 * table: BullMQ on the local Redis, DBOS on the local Postgres. Every engine runs the same N trivial
 * steps in two shapes, a chain (each step takes the previous one's value) and a fan-out/fan-in (one
 * root, N-2 independent middles, one sink taking them all); the baseline is the same functions
 * called by a plain script. Overhead per step = (engine time - plain time) / N, median of reps.
 *
 *   cd bench/peers && npm install && npm run bench -- [--steps 1000] [--reps 3]
 *
 * Durability, as each engine records a step: Sluice commits every event (and every small value)
 * to SQLite (WAL, synchronous=NORMAL) or Postgres; DBOS checkpoints every step to Postgres; BullMQ
 * writes every job and its result to Redis, which is as durable as Redis' own configuration (the
 * table prints its appendonly and appendfsync settings).
 *
 * Not installed by the project's `npm ci` and not run by CI: it needs the peers' packages.
 * SLUICE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test) and REDIS_URL
 * (default redis://127.0.0.1:6379) choose the servers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { asset, defineDefinitions, type AssetDefinition, type Definitions } from "../../src/index.js";
import { materializeAssets } from "../../src/runs/materialize-assets.js";
import { openPostgresStorage } from "../../src/storage/postgres/postgres-storage.js";
import { openSqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../../src/storage/testing/postgres-test-schemas.js";

const { values } = parseArgs({ options: { steps: { type: "string", default: "1000" }, reps: { type: "string", default: "3" } } });
const STEPS = Number(values.steps);
const REPS = Number(values.reps);
const REDIS_URL = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const redis = { host: REDIS_URL.hostname, port: Number(REDIS_URL.port || 6379) };
/** Steps of the fan's middle that run at once, in every engine. */
const FAN_CONCURRENCY = 16;

type ShapeName = "chain" | "fan";
const chainStep = (x: number) => x + 1;
const middleStep = (root: number, i: number) => root * i;
const sinkStep = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The plain script: the same functions, called in order. Returns the result and the time. */
function plain(shape: ShapeName): { ms: number; result: number } {
  const start = performance.now();
  let result: number;
  if (shape === "chain") {
    let v = 0;
    for (let i = 1; i < STEPS; i++) v = chainStep(v);
    result = v;
  } else {
    const root = 1;
    const middles: number[] = [];
    for (let i = 0; i < STEPS - 2; i++) middles.push(middleStep(root, i));
    result = sinkStep(middles);
  }
  return { ms: performance.now() - start, result };
}

// ---- Sluice ----

function sluiceDefinitions(shape: ShapeName): Definitions {
  const assets: AssetDefinition<number>[] = [];
  if (shape === "chain") {
    assets.push(asset({ key: "c0", run: () => 0 }));
    for (let i = 1; i < STEPS; i++) {
      const up = assets[i - 1]!;
      assets.push(asset({ key: `c${i}`, ins: { up }, run: ({ up: v }) => chainStep(v) }));
    }
  } else {
    const root = asset({ key: "root", run: () => 1 });
    const middles = Array.from({ length: STEPS - 2 }, (_, i) => asset({ key: `m${i}`, ins: { root }, run: ({ root: r }) => middleStep(r, i) }));
    const sink = asset({ key: "sink", ins: Object.fromEntries(middles.map((m, i) => [`m${i}`, m])), run: (inputs) => sinkStep(Object.values(inputs) as number[]) });
    assets.push(root, ...middles, sink);
  }
  return defineDefinitions({ assets, executor: { maxConcurrent: FAN_CONCURRENCY } });
}

async function sluice(shape: ShapeName, backend: "sqlite" | "postgres"): Promise<{ ms: number; result: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-peers-"));
  const schema = newTestSchemaName("peers");
  const storage: Storage = backend === "sqlite" ? await openSqliteStorage(path.join(dir, "sluice.db")) : await openPostgresStorage(TEST_POSTGRES_URL, { schema });
  const defs = sluiceDefinitions(shape);
  try {
    const start = performance.now();
    const run = await materializeAssets({ storage, valuesDir: path.join(dir, "storage") }, defs);
    const ms = performance.now() - start;
    if (!run.success) throw new Error(`the Sluice ${shape} run failed`);
    return { ms, result: run.outputOf(shape === "chain" ? `c${STEPS - 1}` : "sink") as number };
  } finally {
    await storage.close();
    if (backend === "postgres") await dropTestSchemas([schema]);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- BullMQ: one job per step; a job adds the jobs it unblocks before it completes ----

async function bullmq(shape: ShapeName): Promise<{ ms: number; result: number }> {
  const name = `sluice-peers-${process.pid}-${shape}-${Date.now()}`;
  const queue = new Queue(name, { connection: redis });
  let finish!: (result: number) => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const middleValues: number[] = [];
  let middlesLeft = STEPS - 2;
  const processor = async (job: Job): Promise<number> => {
    const data = job.data as { kind: string; value?: number; i?: number; values?: number[] };
    switch (data.kind) {
      case "chain": {
        const value = job.data.i === 0 ? 0 : chainStep(data.value!);
        if (data.i! < STEPS - 1) await queue.add("step", { kind: "chain", i: data.i! + 1, value });
        else finish(value);
        return value;
      }
      case "root":
        await queue.addBulk(Array.from({ length: STEPS - 2 }, (_, i) => ({ name: "step", data: { kind: "middle", i, value: 1 } })));
        return 1;
      case "middle": {
        const value = middleStep(data.value!, data.i!);
        middleValues[data.i!] = value;
        if (--middlesLeft === 0) await queue.add("step", { kind: "sink", values: middleValues });
        return value;
      }
      case "sink": {
        const value = sinkStep(data.values!);
        finish(value);
        return value;
      }
      default:
        throw new Error(`unknown job ${data.kind}`);
    }
  };
  const worker = new Worker(name, processor, { connection: redis, concurrency: shape === "chain" ? 1 : FAN_CONCURRENCY, autorun: false });
  worker.on("failed", (_job, err) => fail(err));
  try {
    await worker.waitUntilReady();
    const start = performance.now();
    void worker.run();
    await queue.add("step", shape === "chain" ? { kind: "chain", i: 0 } : { kind: "root" });
    const result = await done;
    return { ms: performance.now() - start, result };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

// ---- DBOS: one workflow per run, one checkpointed step per step ----

const dbosChain = DBOS.registerWorkflow(
  async (): Promise<number> => {
    let value = await DBOS.runStep(async () => 0, { name: "c0" });
    for (let i = 1; i < STEPS; i++) {
      const previous = value;
      value = await DBOS.runStep(async () => chainStep(previous), { name: `c${i}` });
    }
    return value;
  },
  { name: "sluice_peers_chain" },
);

const dbosFan = DBOS.registerWorkflow(
  async (): Promise<number> => {
    const root = await DBOS.runStep(async () => 1, { name: "root" });
    const middles = new Array<number>(STEPS - 2);
    // FAN_CONCURRENCY steps at once, started in a fixed order (workflows must be deterministic).
    for (let from = 0; from < STEPS - 2; from += FAN_CONCURRENCY) {
      const batch = Array.from({ length: Math.min(FAN_CONCURRENCY, STEPS - 2 - from) }, (_, k) => from + k);
      const results = await Promise.all(batch.map((i) => DBOS.runStep(async () => middleStep(root, i), { name: `m${i}` })));
      batch.forEach((i, k) => (middles[i] = results[k]!));
    }
    return DBOS.runStep(async () => sinkStep(middles), { name: "sink" });
  },
  { name: "sluice_peers_fan" },
);

async function dbos(shape: ShapeName): Promise<{ ms: number; result: number }> {
  const start = performance.now();
  const result = shape === "chain" ? await dbosChain() : await dbosFan();
  return { ms: performance.now() - start, result };
}

/** DBOS keeps its system database apart: a database of its own on the same server. */
async function dbosDatabaseUrl(): Promise<string> {
  const url = new URL(TEST_POSTGRES_URL);
  const database = "sluice_bench_dbos";
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query("select 1 from pg_database where datname = $1", [database]);
    if (rows.length === 0) await admin.query(`create database ${database}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${database}`;
  return url.toString();
}

async function redisDurability(): Promise<string> {
  const client = new Redis({ ...redis, lazyConnect: true });
  try {
    await client.connect();
    const appendonly = ((await client.config("GET", "appendonly")) as string[])[1];
    const fsync = ((await client.config("GET", "appendfsync")) as string[])[1];
    return `appendonly ${appendonly}, appendfsync ${fsync}`;
  } finally {
    client.disconnect();
  }
}

// ---- The table ----

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Engine {
  name: string;
  run(shape: ShapeName): Promise<{ ms: number; result: number }>;
}

async function main(): Promise<void> {
  DBOS.setConfig({ name: "sluice-peers", systemDatabaseUrl: await dbosDatabaseUrl(), logLevel: "error" });
  await DBOS.launch();
  const engines: Engine[] = [
    { name: "Sluice, SQLite on disk", run: (s) => sluice(s, "sqlite") },
    { name: "Sluice, Postgres", run: (s) => sluice(s, "postgres") },
    { name: "BullMQ (Redis)", run: bullmq },
    { name: "DBOS (Postgres)", run: dbos },
  ];
  console.log(`Per-step overhead, ${STEPS} trivial steps, median of ${REPS} (node ${process.version}, ${os.cpus().length} cores, Redis ${await redisDurability()})`);
  console.log("  engine                    chain ms/step   fan ms/step");
  try {
    const baseline: Record<ShapeName, number[]> = { chain: [], fan: [] };
    const expected: Record<ShapeName, number> = { chain: plain("chain").result, fan: plain("fan").result };
    for (const engine of engines) {
      const cells: string[] = [];
      for (const shape of ["chain", "fan"] as const) {
        await engine.run(shape); // warm up: connections, JIT, schema
        const overheads: number[] = [];
        for (let r = 0; r < REPS; r++) {
          const base = plain(shape);
          baseline[shape].push(base.ms);
          const { ms, result } = await engine.run(shape);
          if (result !== expected[shape]) throw new Error(`${engine.name} computed ${result} for the ${shape}, not ${expected[shape]}`);
          overheads.push((ms - base.ms) / STEPS);
        }
        cells.push(median(overheads).toFixed(3).padStart(13));
      }
      console.log(`  ${engine.name.padEnd(24)} ${cells.join(" ")}`);
    }
    console.log(`  (plain script: chain ${median(baseline.chain).toFixed(2)} ms, fan ${median(baseline.fan).toFixed(2)} ms for all ${STEPS} steps)`);
  } finally {
    await DBOS.shutdown();
  }
}

await main();
