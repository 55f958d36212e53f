/**
 * Backfills at scale, on SQLite and Postgres, in one process (no run workers):
 *
 * 1. Creating a backfill of 10,000 partitions of a daily asset (planning + one transaction of
 *    batched inserts), median of 3; beside it, as a baseline measured in the same run, the time to
 *    create 10,000 runs one by one (createRun) extrapolated from 500, so the figure says what one
 *    partition costs against one run record.
 * 2. The daemon's launch rate (BackfillDaemon.tick, each launch one transaction creating the run)
 *    against the run queue's own claim rate (claimQueuedRuns of those runs, no limits), both
 *    back to back, runs per second; the ratio says whether launching can keep the queue fed.
 *
 *   npm run bench:backfill [-- --partitions 10000 --launch 2000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { BackfillDaemon } from "../src/daemon/backfill-daemon.js";
import { asset } from "../src/definitions/asset.js";
import { defineDefinitions } from "../src/definitions/definitions.js";
import { dailyPartitions } from "../src/definitions/partitions/time-partition-factories.js";
import { planBackfill } from "../src/runs/backfill-request.js";
import { openPostgresStorage } from "../src/storage/postgres/postgres-storage.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";
import type { Storage } from "../src/storage/storage.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../src/storage/testing/postgres-test-schemas.js";

const { values } = parseArgs({ options: { partitions: { type: "string", default: "10000" }, launch: { type: "string", default: "2000" } } });
const PARTITIONS = Number(values.partitions);
const LAUNCH = Number(values.launch);

const daily = asset({ key: "daily", partitions: dailyPartitions({ start: "1990-01-01" }), run: () => 1 });
const defs = defineDefinitions({ assets: [daily] });
const keys = daily.partitions!.keys();
if (keys.length < PARTITIONS) throw new Error(`the daily asset has ${keys.length} partitions, fewer than ${PARTITIONS}`);
const range = { kind: "range" as const, first: keys[0]!, last: keys[PARTITIONS - 1]! };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function createFigures(storage: Storage): Promise<{ createMs: number; runsMs: number }> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const plan = await planBackfill(storage, { defs, target: { selection: "daily" }, partitionSet: range, launchedBy: "bench" });
    await storage.createBackfill(plan.backfill);
    times.push(performance.now() - start);
  }
  const sample = 500;
  const start = performance.now();
  for (let i = 0; i < sample; i++) await storage.createRun({ runId: `baseline-${i}`, jobName: "j", selection: ["daily"], partition: keys[i]! });
  return { createMs: median(times), runsMs: ((performance.now() - start) / sample) * PARTITIONS };
}

async function rateFigures(storage: Storage): Promise<{ launchPerS: number; claimPerS: number }> {
  const plan = await planBackfill(storage, { defs, target: { selection: "daily" }, partitionSet: { kind: "range", first: keys[0]!, last: keys[LAUNCH - 1]! }, launchedBy: "bench" });
  await storage.createBackfill(plan.backfill);
  // The daemon's settings: 100 a tick; the queue bound is lifted to measure launching alone.
  const daemon = new BackfillDaemon({ storage, defs, launchBatchSize: 100, maxQueuedRuns: LAUNCH });
  let launched = 0;
  let start = performance.now();
  while (launched < LAUNCH) {
    const n = await daemon.tick();
    if (n === 0) throw new Error(`the daemon stopped launching after ${launched} runs`);
    launched += n;
  }
  const launchPerS = launched / ((performance.now() - start) / 1000);
  let claimed = 0;
  start = performance.now();
  while (claimed < LAUNCH) {
    const runs = await storage.claimQueuedRuns("bench", 100, { maxConcurrentRuns: -1, tagLimits: [] });
    if (runs.length === 0) break;
    claimed += runs.length;
  }
  const claimPerS = claimed / ((performance.now() - start) / 1000);
  return { launchPerS, claimPerS };
}

async function backend(name: string, open: () => Promise<{ storage: Storage; dispose: () => Promise<void> }>): Promise<void> {
  let { storage, dispose } = await open();
  try {
    const { createMs, runsMs } = await createFigures(storage);
    await dispose();
    ({ storage, dispose } = await open());
    const { launchPerS, claimPerS } = await rateFigures(storage);
    console.log(
      `${name.padEnd(8)} create ${PARTITIONS} partitions: ${createMs.toFixed(0)} ms (10,000 runs one by one: ${runsMs.toFixed(0)} ms; ratio ${(createMs / runsMs).toFixed(3)})` +
        ` | launch ${launchPerS.toFixed(0)} runs/s, claim ${claimPerS.toFixed(0)} runs/s, launch/claim ${(launchPerS / claimPerS).toFixed(2)}`,
    );
  } finally {
    await dispose();
  }
}

await backend("sqlite", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-backfill-"));
  const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
  return { storage, dispose: async () => (await storage.close(), rmSync(dir, { recursive: true, force: true })) };
});
await backend("postgres", async () => {
  const schema = newTestSchemaName("benchbf");
  const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
  return { storage, dispose: async () => (await storage.close(), await dropTestSchemas([schema])) };
});
