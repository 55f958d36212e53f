/**
 * Overhead of `sluice job execute` on an 8-op job, process start included, beside the ops' own
 * time and beside the same work as a plain TypeScript script run with tsx (same run, same machine).
 *
 *   npm run build && node --import tsx bench/job-execute.ts [--reps 5]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { reps: { type: "string", default: "5" } } });
const REPS = Number(values.reps);
const OP_MS = 50;
const root = path.resolve(import.meta.dirname, "..");
const env = { ...process.env, OP_MS: String(OP_MS), CI: "1" };

function time(args: string[], cwd: string): number {
  const start = performance.now();
  execFileSync(process.execPath, args, { cwd, env, stdio: "pipe" });
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const plain: number[] = [];
const sluice: number[] = [];
const home = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-job-"));
try {
  const job = [path.join(root, "bin/sluice.js"), "job", "execute", "-j", "eight_ops", "-f", path.join(root, "bench/fixtures/eight-ops.ts"), "--home", home];
  const script = ["--import", "tsx", path.join(root, "bench/fixtures/eight-ops-plain.ts")];
  time(job, root); // warm the disk cache and the instance (first run migrates it)
  for (let i = 0; i < REPS; i++) {
    plain.push(time(script, root));
    sluice.push(time(job, root));
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
const opsMs = 8 * OP_MS;
const p = median(plain);
const s = median(sluice);
console.log(`8-op job (${OP_MS} ms each, ${opsMs} ms of op time), median of ${REPS} (node ${process.version}, ${os.cpus().length} cores)`);
console.log(`  plain script (node + tsx):     ${p.toFixed(0)} ms   overhead beside op time: ${(p - opsMs).toFixed(0)} ms`);
console.log(`  sluice job execute:            ${s.toFixed(0)} ms   overhead beside op time: ${(s - opsMs).toFixed(0)} ms`);
console.log(`  sluice minus plain script:     ${(s - p).toFixed(0)} ms   ratio ${(s / p).toFixed(2)}x`);
