/**
 * Staleness at scale: 10,000 unpartitioned assets in a chain with fans (asset i reads asset i-1 and
 * asset ⌊i/10⌋), all materialized with versions, one of them (asset 5000) recorded against an older
 * upstream version so that it and everything downstream of it is stale. Figures, on SQLite, medians
 * of 9 taken in turn:
 *
 * - baseline: reading the asset index alone (`getAssetIndex()`), which any staleness answer needs;
 * - `assetStaleness(defs, storage)`: the index read plus the whole evaluation (one topological pass);
 * - `computeStaleness(...)` alone, on rows already read.
 *
 * The ratio evaluation / baseline says what staleness adds to a read of the index.
 *
 *   npm run bench:staleness [-- --assets 10000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { asset, type AssetDefinition } from "../src/definitions/asset.js";
import { defineDefinitions } from "../src/definitions/definitions.js";
import { dataVersionOf } from "../src/execution/data-version.js";
import { assetStaleness, computeStaleness, latestDataVersions, StalenessStatus } from "../src/runs/staleness.js";
import type { NewEvent } from "../src/storage/records.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";

const { values } = parseArgs({ options: { assets: { type: "string", default: "10000" } } });
const COUNT = Number(values.assets);
const STALE_AT = Math.floor(COUNT / 2);

const key = (i: number): string => `asset_${String(i).padStart(5, "0")}`;
const upstreamsOf = (i: number): number[] => (i === 0 ? [] : [...new Set([i - 1, Math.floor(i / 10)])]);

const assets: AssetDefinition[] = [];
for (let i = 0; i < COUNT; i++) {
  assets.push(asset({ key: key(i), codeVersion: "v1", deps: upstreamsOf(i).map(key), run: () => i }));
}
const defs = defineDefinitions({ assets });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROUNDS = 9;

/**
 * Medians of `ROUNDS` timings of each of `fns`, taken in turn round after round, so that a machine
 * busy with something else for a while weighs on all figures alike.
 */
async function timedTogether(fns: (() => Promise<unknown> | unknown)[]): Promise<number[]> {
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

const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-staleness-"));
const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
try {
  await storage.createRun({ runId: "bench", jobName: "__asset_job", selection: [], partition: null });
  // Versions as runs derive them, upstream first.
  const versions: string[] = [];
  const events: NewEvent[] = [];
  for (let i = 0; i < COUNT; i++) {
    const inputs = Object.fromEntries(upstreamsOf(i).map((u) => [key(u), i === STALE_AT && u === i - 1 ? "older" : versions[u]!]));
    versions.push(dataVersionOf(undefined, "v1", inputs));
    events.push({ runId: "bench", type: "ASSET_MATERIALIZATION", assetKey: key(i), stepKey: key(i), data: { metadata: {}, dataVersion: versions[i]!, codeVersion: "v1", inputDataVersions: inputs } });
  }
  for (let i = 0; i < events.length; i += 500) await storage.storeEvents(events.slice(i, i + 500));

  const result = await assetStaleness(defs, storage);
  const stale = [...result.values()].filter((s) => s.status === StalenessStatus.Stale).length;
  if (result.get(key(STALE_AT))?.status !== StalenessStatus.Stale || result.get(key(STALE_AT - 1))?.status !== StalenessStatus.UpToDate) {
    throw new Error("the bench's graph does not have the staleness it was built with");
  }

  const rows = await storage.getAssetIndex();
  const latest = await latestDataVersions(storage, undefined, rows);
  for (let i = 0; i < 3; i++) computeStaleness(defs, rows, latest); // warm-up
  const [indexMs = 0, evaluationMs = 0, computeMs = 0] = await timedTogether([
    () => storage.getAssetIndex(),
    () => assetStaleness(defs, storage),
    () => computeStaleness(defs, rows, latest),
  ]);
  const edges = assets.reduce((n, a) => n + a.deps.length, 0);
  console.log(`${COUNT.toLocaleString("en-US")} assets, ${edges.toLocaleString("en-US")} edges, ${stale.toLocaleString("en-US")} stale (SQLite, medians of ${ROUNDS}, taken in turn)`);
  console.log(`  baseline: read the asset index         ${indexMs.toFixed(1)} ms`);
  console.log(`  assetStaleness (read + evaluate)       ${evaluationMs.toFixed(1)} ms  (${(evaluationMs / indexMs).toFixed(2)}× the baseline)`);
  console.log(`  computeStaleness alone                 ${computeMs.toFixed(1)} ms`);
} finally {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
