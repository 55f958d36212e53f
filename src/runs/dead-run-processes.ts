import { currentRunProcess, isRunProcessAlive, parseWorkerId } from "./run-process.js";
import { EventType, LogLevel, RunStatus, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";

const IN_PROGRESS = [RunStatus.Starting, RunStatus.Started, RunStatus.Canceling];

/**
 * Ends the runs in progress whose process, on this machine, is gone: killed (SIGKILL, out of
 * memory), crashed, or ended without recording the end of its run. Without a daemon nobody watches
 * heartbeats, so without this a foreground `sluice materialize` killed mid-run would leave its run
 * (and its assets) in progress for ever. Runs of other machines are left to heartbeat monitoring.
 * A run is ended FAILURE (CANCELED when a cancel was asked for) only if it is still unfinished when
 * the event is stored. `skip`: runs another part of this process takes care of (a launcher that is
 * recording how its worker ended, with more to say); a launcher alive in another process is given
 * the same chance, for a while (see launcherMayStillRecord). Returns the ids of the runs it ended.
 */
export async function endRunsOfDeadProcesses(
  storage: Storage,
  options: { log?: (line: string) => void; skip?: (runId: string) => boolean; now?: number } = {},
): Promise<string[]> {
  const { log, skip } = options;
  const here = currentRunProcess();
  const now = options.now ?? Date.now();
  const runs = await storage.listRuns({ statuses: IN_PROGRESS, limit: 10_000 });
  const ended: string[] = [];
  for (const run of runs) {
    if (run.process === null || run.process.host !== here.host || skip?.(run.runId)) continue;
    if (isRunProcessAlive(run.process) !== false) continue;
    if (launcherMayStillRecord(run, here.pid, now)) continue;
    if (await storage.endRunIfUnfinished(endEvent(run))) {
      ended.push(run.runId);
      log?.(`run ${run.runId}: its process (pid ${run.process.pid}) is gone; the run is marked ${run.status === RunStatus.Canceling ? "CANCELED" : "FAILURE"}`);
    }
  }
  return ended;
}

/** How long a live launcher has to record how its worker ended before anyone else ends the run. */
export const LAUNCHER_GRACE_MS = 30_000;

/**
 * Whether another process that launched the run's worker (a daemon, or `sluice worker`, named by
 * the run's workerId `daemon:HOST:PID:…` or `worker:HOST:PID`) is alive on this machine and may
 * still record the worker's end, with what only it knows (the signal, the exit code, the worker's
 * last error line). It gets LAUNCHER_GRACE_MS from the run's last sign of life: enough for a loaded
 * machine, and bounded, should that pid belong to another process by now.
 */
function launcherMayStillRecord(run: RunRecord, self: number, now: number): boolean {
  const launcher = parseWorkerId(run.workerId);
  if (!launcher || launcher.role === "cli" || launcher.host !== run.process!.host) return false;
  const { pid } = launcher;
  // A foreground run's process claimed it itself; this process's own runs are its `skip`'s to judge.
  if (pid === run.process!.pid || pid === self) return false;
  if (now - (run.heartbeatAt ?? run.updatedAt) >= LAUNCHER_GRACE_MS) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function endEvent(run: RunRecord): Parameters<Storage["endRunIfUnfinished"]>[0] {
  const { pid, host } = run.process!;
  const gone = `its process (pid ${pid} on ${host}) is gone: it was killed, or crashed, before the run ended`;
  if (run.status === RunStatus.Canceling) {
    return { runId: run.runId, type: EventType.RunCanceled, level: LogLevel.Warn, message: `Run canceled: ${gone}.`, data: { reason: "process_gone" } };
  }
  return {
    runId: run.runId,
    type: EventType.RunFailure,
    level: LogLevel.Error,
    message: `Run failed: ${gone}. Its last heartbeat was ${run.heartbeatAt === null ? "never" : new Date(run.heartbeatAt).toISOString()}.`,
    data: { failedSteps: [], reason: "process_gone" },
  };
}
