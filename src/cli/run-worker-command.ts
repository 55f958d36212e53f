import type { Command } from "commander";
import { workRun } from "../runs/run-worker.js";
import { loadFromOptions, openInstance, type LocationOptions } from "./cli-context.js";

/**
 * `sluice __run-worker RUN_ID`: the process a launcher starts for one claimed run (see workRun).
 * Not for users: hidden from help. Exits 0 when the run succeeded, 1 otherwise.
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
      const stop = new AbortController();
      process.once("SIGTERM", () => stop.abort());
      try {
        process.exitCode = await workRun(instance, runId, {
          loadDefinitions: async () => (await loadFromOptions(flags)).defs,
          signal: stop.signal,
          log: (line) => void process.stderr.write(`${line}\n`),
        });
      } finally {
        await instance.close();
      }
    });
}
