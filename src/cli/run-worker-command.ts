import type { Command } from "commander";
import { RunNotFoundError } from "../definitions/errors.js";
import { executeRunRecord, recordRunFailure } from "../execution/execute-run-record.js";
import { serializeError } from "../execution/serialize-error.js";
import { EventType, LogLevel, RunStatus } from "../storage/records.js";
import { loadFromOptions, openInstance, type LocationOptions } from "./cli-context.js";

/**
 * `sluice __run-worker RUN_ID`: the process a launcher starts for one claimed run. Not for users:
 * hidden from help. Exits 0 when the run succeeded, 1 otherwise.
 */
export function registerRunWorkerCommand(program: Command): void {
  program
    .command("__run-worker", { hidden: true })
    .argument("<runId>", "run id")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .action(async (runId: string, flags: LocationOptions) => {
      // Claimed moments ago from this database: if it is restarting, wait for it.
      const instance = await openInstance(flags, { waitForServer: true });
      try {
        const run = await instance.storage.getRun(runId);
        if (!run) throw new RunNotFoundError(runId);
        if (run.status !== RunStatus.Starting) {
          process.stderr.write(`Run ${runId} is ${run.status}, not STARTING: nothing to do.\n`);
          process.exitCode = 1;
          return;
        }
        // A first sign of life before loading the definitions, which may take seconds on a busy
        // machine: monitoring counts a claimed run's silence from its claim, or from its storage
        // coming back after an outage this process just waited out.
        await instance.storage.heartbeatRun(runId);
        let defs;
        try {
          ({ defs } = await loadFromOptions(flags));
        } catch (err) {
          await instance.storage.storeEvent({ runId, type: EventType.RunStart, message: "Started run." });
          await instance.storage.storeEvent({
            runId,
            type: EventType.RunFailure,
            level: LogLevel.Error,
            message: `Run failed: its definitions could not be loaded: ${(err as Error).message}`,
            data: { error: serializeError(err), failedSteps: [] },
          });
          process.exitCode = 1;
          return;
        }
        const stop = new AbortController();
        process.once("SIGTERM", () => stop.abort());
        let result;
        try {
          result = await executeRunRecord(instance, defs, run, { signal: stop.signal });
        } catch (err) {
          // Its events could not all be stored (the database was gone for longer than the reconnect
          // window): the run must still end, with that reason, rather than wait for monitoring.
          process.stderr.write(`Run ${runId} could not finish: ${(err as Error)?.stack ?? String(err)}\n`);
          const log = (line: string): void => void process.stderr.write(`${line}\n`);
          if (!(await recordRunFailure(instance.storage, runId, err, { log }))) log(`gave up recording the failure of run ${runId}`);
          process.exitCode = 1;
          return;
        }
        process.stderr.write(`Run ${runId} ${result.status}\n`);
        process.exitCode = result.success ? 0 : 1;
      } finally {
        await instance.close();
      }
    });
}
