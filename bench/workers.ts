/**
 * Throughput of `sluice worker` on Postgres: N queued runs of a one-op job, executed by 1, 2 and 4
 * worker processes (each run in its own child process, as in production), in runs per minute. The
 * baseline is the same number of runs executed by a plain loop of `node` processes running the
 * op's work as a script, one at a time per worker slot, so the figure says what the orchestration
 * (claiming, heartbeats, events, process per run) costs beside process start-up itself.
 *
 *   npm run build && node --import tsx bench/workers.ts [--runs 60] [--slots 2]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { openPostgresStorage } from "../src/storage/postgres/postgres-storage.js";
import { RunStatus } from "../src/storage/records.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../src/storage/testing/postgres-test-schemas.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "60" }, slots: { type: "string", default: "2" } } });
const RUNS = Number(values.runs);
const SLOTS = Number(values.slots);
const root = path.resolve(import.meta.dirname, "..");
const defsFile = path.join(root, "bench", ".generated", "one-op.ts");
mkdirSync(path.dirname(defsFile), { recursive: true });
writeFileSync(
  defsFile,
  `import { defineDefinitions, job, op } from "sluice";
const work = op({ name: "work", run: () => { let x = 0; for (let i = 0; i < 1e5; i++) x += i; return x; } });
export default defineDefinitions({ jobs: [job({ name: "one_op", ops: [work] })] });
`,
);
const plainScript = path.join(root, "bench", ".generated", "one-op-plain.mjs");
writeFileSync(plainScript, "let x = 0; for (let i = 0; i < 1e5; i++) x += i; console.log(x);\n");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `RUNS` node processes of the plain script, `slots` at a time; returns ms. */
async function plainBaseline(slots: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < RUNS) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [plainScript], { stdio: "ignore" });
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`plain script exited ${code}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: slots }, lane));
  return performance.now() - start;
}

/** Queues RUNS runs in a fresh schema, starts `workers` workers, waits for every run to succeed; returns ms. */
async function withWorkers(workers: number): Promise<number> {
  const schema = newTestSchemaName("benchw");
  const home = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-workers-"));
  writeFileSync(
    path.join(home, "sluice.yaml"),
    `storage:\n  postgres:\n    url: ${JSON.stringify(TEST_POSTGRES_URL)}\n    schema: ${schema}\nrun_queue:\n  max_concurrent_runs: ${workers * SLOTS}\n`,
  );
  const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
  const children: ReturnType<typeof spawn>[] = [];
  try {
    for (let i = 0; i < RUNS; i++) await storage.createRun({ runId: randomUUID(), jobName: "one_op", selection: ["work"], status: RunStatus.Queued });
    const start = performance.now();
    for (let i = 0; i < workers; i++) {
      children.push(
        spawn(process.execPath, [path.join(root, "bin/sluice.js"), "worker", "-f", defsFile, "--home", home, "--max-runs", String(SLOTS), "--poll-interval", "0.1"], {
          cwd: root,
          stdio: "ignore",
        }),
      );
    }
    for (;;) {
      const done = await storage.listRuns({ statuses: [RunStatus.Success, RunStatus.Failure, RunStatus.Canceled], limit: RUNS });
      if (done.length >= RUNS) {
        const failed = done.filter((r) => r.status !== RunStatus.Success);
        if (failed.length > 0) throw new Error(`${failed.length} runs did not succeed (first: ${failed[0]!.runId})`);
        return performance.now() - start;
      }
      await sleep(100);
    }
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on("exit", r)))));
    await storage.close();
    await dropTestSchemas([schema]);
    rmSync(home, { recursive: true, force: true });
  }
}

const perMinute = (ms: number) => (RUNS / ms) * 60_000;
console.log(`${RUNS} queued runs of a one-op job on Postgres, ${SLOTS} run slots per worker (node ${process.version}, ${os.cpus().length} cores)`);
console.log("  workers   sluice worker       plain node processes (same slots)   ratio");
for (const workers of [1, 2, 4]) {
  const sluiceMs = await withWorkers(workers);
  const plainMs = await plainBaseline(workers * SLOTS);
  console.log(
    `  ${String(workers).padStart(7)}   ${`${perMinute(sluiceMs).toFixed(0)} runs/min`.padStart(13)}       ${`${perMinute(plainMs).toFixed(0)} runs/min`.padStart(13)}                       ${(plainMs / sluiceMs).toFixed(2)}x`,
  );
}
