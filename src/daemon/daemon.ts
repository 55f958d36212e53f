import { hostname } from "node:os";
import type { Definitions } from "../definitions/definitions.js";
import { serializeError } from "../execution/serialize-error.js";
import type { Instance } from "../instance/instance.js";
import { runQueueLimits } from "../instance/instance-settings.js";
import type { CodeLocation } from "../instance/load-definitions.js";
import type { SerializedError } from "../storage/records.js";
import { RunCoordinator } from "./run-coordinator.js";
import { RunLauncher } from "./run-launcher.js";
import { RunMonitor } from "./run-monitor.js";
import { RunRetries } from "./run-retries.js";
import { Scheduler } from "./scheduler.js";
import { SensorDaemon } from "./sensor-daemon.js";
import { abortableSleep } from "../execution/abortable-sleep.js";

/** What the daemon runs on. */
export interface DaemonOptions {
  instance: Instance;
  defs: Definitions;
  location: CodeLocation;
  /** Aborting it stops the loops (runs in flight go on in their workers). */
  signal: AbortSignal;
  log?: (line: string) => void;
}

interface Loop {
  name: string;
  intervalMs: number;
  /** When given, the loop sleeps at most this long (e.g. until the next schedule tick). */
  sleepMs?: () => number;
  tick: () => Promise<unknown>;
}

/**
 * The daemon: scheduler, sensors, run queue coordinator, run monitoring and run retries, each a
 * loop whose failures are logged and recorded in its heartbeat, never fatal. Resolves when the
 * signal aborts.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { instance, defs, signal } = options;
  const log = options.log ?? (() => {});
  const storage = instance.storage;
  const settings = instance.settings;
  const crashAt = process.env.SLUICE_DAEMON_CRASH_AT;
  const daemonId = `${hostname()}:${process.pid}`;
  const launcher = new RunLauncher({ storage, home: instance.home, location: options.location, log });
  const startedAt = new Date();
  const loops: Loop[] = [
    (() => {
      const scheduler = new Scheduler({ storage, defs, startedAt, crashAt, log });
      // Polls every 250 ms (to see schedules started or stopped), but wakes up at a tick's time.
      return { name: "scheduler", intervalMs: 250, sleepMs: () => scheduler.msUntilNextTick(), tick: () => scheduler.tick() };
    })(),
    { name: "sensor", intervalMs: 500, tick: (() => { const s = new SensorDaemon({ storage, defs, log }); return () => s.tick(); })() },
    ...(settings.run_queue.executed_by === "workers" ? [] : [{
      name: "run_coordinator",
      intervalMs: 250,
      tick: (() => {
        const c = new RunCoordinator({ storage, launcher, limits: runQueueLimits(settings), workerId: `daemon:${daemonId}`, crashAt, log });
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
          cancelTimeoutMs: settings.run_monitoring.cancel_timeout_seconds * 1000,
          log,
        });
        return () => m.tick();
      })(),
    },
    { name: "run_retries", intervalMs: 2000, tick: (() => { const r = new RunRetries({ storage, maxRetries: settings.run_retries.max_retries, log }); return () => r.tick(); })() },
  ];
  const queue = settings.run_queue.executed_by === "workers" ? "run queue left to sluice worker processes" : "run queue coordinated here";
  log(`daemon ${daemonId} started: ${defs.schedules.size} schedules, ${defs.sensors.size} sensors, ${queue}, home ${instance.home}`);
  await Promise.all(loops.map((loop) => runLoop(loop, { storage, daemonId, signal, log })));
  launcher.stopWatching();
  log("daemon stopped (runs in flight go on in their workers)");
}

async function runLoop(
  loop: Loop,
  ctx: { storage: Instance["storage"]; daemonId: string; signal: AbortSignal; log: (line: string) => void },
): Promise<void> {
  let lastBeat = 0;
  while (!ctx.signal.aborted) {
    const started = Date.now();
    const errors: SerializedError[] = [];
    try {
      await loop.tick();
    } catch (err) {
      errors.push(serializeError(err));
      ctx.log(`${loop.name}: ${(err as Error)?.message ?? String(err)}`);
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
