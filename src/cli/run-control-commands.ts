import type { Command } from "commander";
import { UsageError } from "../definitions/errors.js";
import { CancelOutcome, requestCancel } from "../runs/cancel-run.js";
import { runInForeground } from "../runs/foreground-run.js";
import { reexecutionOf } from "../runs/reexecution.js";
import { loadFromOptions, openInstance, withInstance, type LocationOptions } from "./cli-context.js";
import { runInTerminal } from "./run-output.js";

/** `sluice run cancel|reexecute`. */
export function registerRunControlCommands(run: Command): void {
  run
    .command("cancel")
    .description("cancel a queued or running run")
    .argument("<runId>", "run id")
    .option("--home <dir>", "instance directory")
    .action(async (runId: string, flags: { home?: string }) => {
      await withInstance(flags, async (instance) => {
        const { outcome, run: record } = await requestCancel(instance.storage, runId);
        switch (outcome) {
          case CancelOutcome.AlreadyFinished:
            throw new UsageError(`Run "${runId}" has already finished (${record.status}); there is nothing to cancel.`);
          case CancelOutcome.Canceled:
            process.stderr.write(`Run ${runId} canceled (it had not started).\n`);
            return;
          case CancelOutcome.Canceling:
            process.stderr.write(`Run ${runId} is CANCELING: its worker will stop its steps.\n`);
            return;
          default:
            process.stderr.write(`Run ${runId} is ${record.status}; nothing to do.\n`);
        }
      });
    });
  run
    .command("reexecute")
    .description("re-execute a run (only its failed and skipped steps with --from-failure); prints the new run id")
    .argument("<runId>", "run id")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--from-failure", "run only the steps that did not succeed, loading the others' outputs")
    .action(async (runId: string, flags: LocationOptions & { fromFailure?: boolean }) => {
      const { defs } = await loadFromOptions(flags);
      const instance = await openInstance(flags);
      const newRun = await reexecutionOf(instance.storage, runId, { fromFailure: Boolean(flags.fromFailure) }).catch(async (err: unknown) => {
        await instance.close();
        throw err;
      });
      await runInTerminal(instance, newRun.selection.length, (terminal) => runInForeground(instance, defs, newRun, terminal));
    });
}
