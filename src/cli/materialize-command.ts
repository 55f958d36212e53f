import type { Command } from "commander";
import { materialize } from "../instance/materialize.js";
import { resolveSelection } from "../execution/materialize-assets.js";
import { mergeConfigs } from "../execution/run-config.js";
import { collect, loadFromOptions, openInstance, readConfigArg, readTagsArg, type LocationOptions } from "./cli-context.js";
import { runInTerminal } from "./run-output.js";

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
      await runInTerminal(instance, keys.length, (terminal) =>
        materialize(defs, { instance, selection: flags.select ?? keys, config, tags, ...terminal }),
      );
    });
}
