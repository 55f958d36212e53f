import type { Command } from "commander";
import { materialize } from "../instance/materialize.js";
import { resolveSelection } from "../execution/materialize-assets.js";
import { mergeConfigs } from "../execution/run-config.js";
import { collect, loadFromOptions, openInstance, readConfigArg, readTagsArg, type LocationOptions } from "./cli-context.js";
import { RunProgress } from "./run-progress.js";
import { cancelOnSigint, reportRun } from "./run-output.js";

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
      const sigint = cancelOnSigint();
      try {
        const result = await materialize(defs, {
          instance,
          selection: flags.select ?? keys,
          config,
          tags,
          signal: sigint.signal,
          onEvent: progress.onEvent,
        });
        progress.finish();
        await reportRun(instance.storage, result);
      } finally {
        progress.finish();
        sigint.dispose();
        await instance.close();
      }
    });
}
