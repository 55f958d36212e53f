/**
 * Whether storing events keeps its rate as the event log grows: 100,000 events stored as a run's
 * steps store them (a step boundary at a time: STEP_OUTPUT, ASSET_MATERIALIZATION with its value,
 * STEP_SUCCESS and the next STEP_START, one transaction each), in SQLite on disk and in Postgres,
 * timed per tenth after an untimed warm-up of 2,000. The figure is the rate of the last tenth beside
 * the first, as a ratio (1.0 is flat), with the rates themselves; the first tenth is the baseline
 * of the same run.
 *
 *   node --import tsx bench/event-rate.ts [--events 100000] [--no-postgres]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openPostgresStorage } from "../src/storage/postgres/postgres-storage.js";
import { EventType, RunStatus, type NewEvent } from "../src/storage/records.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";
import type { Storage } from "../src/storage/storage.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../src/storage/testing/postgres-test-schemas.js";

const { values } = parseArgs({ options: { events: { type: "string", default: "100000" }, "no-postgres": { type: "boolean", default: false } } });
const EVENTS = Number(values.events);
const PER_BOUNDARY = 4;
const TENTHS = 10;

/** The events of step boundary `i` of run `runId`: asset `a<i % 1000>` ends and the next starts. */
function boundary(runId: string, i: number): NewEvent[] {
  const key = `a${i % 1000}`;
  const next = `a${(i + 1) % 1000}`;
  return [
    { runId, type: EventType.StepOutput, stepKey: key, assetKey: key, message: `Output of ${key}` },
    {
      runId,
      type: EventType.AssetMaterialization,
      stepKey: key,
      assetKey: key,
      message: `Materialized ${key}`,
      data: { metadata: { rows: { type: "int", value: i } }, dataVersion: `v${i}` },
      value: { owner: "asset", name: key, partition: null, json: Buffer.from(JSON.stringify({ i })) },
    },
    { runId, type: EventType.StepSuccess, stepKey: key, assetKey: key, message: `${key} succeeded` },
    { runId, type: EventType.StepStart, stepKey: next, assetKey: next, message: `Started ${next}` },
  ];
}

/** Events per second of each tenth of the events, stored over runs of 1,000 steps. */
async function rates(storage: Storage): Promise<number[]> {
  const boundaries = Math.ceil(EVENTS / PER_BOUNDARY);
  const perTenth = Math.ceil(boundaries / TENTHS);
  const result: number[] = [];
  // Warm-up (JIT, the first pages of each table and index), not timed; its events count in the log.
  await storage.createRun({ runId: "warm-up", jobName: "__asset_job", selection: [], status: RunStatus.Queued });
  for (let i = 0; i < 500; i++) await storage.storeEvents(boundary("warm-up", i));
  let runId = "";
  for (let t = 0; t < TENTHS; t++) {
    const start = performance.now();
    for (let i = t * perTenth; i < Math.min(boundaries, (t + 1) * perTenth); i++) {
      if (i % 1000 === 0) {
        runId = `run-${i / 1000}`;
        await storage.createRun({ runId, jobName: "__asset_job", selection: [], status: RunStatus.Queued });
      }
      await storage.storeEvents(boundary(runId, i));
    }
    result.push((perTenth * PER_BOUNDARY) / ((performance.now() - start) / 1000));
  }
  return result;
}

async function report(name: string, open: () => Promise<{ storage: Storage; dispose: () => Promise<void> }>): Promise<void> {
  const { storage, dispose } = await open();
  try {
    const r = await rates(storage);
    const fmt = (x: number) => `${Math.round(x).toLocaleString("en-US")}/s`;
    console.log(`  ${name.padEnd(22)} ${fmt(r[0]!).padStart(10)}   ${fmt(r[r.length - 1]!).padStart(10)}   ${(r[r.length - 1]! / r[0]!).toFixed(2).padStart(5)}   ${r.map((x) => Math.round(x / 100) / 10).join(" ")}`);
  } finally {
    await dispose();
  }
}

console.log(`${EVENTS.toLocaleString("en-US")} events as step boundaries (${PER_BOUNDARY} events, one transaction each), rate per tenth (node ${process.version}, ${os.cpus().length} cores)`);
console.log("  storage                first tenth   last tenth   ratio   every tenth (thousand events/s)");
await report("SQLite on disk", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-rate-"));
  const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
  return {
    storage,
    dispose: async () => {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
if (!values["no-postgres"]) {
  await report("Postgres (local)", async () => {
    const schema = newTestSchemaName("benchrate");
    const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
    return {
      storage,
      dispose: async () => {
        await storage.close();
        await dropTestSchemas([schema]);
      },
    };
  });
}
