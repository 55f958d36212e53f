import type { Command } from "commander";
import { UsageError } from "../definitions/errors.js";
import { runQueueWorker } from "../daemon/queue-worker.js";
import { loadFromOptions, openInstance, type LocationOptions } from "./cli-context.js";
import { logUserCodeErrors } from "./user-code-errors.js";

interface WorkerFlags extends LocationOptions {
  maxRuns: string;
  pollInterval: string;
  drainTimeout: string;
  standbyWorkers?: string;
}

/**
 * `sluice worker`: claims queued runs from the instance's storage and executes each in its own
 * process, until SIGTERM/SIGINT (then finishes its runs; a second signal stops them).
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("claim queued runs (any number of workers, on any machines sharing a Postgres instance) and execute them")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--max-runs <n>", "runs executed at once by this worker", "4")
    .option("--poll-interval <seconds>", "how often to look for queued runs", "0.5")
    .option("--drain-timeout <seconds>", "on SIGTERM, how long runs in flight may take to finish before they are stopped", "300")
    .option("--standby-workers <n>", "run worker processes kept started ahead of time, at most --max-runs (default: run_launcher.standby_workers of sluice.yaml, 2; 0: none)")
    .action(async (flags: WorkerFlags) => {
      const maxRuns = positive("--max-runs", flags.maxRuns, true);
      const pollIntervalMs = positive("--poll-interval", flags.pollInterval) * 1000;
      const drainTimeoutMs = positive("--drain-timeout", flags.drainTimeout, false, true) * 1000;
      const standbyWorkers = flags.standbyWorkers === undefined ? undefined : positive("--standby-workers", flags.standbyWorkers, true, true);
      const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      // Loaded once here only to fail fast (exit 2) on definitions that do not load; each run's
      // process loads them again. What their top level starts (a timer, a client) may throw later:
      // logged, it must not stop the worker and the runs it holds.
      await loadFromOptions(flags);
      const releaseErrorHandlers = logUserCodeErrors("the worker", log);
      const instance = await openInstance(flags);
      const stop = new AbortController();
      const force = new AbortController();
      const onSignal = (): void => (stop.signal.aborted ? force.abort() : stop.abort());
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        await runQueueWorker({
          instance,
          location: { file: flags.file, module: flags.module },
          maxRuns,
          pollIntervalMs,
          drainTimeoutMs,
          ...(standbyWorkers !== undefined ? { standbyWorkers } : {}),
          signal: stop.signal,
          forceSignal: force.signal,
          log,
        });
      } finally {
        releaseErrorHandlers();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await instance.close();
      }
    });
}

function positive(flag: string, value: string, integer = false, zeroOk = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0 || (!zeroOk && n === 0)) {
    throw new UsageError(`${flag} must be a ${integer ? "whole " : ""}number${zeroOk ? " >= 0" : " > 0"}, not ${JSON.stringify(value)}.`);
  }
  return n;
}
