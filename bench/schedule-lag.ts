/**
 * Tick lag of the scheduler: N schedules on `* * * * *` in one daemon. Waits for the next minute
 * boundary (plus one, to be warm), then reports, for every tick of that minute, how long after the
 * scheduled time its run was created (queued for launch): p50, p99 and max.
 * The runs' job is a no-op, and the run queue is capped (max_concurrent_runs), so what is measured
 * is the scheduler, not how fast 1,000 processes can start on 2 cores.
 *
 *   npm run build && node --import tsx bench/schedule-lag.ts [--schedules 1000]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";

const { values } = parseArgs({ options: { schedules: { type: "string", default: "1000" } } });
const N = Number(values.schedules);
const root = path.resolve(import.meta.dirname, "..");
const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-sched-"));
const home = path.join(dir, "home");
// Inside the repo, so that `import "sluice"` resolves to this package (its own exports).
const defsFile = path.join(root, "bench", ".generated", `schedules-${N}.ts`);
mkdirSync(path.dirname(defsFile), { recursive: true });
writeFileSync(
  defsFile,
  `import { defineDefinitions, job, op, schedule } from "sluice";
const noop = job({ name: "noop", ops: [op({ name: "nothing", run: () => 1 })] });
const schedules = Array.from({ length: ${N} }, (_, i) => schedule({ name: "s" + i, cron: "* * * * *", job: noop, defaultStatus: "RUNNING" }));
export default defineDefinitions({ jobs: [noop], schedules });
`,
);
mkdirSync(home, { recursive: true });
writeFileSync(path.join(home, "sluice.yaml"), "run_queue:\n  max_concurrent_runs: 2\n");

// The defs file imports "sluice": run it from the repo so the package resolves itself.
const daemon = spawn(process.execPath, [path.join(root, "bin/sluice.js"), "daemon", "-f", defsFile, "--home", home], {
  cwd: root,
  stdio: ["ignore", "ignore", "pipe"],
});
let stderr = "";
daemon.stderr.on("data", (d) => (stderr += String(d)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const now = Date.now();
  // The first full minute after the daemon is surely up: skip the next boundary if it is too close.
  let target = Math.ceil(now / 60_000) * 60_000;
  if (target - now < 15_000) target += 60_000;
  console.log(`${N} schedules; measuring the ticks of ${new Date(target).toISOString()} (waiting ${Math.round((target - now) / 1000)} s)`);
  await sleep(target - Date.now() + 8_000);
  const storage = await openSqliteStorage(path.join(home, "sluice.db"));
  const lags: number[] = [];
  for (let i = 0; i < N; i++) {
    const [tick] = await storage.listTicks(`s${i}`, { limit: 5 }).then((ts) => ts.filter((t) => t.tickTime === target));
    if (!tick || tick.runIds.length === 0) continue;
    const run = await storage.getRun(tick.runIds[0]!);
    if (run) lags.push(run.createdAt - target);
  }
  await storage.close();
  lags.sort((a, b) => a - b);
  const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? NaN;
  console.log(`ticks with a run: ${lags.length} of ${N}`);
  console.log(`lag from scheduled time to run created: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${lags.at(-1)} ms`);
  console.log(`within 1 s: ${lags.filter((l) => l <= 1000).length} of ${N}`);
} finally {
  daemon.kill("SIGTERM");
  await sleep(500);
  rmSync(dir, { recursive: true, force: true });
  if (stderr.includes("Error")) console.error(stderr.split("\n").filter((l) => l.includes("Error")).slice(0, 5).join("\n"));
}
