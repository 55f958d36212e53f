/**
 * The fault test for `sluice worker`: 3 workers and 300 queued runs on one Postgres
 * instance → every run executed exactly once, counted from the event log (one STEP_START per step of
 * each run) and from what the ops themselves recorded.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStatus, type EventRecord } from "../../src/storage/records.js";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { Sandbox, waitFor } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const RUNS = 300;
const WORKERS = 3;
const STEPS = ["extract", "transform", "load"];

describe("3 sluice workers on one Postgres instance", () => {
  it(`execute each of ${RUNS} queued runs exactly once`, { timeout: 420_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend: "postgres", settings: "run_queue:\n  max_concurrent_runs: 12\n" });
    onTestFinished(() => box.dispose());
    const storage = await box.storage();
    // Queued as `sluice job launch -j etl` queues them, without 300 CLI processes.
    const runIds = Array.from({ length: RUNS }, () => randomUUID());
    for (const runId of runIds) await storage.createRun({ runId, jobName: "etl", selection: STEPS, status: RunStatus.Queued });

    const started = Date.now();
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => box.startWorker(["--max-runs", "4"])));
    await waitFor(
      `all ${RUNS} runs to finish`,
      async () => (await storage.listRuns({ statuses: ["QUEUED", "STARTING", "STARTED"] })).length === 0,
      400_000,
      1000,
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`[measure] ${RUNS} runs by ${WORKERS} workers (4 runs each at once): ${seconds.toFixed(1)} s, ${((RUNS / seconds) * 60).toFixed(0)} runs/min`);
    await Promise.all(workers.map((w) => box.stopDaemon(w)));
    for (const w of workers) expect(w.child.exitCode, w.log()).toBe(0);

    const runs = await storage.listRuns({ runIds });
    expect(runs.length).toBe(RUNS);
    expect(runs.filter((r) => r.status !== "SUCCESS").map((r) => `${r.runId} ${r.status}`)).toEqual([]);
    // Every worker took a share, and every run names the one worker that claimed it.
    const byWorker = new Map<string, number>();
    for (const run of runs) byWorker.set(run.workerId!, (byWorker.get(run.workerId!) ?? 0) + 1);
    expect(byWorker.size, JSON.stringify([...byWorker])).toBe(WORKERS);

    // One STEP_START per (run, step), read from the event log across runs.
    const starts: EventRecord[] = [];
    for (let afterId = 0; ; ) {
      const page = await storage.getEventsAcrossRuns({ afterId, types: ["STEP_START"], limit: 1000 });
      if (page.length === 0) break;
      starts.push(...page);
      afterId = page.at(-1)!.id;
    }
    const perStep = new Map<string, number>();
    for (const e of starts) perStep.set(`${e.runId}/${e.stepKey}`, (perStep.get(`${e.runId}/${e.stepKey}`) ?? 0) + 1);
    expect(perStep.size).toBe(RUNS * STEPS.length);
    expect([...perStep].filter(([, n]) => n !== 1)).toEqual([]);
    // And from the ops' own record: each op once per run.
    const calls = box.calls();
    expect(calls.length).toBe(RUNS * STEPS.length);
    expect(new Set(calls.map((c) => `${c.runId}/${c.op}`)).size).toBe(RUNS * STEPS.length);
  });
});
