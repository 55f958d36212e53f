import type { Command } from "commander";
import pc from "picocolors";
import { materialize } from "../instance/materialize.js";
import { resolveSelection } from "../execution/materialize-assets.js";
import { mergeConfigs } from "../execution/run-config.js";
import { collect, loadFromOptions, openInstance, readConfigArg, readTagsArg, type LocationOptions } from "./cli-context.js";
import { duration } from "./format.js";
import { RunProgress } from "./run-progress.js";

interface MaterializeFlags extends LocationOptions {
  select?: string;
  config?: string[];
  tags?: string;
}

/** `sluice materialize`: runs a selection now and waits; stdout's last line is the run id. */
export function registerMaterialize(program: Command): void {
  program
    .command("materialize")
    .description("materialize a selection of assets now and wait for the run to end")
    .option("-f, --file <file>", "definitions file (.ts, .mts, .js, .mjs)")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory (default: $SLUICE_HOME or ./.sluice)")
    .option("--select <expr>", "selection expression (default: all assets)")
    .option("-c, --config <json|file>", "run config as JSON or a .json/.yaml file; repeatable, merged in order", collect)
    .option("--tags <json>", "run tags as a JSON object of strings")
    .action(async (flags: MaterializeFlags) => {
      const { defs } = await loadFromOptions(flags);
      const config = mergeConfigs((flags.config ?? []).map(readConfigArg));
      const tags = readTagsArg(flags.tags);
      const keys = resolveSelection(defs, flags.select);
      const instance = await openInstance(flags);
      const progress = new RunProgress(keys.length);
      const controller = new AbortController();
      const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write("\nCanceling the run (press Ctrl-C again to quit at once)...\n");
        controller.abort();
      };
      process.on("SIGINT", onSigint);
      try {
        const result = await materialize(defs, {
          instance,
          selection: flags.select ?? keys,
          config,
          tags,
          signal: controller.signal,
          onEvent: progress.onEvent,
        });
        progress.finish();
        const run = await instance.storage.getRun(result.runId);
        const took = run ? duration(run.startedAt, run.endedAt) : "";
        const color = result.success ? pc.green : pc.red;
        process.stderr.write(
          `${color(`Run ${result.status}`)} in ${took}: ${result.succeeded.length} succeeded, ` +
            `${result.failures.length} failed, ${result.skipped.length} skipped.\n`,
        );
        for (const failure of result.failures) {
          process.stderr.write(`${pc.red("✖")} ${pc.bold(failure.stepKey)}: ${failure.error.className}: ${failure.error.message}\n`);
          if (failure.error.stack) process.stderr.write(`${pc.dim(failure.error.stack.split("\n").slice(1, 6).join("\n"))}\n`);
        }
        if (result.runError) process.stderr.write(`${pc.red("✖")} ${result.runError.message}\n`);
        process.stdout.write(`${result.runId}\n`);
        if (!result.success) process.exitCode = 1;
      } finally {
        progress.finish();
        process.off("SIGINT", onSigint);
        await instance.close();
      }
    });
}
