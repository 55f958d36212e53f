import type { Command } from "commander";
import { runDaemon } from "../daemon/daemon.js";
import { loadFromOptions, openInstance, type LocationOptions } from "./cli-context.js";
import { logUserCodeErrors } from "./user-code-errors.js";

/** `sluice daemon`: schedules, sensors, run queue, monitoring and retries, in the foreground. */
export function registerDaemonCommand(program: Command): void {
  program
    .command("daemon")
    .description("run schedules, sensors, the run queue, run monitoring and run retries")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .action(async (flags: LocationOptions) => {
      const { defs } = await loadFromOptions(flags);
      const instance = await openInstance(flags);
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      // The definitions' modules run in this process too (schedule and sensor functions run in
      // evaluation threads, which log their own strays): an error user code throws later, from a
      // timer or a promise nobody awaits, is logged; it must not stop the daemon.
      const releaseErrorHandlers = logUserCodeErrors("the daemon", log);
      try {
        await runDaemon({ instance, defs, location: { file: flags.file, module: flags.module }, signal: controller.signal, log });
      } finally {
        releaseErrorHandlers();
        await instance.close();
      }
    });
}
