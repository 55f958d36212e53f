/**
 * Wall time of one run of four independent CPU-bound steps (each a synchronous loop of 1 s) with
 * the multiprocess executor, beside the baseline measured in the same run: the same run with the
 * in-process executor (`--tags '{"sluice/executor":"in_process"}'`), whose steps share one event
 * loop and so one core. Each run goes through `sluice materialize -f` from dist/, as a user runs
 * it; the figure is the run's own span, RUN_START to RUN_SUCCESS as stored (the start of the CLI is
 * the same for both and left out). Rounds alternate the two, and medians are printed. Target on a
 * 2-core machine: at most 2.4 s (the CPU work alone is 2 s per core there).
 *
 *   npm run build && node --import tsx bench/multiprocess.ts [--rounds 3] [--step-ms 1000]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { EventType } from "../src/storage/records.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, "step-ms": { type: "string", default: "1000" } } });
const ROUNDS = Number(values.rounds);
const STEP_MS = Number(values["step-ms"]);
const STEPS = 4;
const TARGET_S = 2.4;
const root = path.resolve(import.meta.dirname, "..");
const defsFile = path.join(root, "bench", ".generated", "multiprocess.ts");
mkdirSync(path.dirname(defsFile), { recursive: true });
writeFileSync(
  defsFile,
  `import { asset, defineDefinitions } from "sluice";
/** Keeps the CPU busy for ms without yielding: the kind of step that blocks an event loop. */
function spin(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}
const cpu = (key: string) => asset({ key, group: "cpu", run: () => (spin(${STEP_MS}), key) });
export default defineDefinitions({
  assets: [${Array.from({ length: STEPS }, (_, i) => `cpu("step_${i + 1}")`).join(", ")}],
  executor: { kind: "multiprocess" },
});
`,
);

const home = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-mp-"));

/** Runs the four steps through the CLI with the executor given; returns the run's span in seconds. */
async function runOnce(executor: "in_process" | "multiprocess"): Promise<number> {
  const out = execFileSync(
    process.execPath,
    [path.join(root, "bin", "sluice.js"), "materialize", "-f", defsFile, "--home", home, "--tags", JSON.stringify({ "sluice/executor": executor })],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const runId = out.trim().split("\n").at(-1)!;
  const storage = await openSqliteStorage(path.join(home, "sluice.db"));
  try {
    const events = await storage.getEvents(runId, { types: [EventType.RunStart, EventType.RunSuccess] });
    const start = events.find((e) => e.type === EventType.RunStart);
    const end = events.find((e) => e.type === EventType.RunSuccess);
    if (!start || !end) throw new Error(`Run ${runId} (${executor}) did not succeed:\n${out}`);
    return (end.timestamp - start.timestamp) / 1000;
  } finally {
    await storage.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `${STEPS} independent CPU-bound steps of ${STEP_MS} ms in one run, via sluice materialize (node ${process.version}, ` +
    `${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)} at start)`,
);
const inProcess: number[] = [];
const multiprocess: number[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternated, so that a change of the machine's load falls on both.
    const order = round % 2 === 1 ? (["in_process", "multiprocess"] as const) : (["multiprocess", "in_process"] as const);
    for (const executor of order) (executor === "in_process" ? inProcess : multiprocess).push(await runOnce(executor));
    console.log(`  round ${round}: in_process ${inProcess.at(-1)!.toFixed(2)} s, multiprocess ${multiprocess.at(-1)!.toFixed(2)} s`);
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
const base = median(inProcess);
const multi = median(multiprocess);
console.log(`  median run wall: in_process ${base.toFixed(2)} s (baseline), multiprocess ${multi.toFixed(2)} s`);
console.log(`  ratio multiprocess / in_process: ${(multi / base).toFixed(2)} (${(base / multi).toFixed(2)}x faster)`);
console.log(`  target: multiprocess <= ${TARGET_S} s on 2 cores: ${multi <= TARGET_S ? "met" : "NOT met"}`);
