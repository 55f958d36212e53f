/**
 * Orchestration overhead per step: 1,000 trivial assets through `materialize()` (every event
 * durably recorded in SQLite, or in Postgres, every value stored by the default IO manager)
 * against the same functions called by a plain script in the same process, in the same run.
 * Postgres is the local server (SLUICE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test),
 * a fresh schema per run; pass --no-postgres to skip it.
 *
 *   npm run bench:overhead            (or: node --import tsx bench/overhead.ts [--steps 1000] [--reps 5])
 *
 * Shapes: a chain (each asset takes the previous one's value) and a fan-out/fan-in (one root, N-2
 * independent middles, one sink taking them all). Prints the median of several repetitions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { asset, defineDefinitions, resource, type AssetDefinition, type Definitions } from "../src/index.js";
import { materializeAssets } from "../src/runs/materialize-assets.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";
import { openPostgresStorage } from "../src/storage/postgres/postgres-storage.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../src/storage/testing/postgres-test-schemas.js";
import type { Storage } from "../src/storage/storage.js";

const { values } = parseArgs({
  options: { steps: { type: "string", default: "1000" }, reps: { type: "string", default: "5" }, "no-postgres": { type: "boolean", default: false } },
});
const STEPS = Number(values.steps);
const REPS = Number(values.reps);

type Fn = (inputs: Record<string, unknown>) => unknown;
interface Shape {
  name: string;
  /** Functions in topological order, with the keys of their inputs. */
  nodes: { key: string; ins: string[]; fn: Fn }[];
}

function chain(n: number): Shape {
  const nodes = [{ key: "c0", ins: [] as string[], fn: (() => 0) as Fn }];
  for (let i = 1; i < n; i++) nodes.push({ key: `c${i}`, ins: [`c${i - 1}`], fn: (x) => (x[`c${i - 1}`] as number) + 1 });
  return { name: "chain", nodes };
}

function fan(n: number): Shape {
  const nodes = [{ key: "root", ins: [] as string[], fn: (() => 1) as Fn }];
  const middles: string[] = [];
  for (let i = 0; i < n - 2; i++) {
    middles.push(`m${i}`);
    nodes.push({ key: `m${i}`, ins: ["root"], fn: (x) => (x.root as number) * i });
  }
  nodes.push({ key: "sink", ins: middles, fn: (x) => Object.values(x).reduce((a: number, b) => a + (b as number), 0) });
  return { name: "fan-out/fan-in", nodes };
}

function plainScript(shape: Shape): number {
  const start = performance.now();
  const values = new Map<string, unknown>();
  for (const node of shape.nodes) {
    const inputs: Record<string, unknown> = {};
    for (const k of node.ins) inputs[k] = values.get(k);
    values.set(node.key, node.fn(inputs));
  }
  return performance.now() - start;
}

/** Keeps values in memory: isolates orchestration and event recording from file-system cost. */
const memoryIOManager = resource({
  setup: () => {
    const values = new Map<string, unknown>();
    return {
      handleOutput: (ctx: { assetKey: string }, value: unknown) => void values.set(ctx.assetKey, value),
      loadInput: (ctx: { assetKey: string }) => values.get(ctx.assetKey),
    };
  },
});

function definitionsOf(shape: Shape, inMemoryValues: boolean): Definitions {
  const assets: AssetDefinition<unknown>[] = shape.nodes.map((node) =>
    asset({ key: node.key, ins: Object.fromEntries(node.ins.map((k) => [k, k])), run: (inputs) => node.fn(inputs) }),
  );
  return defineDefinitions({ assets, ...(inMemoryValues ? { resources: { io_manager: memoryIOManager } } : {}) });
}

/** Where the instance lives in each configuration. */
interface Setup {
  name: string;
  baseDir: string;
  inMemoryValues: boolean;
  backend: "sqlite" | "postgres";
}

/** Opens the run's storage; `dispose` closes it and removes what it created. */
async function openStorage(setup: Setup, dir: string): Promise<{ storage: Storage; dispose: () => Promise<void> }> {
  if (setup.backend === "sqlite") {
    const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
    return { storage, dispose: () => storage.close() };
  }
  const schema = newTestSchemaName("bench");
  const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
  return {
    storage,
    dispose: async () => {
      await storage.close();
      await dropTestSchemas([schema]);
    },
  };
}

async function sluiceRun(defs: Definitions, setup: Setup): Promise<{ ms: number; events: number }> {
  const dir = mkdtempSync(path.join(setup.baseDir, "sluice-bench-"));
  const { storage, dispose } = await openStorage(setup, dir);
  try {
    const start = performance.now();
    const result = await materializeAssets({ storage, valuesDir: path.join(dir, "storage") }, defs);
    const ms = performance.now() - start;
    if (!result.success) throw new Error(`bench run failed: ${JSON.stringify(result.failures[0])}`);
    const events = (await storage.getEvents(result.runId)).length;
    return { ms, events };
  } finally {
    await dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The baseline for Postgres: one durable single-row INSERT transaction by a plain pg client (BEGIN,
 * INSERT, COMMIT), the floor of recording one event per transaction on this server.
 */
async function rawPostgresCommitMs(): Promise<number> {
  const { default: pg } = await import("pg");
  const schema = newTestSchemaName("benchraw");
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`create schema "${schema}"`);
    await client.query(`create table "${schema}".t (id bigserial primary key, v text)`);
    const start = performance.now();
    for (let i = 0; i < 1000; i++) {
      await client.query("begin");
      await client.query(`insert into "${schema}".t (v) values ($1)`, ["event"]);
      await client.query("commit");
    }
    return (performance.now() - start) / 1000;
  } finally {
    await client.end();
    await dropTestSchemas([schema]);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const setups: Setup[] = [
  { name: "events in SQLite, values by the default IO manager, home on disk", baseDir: os.tmpdir(), inMemoryValues: false, backend: "sqlite" },
  ...(existsSync("/dev/shm")
    ? [{ name: "events in SQLite, values by the default IO manager, home on tmpfs", baseDir: "/dev/shm", inMemoryValues: false, backend: "sqlite" as const }]
    : []),
  { name: "events in SQLite on disk, values kept in memory (custom IO manager)", baseDir: os.tmpdir(), inMemoryValues: true, backend: "sqlite" },
  ...(values["no-postgres"]
    ? []
    : [
        { name: "events in Postgres (local server), values by the default IO manager on disk", baseDir: os.tmpdir(), inMemoryValues: false, backend: "postgres" as const },
        { name: "events in Postgres (local server), values kept in memory (custom IO manager)", baseDir: os.tmpdir(), inMemoryValues: true, backend: "postgres" as const },
      ]),
];

console.log(`Sluice orchestration overhead: ${STEPS} trivial steps, median of ${REPS} runs (node ${process.version}, ${os.cpus().length} cores)`);
for (const setup of setups) {
  console.log(`\n${setup.name}`);
  if (setup.backend === "postgres") {
    const raw = await rawPostgresCommitMs();
    console.log(`  baseline: one durable INSERT transaction by a plain pg client takes ${raw.toFixed(3)} ms here (3 events per step: ${(3 * raw).toFixed(2)} ms/step)`);
  }
  console.log("  shape            plain script   sluice materialize()   overhead/step   ratio   events");
  for (const shape of [chain(STEPS), fan(STEPS)]) {
    const defs = definitionsOf(shape, setup.inMemoryValues);
    await sluiceRun(defs, setup); // warm-up: JIT, first SQLite open
    plainScript(shape);
    const plain: number[] = [];
    const sluice: number[] = [];
    let events = 0;
    for (let r = 0; r < REPS; r++) {
      plain.push(plainScript(shape));
      const run = await sluiceRun(defs, setup);
      sluice.push(run.ms);
      events = run.events;
    }
    const p = median(plain);
    const s = median(sluice);
    const perStep = (s - p) / shape.nodes.length;
    console.log(
      `  ${shape.name.padEnd(16)} ${`${p.toFixed(2)} ms`.padStart(12)}   ${`${s.toFixed(1)} ms`.padStart(20)}   ${`${perStep.toFixed(3)} ms`.padStart(13)}   ${`${(s / p).toFixed(0)}x`.padStart(5)}   ${events}`,
    );
  }
}
