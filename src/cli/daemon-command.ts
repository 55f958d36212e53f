import type { Command } from "commander";
import { runDaemon } from "../daemon/daemon.js";
import { loadFromOptions, openInstance, type LocationOptions } from "./cli-context.js";

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
      try {
        await runDaemon({
          instance,
          defs,
          location: { file: flags.file, module: flags.module },
          signal: controller.signal,
          log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
        });
      } finally {
        await instance.close();
      }
    });
}
