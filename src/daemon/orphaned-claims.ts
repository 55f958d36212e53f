import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { RunStatus } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { parseWorkerId } from "../runs/run-process.js";

/**
 * Puts back in the queue the runs that a daemon or `sluice worker` of this machine claimed and then
 * died before it started their worker process (killed between the claim's commit and the spawn):
 * a run still STARTING, that never heartbeat, whose claimer's process is gone, and for which no
 * `sluice __run-worker RUN_ID` process exists here, nor a standby worker of that claimer (which may
 * have been given the run just before its launcher died). Nothing ever ran for such a run, so queueing it
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
  const workers = workerProcesses();
  const requeued: string[] = [];
  for (const run of candidates) {
    if (workers.runIds.has(run.runId)) continue;
    // A standby of the dead claimer that lives on took a run: which one, only it knows (a standby
    // that had none exits with its launcher). Its run heartbeats within moments; until it has
    // exited, the claimer's runs are left alone.
    if (workers.standbyLaunchers.has(parseWorkerId(run.workerId!)!.pid)) continue;
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

/**
 * Run ids of the `__run-worker RUN_ID` processes running on this machine, and the launcher pids
 * (`--launcher-pid`) of its `__run-worker --standby` processes.
 */
function workerProcesses(): { runIds: Set<string>; standbyLaunchers: Set<number> } {
  const ids = new Set<string>();
  const launchers = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const at = args.indexOf("__run-worker");
    if (at < 0) continue;
    if (args[at + 1] && !args[at + 1]!.startsWith("-")) ids.add(args[at + 1]!);
    const launcher = args.indexOf("--launcher-pid", at);
    if (args.includes("--standby", at) && launcher > 0) launchers.add(Number(args[launcher + 1]));
  }
  return { runIds: ids, standbyLaunchers: launchers };
}
