import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { RunStatus } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { parseWorkerId } from "../runs/run-process.js";

/**
 * Puts back in the queue the runs that a daemon or `sluice worker` of this machine claimed and then
 * died before it started their worker process (killed between the claim's commit and the spawn):
 * a run still STARTING, that never heartbeat, whose claimer's process is gone, and for which no
 * `sluice __run-worker RUN_ID` process exists here. Nothing ever ran for such a run, so queueing it
 * again cannot run anything twice; without this, monitoring would fail it after the heartbeat
 * timeout. Claims by other machines are left to monitoring. The move back to QUEUED is a
 * compare-and-set on STARTING. Returns the ids of the runs queued again.
 */
export async function requeueOrphanedClaims(storage: Storage, log?: (line: string) => void): Promise<string[]> {
  if (process.platform !== "linux") return []; // The process check below reads /proc.
  const here = hostname();
  const starting = await storage.listRuns({ statuses: [RunStatus.Starting], limit: 1000 });
  const candidates = starting.filter((run) => {
    if (run.heartbeatAt !== null || run.workerId === null) return false;
    // Claimed by a daemon's coordinator or by `sluice worker` of this machine, now gone.
    const claimer = parseWorkerId(run.workerId);
    return claimer !== null && claimer.role !== "cli" && claimer.host === here && !isAlive(claimer.pid);
  });
  if (candidates.length === 0) return [];
  const withWorker = runIdsWithWorkerProcess();
  const requeued: string[] = [];
  for (const run of candidates) {
    if (withWorker.has(run.runId)) continue;
    if (await storage.setRunStatus(run.runId, RunStatus.Queued, { onlyFrom: [RunStatus.Starting] })) {
      requeued.push(run.runId);
      log?.(`queued run ${run.runId} again: ${run.workerId} claimed it and died before starting its worker`);
    }
  }
  return requeued;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Run ids of the `__run-worker RUN_ID` processes running on this machine. */
function runIdsWithWorkerProcess(): Set<string> {
  const ids = new Set<string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const at = args.indexOf("__run-worker");
    if (at >= 0 && args[at + 1]) ids.add(args[at + 1]!);
  }
  return ids;
}
