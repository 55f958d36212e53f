import { EventType, LogLevel, RunStatus } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { endRunsOfDeadProcesses } from "../runs/dead-run-processes.js";
import { requeueOrphanedClaims } from "./orphaned-claims.js";
import type { RunLauncher } from "./run-launcher.js";

/** What monitoring needs. */
export interface RunMonitorOptions {
  storage: Storage;
  /** The local launcher, to kill hung or canceled workers it started (absent: nothing to kill). */
  launcher?: RunLauncher;
  heartbeatTimeoutMs: number;
  cancelTimeoutMs: number;
  /** How often `tick` is called (ms; default 2000): gaps much longer than it mean storage was out of sight. */
  pollIntervalMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

const IN_PROGRESS = [RunStatus.Starting, RunStatus.Started, RunStatus.Canceling];

/**
 * Watches runs in progress: a run whose worker stopped heartbeating (killed, out of memory, its
 * machine gone, or stuck in a loop that blocks its event loop) is marked FAILURE with the reason;
 * a canceled run whose worker has not stopped after the cancel timeout is killed and marked
 * CANCELED.
 */
export class RunMonitor {
  /** When monitoring first saw each run CANCELING. */
  private readonly cancelSeen = new Map<string, number>();
  /** When the last successful read of runs in progress returned. */
  private lastReadAt: number | undefined;
  /** When monitoring could see storage again after it could not (runs' silence counts from then). */
  private resumedAt = 0;

  constructor(private readonly options: RunMonitorOptions) {}

  /** One pass; returns the ids of runs it ended. */
  async tick(): Promise<string[]> {
    const { storage, heartbeatTimeoutMs, cancelTimeoutMs } = this.options;
    const clock = this.options.now ?? Date.now;
    const ended: string[] = [];
    // A claim whose claimer died before it started the worker is queued again, not failed.
    await requeueOrphanedClaims(storage, this.options.log);
    // A run whose process on this machine is gone ends now, without waiting for its heartbeat.
    const { launcher, log } = this.options;
    ended.push(...(await endRunsOfDeadProcesses(storage, { log, skip: (runId) => launcher?.owns(runId) ?? false })));
    const runs = await storage.listRuns({ statuses: [...IN_PROGRESS], limit: 10_000 });
    const now = clock();
    // Storage was unreachable for a while (reads failed, or waited for a reconnect), or this process
    // was paused: runs could not heartbeat either, or were not watched. Silence counts only from
    // now, so a database restart longer than the heartbeat timeout does not fail every run in
    // flight the moment it is back. Runs whose workers did die are still failed, one timeout later.
    if (this.lastReadAt !== undefined && now - this.lastReadAt > this.blindAfterMs()) {
      this.resumedAt = now;
      this.options.log?.(`run monitoring saw no storage for ${Math.round((now - this.lastReadAt) / 1000)} s: runs' heartbeats are judged from now on`);
    }
    this.lastReadAt = now;
    const canceling = new Set<string>();
    for (const run of runs) {
      const lastSign = Math.max(run.heartbeatAt ?? run.updatedAt, this.resumedAt);
      const silentMs = now - lastSign;
      if (run.status === RunStatus.Canceling) {
        canceling.add(run.runId);
        const seen = this.cancelSeen.get(run.runId) ?? now;
        this.cancelSeen.set(run.runId, seen);
        if (now - seen >= cancelTimeoutMs || silentMs >= heartbeatTimeoutMs) {
          // Record first, then kill: the launcher's "killed by SIGKILL" event must not win the race.
          const canceled = await storage.endRunIfUnfinished({
            runId: run.runId,
            type: EventType.RunCanceled,
            level: LogLevel.Warn,
            message: `Run canceled: its worker did not stop within ${Math.round(cancelTimeoutMs / 1000)} s of the cancel request and was stopped.`,
          });
          this.options.launcher?.kill(run.runId);
          if (canceled) ended.push(run.runId);
        }
        continue;
      }
      if (silentMs >= heartbeatTimeoutMs) {
        const failed = await storage.endRunIfUnfinished({
          runId: run.runId,
          type: EventType.RunFailure,
          level: LogLevel.Error,
          message:
            `Run failed: its worker stopped heartbeating ${Math.round(silentMs / 1000)} s ago ` +
            `(the process was killed, ran out of memory, hung, or its machine went away).`,
          data: { failedSteps: [], reason: "heartbeat_timeout" },
        });
        this.options.launcher?.kill(run.runId);
        if (failed) {
          ended.push(run.runId);
          this.options.log?.(`marked run ${run.runId} FAILURE: no heartbeat for ${Math.round(silentMs / 1000)} s`);
        }
      }
    }
    for (const id of this.cancelSeen.keys()) if (!canceling.has(id)) this.cancelSeen.delete(id);
    return ended;
  }

  /** A gap between two reads longer than this means monitoring was blind meanwhile. */
  private blindAfterMs(): number {
    return Math.max(3 * (this.options.pollIntervalMs ?? 2000), this.options.heartbeatTimeoutMs / 2);
  }
}
