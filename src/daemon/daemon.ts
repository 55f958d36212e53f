import { errorMessage } from "../definitions/errors.js";
import type { Definitions } from "../definitions/definitions.js";
import { serializeError } from "../execution/serialize-error.js";
import type { Instance } from "../instance/instance.js";
import { runQueueLimits } from "../instance/instance-settings.js";
import type { CodeLocation } from "../instance/load-definitions.js";
import type { SerializedError } from "../storage/records.js";
import { automatedAssetKeys } from "../runs/automation/automation-status.js";
import { AUTOMATION_INSTIGATOR } from "../storage/automation-records.js";
import { AutomationDaemon } from "./automation-daemon.js";
import { BackfillDaemon } from "./backfill-daemon.js";
import type { DaemonHooks } from "./daemon-hooks.js";
import { DaemonLeadership, type LeadershipTimings } from "./daemon-leadership.js";
import { FreshnessDaemon } from "./freshness-daemon.js";
import { RunCoordinator } from "./run-coordinator.js";
import { RunLauncher } from "./run-launcher.js";
import { RunMonitor } from "./run-monitor.js";
import { RunRetries } from "./run-retries.js";
import { Scheduler } from "./scheduler.js";
import { SensorDaemon } from "./sensor-daemon.js";
import { ThreadEvaluationHost } from "./thread-evaluation-host.js";
import { abortableSleep } from "../execution/abortable-sleep.js";

/** What the daemon runs on. */
export interface DaemonOptions {
  instance: Instance;
  defs: Definitions;
  location: CodeLocation;
  /** Where a relative location, or a workspace.yaml, is read from (default: the working directory). */
  cwd?: string;
  /** Who goes on when user code throws outside any call, for that log line (default `the daemon`; `sluice dev`: `the server`). */
  keepsRunning?: string;
  /** Aborting it stops the loops (runs in flight go on in their workers). */
  signal: AbortSignal;
  log?: (line: string) => void;
  /** Lease timings (tests shorten them). */
  leaseTimings?: Partial<LeadershipTimings>;
  /** Test hooks (the crash-point harness kills the daemon at named points); none in production. */
  hooks?: DaemonHooks;
}

interface Loop {
  name: string;
  intervalMs: number;
  /** When given, the loop sleeps at most this long (e.g. until the next schedule tick). */
  sleepMs?: () => number;
  tick: () => Promise<unknown>;
}

/**
 * The daemon: scheduler, sensors, backfills, freshness policies, declarative automation, run queue coordinator, run monitoring and run retries, each a
 * loop whose failures are logged and recorded in its heartbeat, never fatal. Only one daemon of an
 * instance is active (see {@link DaemonLeadership}): another one stands by until the active one's
 * lease runs out, then takes over; an active daemon that loses its lease stands by again. Resolves
 * when the signal aborts (giving the lease up, so a standby takes over at once).
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { instance, signal } = options;
  const log = options.log ?? (() => {});
  const leadership = new DaemonLeadership({ storage: instance.storage, timings: options.leaseTimings, log });
  while (!signal.aborted) {
    if (!(await leadership.acquire(signal))) break;
    const term = new AbortController();
    const endTerm = (): void => term.abort();
    signal.addEventListener("abort", endTerm, { once: true });
    const holding = leadership.hold(term);
    try {
      await runActiveTerm(options, leadership, term.signal, log);
    } finally {
      signal.removeEventListener("abort", endTerm);
      term.abort();
      await holding;
    }
    if (!signal.aborted) log("daemon standing by: another daemon holds the lease now");
  }
  await leadership.release();
  log("daemon stopped (runs in flight go on in their workers)");
}

/** The loops of an active daemon, until `signal` aborts (stopped, or the lease lost). */
async function runActiveTerm(options: DaemonOptions, leadership: DaemonLeadership, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  const { instance, defs } = options;
  const storage = instance.storage;
  const settings = instance.settings;
  const hooks = options.hooks ?? {};
  const daemonId = leadership.holder;
  // Standbys start with the first run this daemon launches: a daemon that only schedules, or whose
  // runs go to `sluice worker` processes, keeps none.
  const standbys = Math.min(settings.run_launcher.standby_workers, settings.run_queue.max_concurrent_runs);
  const launcher = new RunLauncher({ storage, home: instance.home, location: options.location, workerNice: settings.run_launcher.worker_nice, standbys, log });
  const startedAt = new Date();
  // Schedule and sensor functions run in threads of their own, a new set per term (a reload in
  // `sluice dev` is a new term): a function stuck in a loop holds up none of the loops below.
  const host = new ThreadEvaluationHost({
    location: options.location,
    cwd: options.cwd,
    timeoutMs: settings.schedules_and_sensors.evaluation_timeout_seconds * 1000,
    maxThreads: settings.schedules_and_sensors.evaluation_threads,
    keepsRunning: options.keepsRunning,
    log,
  });
  const closeHost = (): void => void host.close();
  signal.addEventListener("abort", closeHost, { once: true });
  // Neither waits for its evaluations: one still running is left alone by later iterations.
  const scheduler = new Scheduler({ storage, defs, startedAt, hooks, log, host, tickWaitMs: 0 });
  const sensors = new SensorDaemon({ storage, defs, log, host, tickWaitMs: 0 });
  const loops: Loop[] = [
    // Polls every 250 ms (to see schedules started or stopped), but wakes up at a tick's time.
    { name: "scheduler", intervalMs: 250, sleepMs: () => scheduler.msUntilNextTick(), tick: () => scheduler.tick() },
    { name: "sensor", intervalMs: 500, tick: () => sensors.tick() },
    {
      name: "backfill",
      intervalMs: 250,
      tick: (() => {
        const b = new BackfillDaemon({ storage, defs, launchBatchSize: settings.backfills.launch_batch_size, maxQueuedRuns: settings.backfills.max_queued_runs, hooks, log });
        return () => b.tick();
      })(),
    },
    ...(settings.run_queue.executed_by === "workers" ? [] : [{
      name: "run_coordinator",
      intervalMs: 250,
      tick: (() => {
        const c = new RunCoordinator({ storage, launcher, limits: runQueueLimits(settings), workerId: `daemon:${daemonId}`, hooks, log });
        return () => c.tick();
      })(),
    }]),
    {
      name: "run_monitor",
      intervalMs: settings.run_monitoring.poll_interval_seconds * 1000,
      tick: (() => {
        const m = new RunMonitor({
          storage,
          launcher,
          heartbeatTimeoutMs: settings.run_monitoring.heartbeat_timeout_seconds * 1000,
          pollIntervalMs: settings.run_monitoring.poll_interval_seconds * 1000,
          cancelTimeoutMs: settings.run_monitoring.cancel_timeout_seconds * 1000,
          log,
        });
        return () => m.tick();
      })(),
    },
    {
      name: "freshness",
      intervalMs: settings.freshness.evaluation_interval_seconds * 1000,
      tick: (() => { const f = new FreshnessDaemon({ storage, defs, startedAt: startedAt.getTime(), log }); return () => f.tick(); })(),
    },
    {
      name: "automation",
      intervalMs: settings.automation.evaluation_interval_seconds * 1000,
      tick: (() => { const a = new AutomationDaemon({ storage, defs, hooks, log }); return () => a.tick(); })(),
    },
    { name: "run_retries", intervalMs: 2000, tick: (() => { const r = new RunRetries({ storage, maxRetries: settings.run_retries.max_retries, log }); return () => r.tick(); })() },
  ];
  const queue = settings.run_queue.executed_by === "workers" ? "run queue left to sluice worker processes" : "run queue coordinated here";
  log(`daemon ${daemonId} started: ${defs.schedules.size} schedules, ${defs.sensors.size} sensors, ${queue}, home ${instance.home}`);
  await logAutomationStopped(options, log);
  try {
    await Promise.all(loops.map((loop) => runLoop(loop, { storage, daemonId, signal, log, isLeader: () => leadership.isLeader() })));
  } finally {
    signal.removeEventListener("abort", closeHost);
    // Evaluations in flight end at once (their ticks are left to the next term), then their work.
    await host.close();
    await Promise.all([scheduler.drain(), sensors.drain()]);
    launcher.stopWatching();
  }
}

/** One line when assets have automation conditions that nothing evaluates (the loop is stopped): how to start it. */
async function logAutomationStopped(options: DaemonOptions, log: (line: string) => void): Promise<void> {
  const count = automatedAssetKeys(options.defs).length;
  if (count === 0) return;
  try {
    const state = await options.instance.storage.getInstigatorState(AUTOMATION_INSTIGATOR);
    if ((state?.status ?? options.defs.automation.defaultStatus) === "RUNNING") return;
    log(
      `automation is stopped${state === undefined ? " (by default)" : ""}: ${count} asset(s) have an automation condition that is not evaluated. ` +
        `Start it with \`sluice automation start\`, or defineDefinitions({ automation: { defaultStatus: "RUNNING" } }).`,
    );
  } catch (err) {
    log(`automation: cannot read its status: ${errorMessage(err)}`);
  }
}

async function runLoop(
  loop: Loop,
  ctx: { storage: Instance["storage"]; daemonId: string; signal: AbortSignal; log: (line: string) => void; isLeader: () => boolean },
): Promise<void> {
  let lastBeat = 0;
  while (!ctx.signal.aborted) {
    const started = Date.now();
    if (!ctx.isLeader()) {
      // The lease ran out by this daemon's clock (it was paused, or storage unreachable): act no
      // more until a renewal succeeds, or the term ends because another daemon took over.
      await abortableSleep(250, ctx.signal);
      continue;
    }
    const errors: SerializedError[] = [];
    try {
      await loop.tick();
    } catch (err) {
      errors.push(serializeError(err));
      ctx.log(`${loop.name}: ${errorMessage(err)}`);
    }
    if (errors.length > 0 || started - lastBeat >= 5000) {
      lastBeat = started;
      await ctx.storage
        .recordDaemonHeartbeat({ daemonType: loop.name, daemonId: ctx.daemonId, timestamp: Date.now(), errors })
        .catch(() => undefined);
    }
    let wait = Math.max(0, loop.intervalMs - (Date.now() - started));
    if (loop.sleepMs) wait = Math.min(wait, loop.sleepMs());
    await abortableSleep(wait, ctx.signal);
  }
}
