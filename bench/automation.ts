/**
 * Declarative automation at scale: assets in a chain of layers (100 assets wide; each asset reads
 * two of the layer before it), every one with `AutomationCondition.eager()`, all materialized, on
 * SQLite on disk. For each size, medians of 7 taken in turn:
 *
 * - baseline: reading the asset index alone (`getAssetIndex()`), which any evaluation needs;
 * - facts: every fact an evaluation reads (index, latest attempts, runs in flight, checks...);
 * - `evaluateAutomation(...)`: facts plus the evaluation of every asset's condition, in steady state
 *   (starting from the previous evaluation's cursor and states; nothing requested).
 *
 * The per-asset column shows whether the cost grows linearly with assets + edges.
 *
 *   npm run bench:automation [-- --sizes 2500,5000,10000,20000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { asset, type AssetDefinition } from "../src/definitions/asset.js";
import { AutomationCondition } from "../src/definitions/automation/automation-condition.js";
import { defineDefinitions } from "../src/definitions/definitions.js";
import { loadAutomationFacts } from "../src/runs/automation/automation-facts.js";
import { evaluateAutomation } from "../src/runs/automation/evaluate-automation.js";
import type { AssetAutomationState } from "../src/storage/automation-records.js";
import type { NewEvent } from "../src/storage/records.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "2500,5000,10000,20000" } } });
const SIZES = values.sizes.split(",").map(Number);
const WIDTH = 100;
const ROUNDS = 7;

const key = (i: number): string => `asset_${String(i).padStart(5, "0")}`;
/** The two assets of the layer before that asset i reads (none in the first layer). */
const upstreamsOf = (i: number): number[] => {
  if (i < WIDTH) return [];
  const base = i - WIDTH - (i % WIDTH);
  return [base + (i % WIDTH), base + ((i + 1) % WIDTH)];
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Medians of ROUNDS timings of each of `fns`, taken in turn, so that a busy machine weighs on all alike. */
async function timedTogether(fns: (() => Promise<unknown>)[]): Promise<number[]> {
  const times: number[][] = fns.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, fn] of fns.entries()) {
      const start = performance.now();
      await fn();
      times[i]!.push(performance.now() - start);
    }
  }
  return times.map(median);
}

console.log(`Assets in layers ${WIDTH} wide, each reading 2 of the layer before, all eager() and materialized (SQLite on disk, medians of ${ROUNDS}, taken in turn)`);
console.log(`${"assets".padStart(8)} ${"edges".padStart(8)} ${"index (ms)".padStart(11)} ${"facts (ms)".padStart(11)} ${"evaluation (ms)".padStart(16)} ${"µs / asset".padStart(11)} ${"× index".padStart(8)}`);
for (const count of SIZES) {
  const assets: AssetDefinition[] = [];
  for (let i = 0; i < count; i++) assets.push(asset({ key: key(i), deps: upstreamsOf(i).map(key), automation: AutomationCondition.eager(), run: () => i }));
  const defs = defineDefinitions({ assets });
  const edges = assets.reduce((n, a) => n + a.deps.length, 0);

  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-automation-"));
  const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
  try {
    await storage.createRun({ runId: "bench", jobName: "__asset_job", selection: [], partition: null });
    const events: NewEvent[] = [];
    for (let i = 0; i < count; i++) events.push({ runId: "bench", type: "ASSET_MATERIALIZATION", assetKey: key(i), stepKey: key(i), data: { metadata: {} } });
    for (let i = 0; i < events.length; i += 500) await storage.storeEvents(events.slice(i, i + 500));
    await storage.storeEvent({ runId: "bench", type: "RUN_SUCCESS" });

    // Two evaluations to reach the steady state: the first has no cursor, the second settles states.
    let previous = { cursor: undefined as Awaited<ReturnType<typeof evaluateAutomation>>["cursor"] | undefined, states: new Map<string, AssetAutomationState>() };
    for (let i = 0; i < 2; i++) {
      const evaluation = await evaluateAutomation(defs, storage, { ...previous, now: Date.now() });
      for (const state of evaluation.assetStates) previous.states.set(state.assetKey, state);
      previous = { cursor: evaluation.cursor, states: previous.states };
    }
    const check = await evaluateAutomation(defs, storage, { ...previous, now: Date.now() });
    if (check.requests.length !== 0 || check.allEvaluations.length !== count) throw new Error("the bench's graph should be evaluated whole, requesting nothing");

    const [indexMs = 0, factsMs = 0, evaluationMs = 0] = await timedTogether([
      () => storage.getAssetIndex(),
      () => loadAutomationFacts(defs, storage, new Date()),
      () => evaluateAutomation(defs, storage, { ...previous, now: Date.now() }),
    ]);
    console.log(
      `${count.toLocaleString("en-US").padStart(8)} ${edges.toLocaleString("en-US").padStart(8)} ${indexMs.toFixed(1).padStart(11)} ${factsMs.toFixed(1).padStart(11)} ` +
        `${evaluationMs.toFixed(1).padStart(16)} ${((evaluationMs * 1000) / count).toFixed(1).padStart(11)} ${(evaluationMs / indexMs).toFixed(2).padStart(8)}`,
    );
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
