/**
 * Postgres restarted (pg_ctl restart, fast: every connection is cut, transactions in flight roll
 * back, commits in flight may or may not land) in the middle of runs, ten times, twenty runs each:
 * every run must end SUCCESS, with each of its events stored once. On a private cluster, since the
 * shared server must never be restarted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asset, defineDefinitions } from "../src/index.js";
import { materializeAssets } from "../src/runs/materialize-assets.js";
import { openPostgresStorage } from "../src/storage/postgres/postgres-storage.js";
import { PrivatePostgres } from "../src/storage/testing/private-postgres.js";
import type { Storage } from "../src/storage/storage.js";

const ROUNDS = 10;
const RUNS = 20;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A chain of four steps that each take a moment, so that a restart lands in the middle of runs.
const a = asset({ key: "a", run: async () => (await wait(40), 1) });
const b = asset({ key: "b", ins: { a }, run: async ({ a: x }, { log }) => (log.info("b runs"), await wait(40), x + 1) });
const c = asset({ key: "c", ins: { b }, run: async ({ b: x }) => (await wait(40), x + 1) });
const d = asset({ key: "d", ins: { c }, run: async ({ c: x }) => (await wait(40), x + 1) });
const defs = defineDefinitions({ assets: [a, b, c, d] });

let cluster: PrivatePostgres;
let storage: Storage;
let valuesDir: string;

beforeAll(async () => {
  cluster = await PrivatePostgres.create();
  storage = await openPostgresStorage(cluster.url(), { schema: "restarts" });
  valuesDir = mkdtempSync(path.join(os.tmpdir(), "sluice-restarts-"));
}, 60_000);

afterAll(async () => {
  await storage?.close();
  await cluster?.remove();
  if (valuesDir) rmSync(valuesDir, { recursive: true, force: true });
});

describe("Postgres restarted in the middle of runs", () => {
  it(`${ROUNDS} restarts, ${RUNS} runs in flight each: every run SUCCESS, every event once`, { timeout: 300_000 }, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const before = (await storage.countRecords()).events;
      const runs = Array.from({ length: RUNS }, () => materializeAssets({ storage, valuesDir }, defs));
      // Restart once a third of the round's 300 events are stored, while the runs are in full swing.
      const started = Date.now();
      while ((await storage.countRecords()).events < before + 100 && Date.now() - started < 20_000) await wait(10);
      await cluster.restart("fast");
      const results = await Promise.all(runs);
      expect(results.map((r) => r.status), `round ${round}`).toEqual(Array(RUNS).fill("SUCCESS"));
      for (const result of results) {
        const types = (await storage.getEvents(result.runId)).map((e) => `${e.type}:${e.stepKey ?? ""}`);
        // RUN_START, then per step START, (LOG for b), MATERIALIZATION, SUCCESS, then RUN_SUCCESS.
        expect(types.length, `round ${round}, run ${result.runId}: ${types.join(" ")}`).toBe(15);
        expect(new Set(types).size, "no event stored twice").toBe(15);
      }
    }
  });
});
