/**
 * The cost of evaluating schedule and sensor functions in worker threads (ThreadEvaluationHost, as
 * the daemon does) against on the caller's event loop (InProcessEvaluationHost, as it did before),
 * in the same run, with the build's thread entry (dist/), as in production:
 *
 * - start-up: from a new host to the first evaluation's outcome (the thread starts and loads the
 *   code location), median of several;
 * - a trivial sensor's whole evaluation (evaluateSensorOnce: the call, its checks, the run built
 *   from its request), warm, per evaluation;
 * - memory: resident set growth per loaded, idle thread.
 *
 *   npm run bench:sensor-evaluation   (or: npm run build && node --import tsx bench/sensor-evaluation.ts [--evaluations 2000])
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import type { EvaluationHost } from "../src/daemon/evaluation-host.js";

const { values } = parseArgs({ options: { evaluations: { type: "string", default: "2000" }, starts: { type: "string", default: "5" } } });
const N = Number(values.evaluations);
const STARTS = Number(values.starts);
const root = path.resolve(import.meta.dirname, "..");
const generated = path.join(root, "bench", ".generated");
mkdirSync(generated, { recursive: true });

// Inside the repo, so that `import "sluice"` resolves to this package (its own exports), as a user's would.
const defsFile = path.join(generated, "trivial-sensor.ts");
writeFileSync(
  defsFile,
  `import { defineDefinitions, job, op, sensor } from "sluice";
const work = job({ name: "work", ops: [op({ name: "work", run: () => 1 })] });
export default defineDefinitions({ jobs: [work], sensors: [sensor({ name: "trivial", job: work, evaluate: () => [{ runKey: "k", tags: { a: "b" } }] })] });
`,
);

// The hosts bundled outside src/, so that the threads start from dist/ as they do in production
// (from a .ts module they would go through tsx).
const partsFile = path.join(generated, "evaluation-parts.mjs");
await build({
  stdin: {
    contents: [
      `export { ThreadEvaluationHost } from "./src/daemon/thread-evaluation-host.ts";`,
      `export { InProcessEvaluationHost } from "./src/daemon/evaluation-host.ts";`,
      `export { evaluateSensorOnce } from "./src/daemon/sensor-daemon.ts";`,
      `export { loadDefinitions } from "./src/instance/load-definitions.ts";`,
      `export { openSqliteStorage } from "./src/storage/sqlite/sqlite-storage.ts";`,
    ].join("\n"),
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "node",
  packages: "external",
  outfile: partsFile,
  logLevel: "warning",
});
const parts = (await import(pathToFileURL(partsFile).href)) as {
  ThreadEvaluationHost: typeof import("../src/daemon/thread-evaluation-host.js").ThreadEvaluationHost;
  InProcessEvaluationHost: typeof import("../src/daemon/evaluation-host.js").InProcessEvaluationHost;
  evaluateSensorOnce: typeof import("../src/daemon/sensor-daemon.js").evaluateSensorOnce;
  loadDefinitions: typeof import("../src/instance/load-definitions.js").loadDefinitions;
  openSqliteStorage: typeof import("../src/storage/sqlite/sqlite-storage.js").openSqliteStorage;
};

const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-eval-"));
const storage = await parts.openSqliteStorage(path.join(dir, "sluice.db"));
const { defs } = await parts.loadDefinitions({ file: defsFile });
const sensor = defs.sensors.get("trivial")!;
const log = (): void => undefined;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const startups: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const host = new parts.ThreadEvaluationHost({ location: { file: defsFile }, timeoutMs: 60_000, maxThreads: 1, log });
    const t0 = performance.now();
    await host.evaluateSensor({ name: "trivial", cursor: null, lastTickAt: null, events: [] });
    startups.push(performance.now() - t0);
    await host.close();
  }
  console.log(`thread start-up (new thread, load the code location, first evaluation): median ${median(startups).toFixed(0)} ms of ${startups.map((ms) => ms.toFixed(0)).join(", ")}`);

  const perEvaluation = async (host: EvaluationHost): Promise<number> => {
    for (let i = 0; i < 200; i++) await parts.evaluateSensorOnce(storage, defs, sensor, null, { host });
    const rounds: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await parts.evaluateSensorOnce(storage, defs, sensor, null, { host });
      rounds.push(((performance.now() - t0) / N) * 1000);
    }
    return median(rounds);
  };
  const inProcess = await perEvaluation(new parts.InProcessEvaluationHost(defs, { timeoutMs: 60_000, log }));
  const threadHost = new parts.ThreadEvaluationHost({ location: { file: defsFile }, timeoutMs: 60_000, maxThreads: 1, log });
  const inThread = await perEvaluation(threadHost);
  await threadHost.close();
  console.log(`a trivial sensor's evaluation, warm (median of 3 × ${N}): in process ${inProcess.toFixed(1)} µs, in a thread ${inThread.toFixed(1)} µs (${(inThread / inProcess).toFixed(2)}×)`);

  global.gc?.();
  const before = process.memoryUsage().rss;
  const four = new parts.ThreadEvaluationHost({ location: { file: defsFile }, timeoutMs: 60_000, maxThreads: 4, log });
  await Promise.all(Array.from({ length: 4 }, () => four.evaluateSensor({ name: "trivial", cursor: null, lastTickAt: null, events: [] })));
  const threads = four.threadCount;
  const grown = process.memoryUsage().rss - before;
  await four.close();
  console.log(`memory: ${threads} loaded threads grew the resident set by ${(grown / 2 ** 20).toFixed(0)} MB (${(grown / threads / 2 ** 20).toFixed(0)} MB each)`);
} finally {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
