import { errorMessage } from "../definitions/errors.js";
import { abortableSleep } from "../execution/abortable-sleep.js";
import { serializeError } from "../execution/serialize-error.js";
import type { Instance } from "../instance/instance.js";
import { endRunsOfDeadProcesses } from "../runs/dead-run-processes.js";
import { localWorkerId } from "../runs/run-process.js";
import { runQueueLimits } from "../instance/instance-settings.js";
import type { CodeLocation } from "../instance/load-definitions.js";
import { FINISHED_RUN_STATUSES, type SerializedError } from "../storage/records.js";
import { RunCoordinator } from "./run-coordinator.js";
import { RunLauncher } from "./run-launcher.js";

/** How long a run's process may live on after its run ended before the worker kills it. */
const ORPHAN_GRACE_MS = 10_000;

/** Daemon heartbeat type of `sluice worker` processes (beside the daemon's loops). */
export const WORKER_HEARTBEAT_TYPE = "worker";

/** What a queue worker runs on. */
export interface QueueWorkerOptions {
  instance: Instance;
  location: CodeLocation;
  /** Runs this worker executes at once (each in its own child process). */
  maxRuns: number;
  /** How often it looks for queued runs (ms). */
  pollIntervalMs?: number;
  /**
   * Aborting it starts a graceful stop: no more claims; runs in flight finish, for at most
   * `drainTimeoutMs`, then are asked to stop (SIGTERM), then killed after `stopTimeoutMs`.
   */
  signal: AbortSignal;
  /** Aborting it (a second SIGTERM) ends the drain at once: runs in flight are asked to stop. */
  forceSignal?: AbortSignal;
  drainTimeoutMs?: number;
  stopTimeoutMs?: number;
  /**
   * Run worker processes kept started ahead of time (see RunLauncher), at most `maxRuns`; default
   * sluice.yaml's `run_launcher.standby_workers`. 0: none.
   */
  standbyWorkers?: number;
  /** Distinguishes this worker in run records (`workerId`) and heartbeats; default `worker:HOST:PID`. */
  workerId?: string;
  log?: (line: string) => void;
}

/**
 * `sluice worker`: claims queued runs from the instance's storage within the run queue limits of
 * sluice.yaml (atomically: FOR UPDATE SKIP LOCKED on Postgres, so any number of workers on any
 * machines never take one run twice), as many as its free slots, and executes each in its own
 * child process (the daemon's launcher). It heartbeats as a daemon of type `worker`; each run's
 * process heartbeats its run. A run that monitoring (elsewhere) has ended while its process here
 * still lives (hung, or ignoring a cancel) has that process killed. Resolves after a graceful stop.
 */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<void> {
  const { instance, signal } = options;
  const storage = instance.storage;
  const log = options.log ?? (() => {});
  const workerId = options.workerId ?? localWorkerId("worker");
  const standbys = Math.min(options.standbyWorkers ?? instance.settings.run_launcher.standby_workers, options.maxRuns);
  const launcher = new RunLauncher({ storage, home: instance.home, location: options.location, workerNice: instance.settings.run_launcher.worker_nice, standbys, log });
  const coordinator = new RunCoordinator({
    storage,
    launcher,
    limits: runQueueLimits(instance.settings),
    workerId,
    capacity: () => options.maxRuns - launcher.running().length,
    log,
  });
  const pollMs = options.pollIntervalMs ?? 500;
  log(`worker ${workerId} started: up to ${options.maxRuns} runs at once, ${standbys} run worker(s) started ahead of time, home ${instance.home}, storage ${instance.storage.capabilities.dialect}`);
  launcher.startStandbys();

  let lastBeat = 0;
  while (!signal.aborted) {
    const started = Date.now();
    const errors: SerializedError[] = [];
    try {
      await coordinator.tick();
      await killOrphans(instance, launcher, log);
      // Runs of this machine whose process died (a foreground run here, say) end without waiting for
      // a daemon's heartbeat monitoring; this worker's own runs are recorded by its launcher.
      await endRunsOfDeadProcesses(storage, { log, skip: (runId) => launcher.owns(runId) });
    } catch (err) {
      // Storage unreachable (a Postgres restart): log it, keep the runs in flight, try again.
      errors.push(serializeError(err));
      log(`worker: ${errorMessage(err)}`);
    }
    if (errors.length > 0 || started - lastBeat >= 5000) {
      lastBeat = started;
      await storage
        .recordDaemonHeartbeat({ daemonType: WORKER_HEARTBEAT_TYPE, daemonId: workerId, timestamp: Date.now(), errors })
        .catch(() => undefined);
    }
    await abortableSleep(Math.max(0, pollMs - (Date.now() - started)), signal);
  }

  await drain(launcher, options, log);
  launcher.stopWatching();
  log(`worker ${workerId} stopped`);
}

/** The graceful stop: wait for runs in flight, then ask them to stop, then kill what is left. */
async function drain(launcher: RunLauncher, options: QueueWorkerOptions, log: (line: string) => void): Promise<void> {
  const inFlight = launcher.running();
  if (inFlight.length === 0) return;
  const drainMs = options.drainTimeoutMs ?? 300_000;
  log(`worker stopping: waiting up to ${Math.round(drainMs / 1000)} s for ${inFlight.length} run(s) in flight (${inFlight.join(", ")}); signal again to stop them now`);
  await waitUntilIdle(launcher, drainMs, options.forceSignal);
  const left = launcher.running();
  if (left.length === 0) return;
  log(`worker stopping: asking ${left.length} run(s) to stop (${left.join(", ")})`);
  for (const runId of left) launcher.terminate(runId);
  await waitUntilIdle(launcher, options.stopTimeoutMs ?? 10_000);
  for (const runId of launcher.running()) {
    log(`worker stopping: killing the process of run ${runId}, which did not stop`);
    launcher.kill(runId);
  }
  // The launcher records how each killed process ended (its exit handler) before we stop watching.
  await waitUntilIdle(launcher, 5_000);
}

async function waitUntilIdle(launcher: RunLauncher, timeoutMs: number, abort?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (launcher.running().length > 0 && Date.now() < deadline && !abort?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Kills the processes of runs that storage says have ended (monitoring on another machine marked
 * them FAILURE after a heartbeat timeout, or CANCELED after a cancel timeout): only this worker
 * can reach them.
 */
async function killOrphans(instance: Instance, launcher: RunLauncher, log: (line: string) => void): Promise<void> {
  const mine = launcher.running();
  if (mine.length === 0) return;
  const now = Date.now();
  for (const run of await instance.storage.listRuns({ runIds: mine })) {
    // A process that recorded its own end is still closing its storage for a moment: leave it be.
    const endedLongAgo = run.endedAt !== null && now - run.endedAt > ORPHAN_GRACE_MS;
    if (FINISHED_RUN_STATUSES.includes(run.status) && endedLongAgo && launcher.kill(run.runId)) {
      log(`killed the process of run ${run.runId}: the run is already ${run.status}`);
    }
  }
}
