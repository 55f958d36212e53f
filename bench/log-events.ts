/**
 * LOG events per second: one asset writes N log lines through `context.log`, every line stored
 * durably in the run's SQLite database (on disk, in a temp directory), in two shapes:
 *   - sync:  the lines come from a synchronous loop;
 *   - await: the asset awaits between lines (a turn of the event loop, as I/O would), so every
 *            line is written on its own tick.
 * Beside each, the baseline in the same run: the same loop in a plain script (lines pushed to an
 * array instead), so the figure is the cost of recording, as a ratio.
 *
 *   node --import tsx bench/log-events.ts [--lines 20000] [--reps 5]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { asset, defineDefinitions } from "../src/index.js";
import { materializeAssets } from "../src/runs/materialize-assets.js";
import { EventType } from "../src/storage/records.js";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.js";

const { values } = parseArgs({ options: { lines: { type: "string", default: "20000" }, reps: { type: "string", default: "5" } } });
const LINES = Number(values.lines);
const REPS = Number(values.reps);

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

type Shape = "sync" | "await";

async function plain(shape: Shape): Promise<number> {
  const lines: string[] = [];
  const start = performance.now();
  for (let i = 0; i < LINES; i++) {
    if (shape === "await") await tick();
    lines.push(`line ${i}`);
  }
  return performance.now() - start;
}

async function sluice(shape: Shape): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-logs-"));
  const storage = await openSqliteStorage(path.join(dir, "sluice.db"));
  try {
    let ran = 0;
    const logger = asset({
      key: "logger",
      run: async (_inputs, context) => {
        const start = performance.now();
        for (let i = 0; i < LINES; i++) {
          if (shape === "await") await tick();
          context.log.info(`line ${i}`);
        }
        ran = performance.now() - start;
        return null;
      },
    });
    const start = performance.now();
    const result = await materializeAssets({ storage, valuesDir: path.join(dir, "storage") }, defineDefinitions({ assets: [logger] }));
    const total = performance.now() - start;
    if (!result.success) throw new Error("the bench run failed");
    const logs = (await storage.getEvents(result.runId, { types: [EventType.Log] })).length;
    if (logs !== LINES) throw new Error(`expected ${LINES} LOG events, found ${logs}`);
    void ran;
    return total;
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`LOG events: ${LINES} lines from one asset, SQLite on disk, median of ${REPS} runs (node ${process.version}, ${os.cpus().length} cores)`);
console.log("  shape   plain loop    sluice run     LOG events/s   ratio");
for (const shape of ["sync", "await"] as const) {
  const plainMs: number[] = [];
  const sluiceMs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    plainMs.push(await plain(shape));
    sluiceMs.push(await sluice(shape));
  }
  const p = median(plainMs);
  const s = median(sluiceMs);
  console.log(
    `  ${shape.padEnd(6)} ${`${p.toFixed(1)} ms`.padStart(11)} ${`${s.toFixed(1)} ms`.padStart(13)} ${Math.round(LINES / (s / 1000)).toLocaleString("en-US").padStart(15)} ${`${(s / p).toFixed(1)}x`.padStart(7)}`,
  );
}
