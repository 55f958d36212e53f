import type { Command } from "commander";
import { executableAssetKeys } from "../definitions/external-assets.js";
import { partitionsOf } from "../definitions/partitions/partition-checks.js";
import { materialize } from "../instance/materialize.js";
import { loadDynamicPartitions } from "../runs/dynamic-partitions.js";
import { statusValuesOf } from "../definitions/selection/select-assets.js";
import { selectionStatusOf } from "../runs/asset-statuses.js";
import { checkKeysOf, resolveSelection } from "../runs/run-target.js";
import { mergeConfigs } from "../execution/run-config.js";
import { collect, loadFromOptions, openInstance, readConfigArg, readTagsArg, type LocationOptions } from "./cli-context.js";
import { partitionKeysFromFlags, type PartitionFlags } from "./partition-args.js";
import { runSeriesInTerminal } from "./run-output.js";

interface MaterializeFlags extends LocationOptions, PartitionFlags {
  select?: string;
  config?: string[];
  tags?: string;
}

/**
 * `sluice materialize`: runs a selection now and waits; stdout's last line is the run id. With
 * `--partition-range`, one run per partition, one after another, one run id per line.
 */
export function registerMaterialize(program: Command): void {
  program
    .command("materialize")
    .description("materialize a selection of assets now and wait for the run to end")
    .option("-f, --file <file>", "definitions file (.ts, .mts, .js, .mjs)")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory (default: $SLUICE_HOME or ./.sluice)")
    .option("--select <expr>", "selection expression (default: all assets)")
    .option("--partition <key>", "the partition to materialize (required when the selection has partitioned assets)")
    .option("--partition-range <start...end>", "materialize each partition from START to END (both included), one run each")
    .option("-c, --config <json|file>", "run config as JSON or a .json/.yaml file; repeatable, merged in order", collect)
    .option("--tags <json>", "run tags as a JSON object of strings")
    .action(async (flags: MaterializeFlags) => {
      const { defs } = await loadFromOptions(flags);
      const config = mergeConfigs((flags.config ?? []).map(readConfigArg));
      const tags = readTagsArg(flags.tags);
      // A malformed selection is refused before the instance is touched.
      if (flags.select !== undefined) statusValuesOf(flags.select);
      const instance = await openInstance(flags);
      let partitionKeys: (string | null)[];
      let keys: string[];
      try {
        // status: in --select is read from the instance; the runs resolve it again when they start.
        // External assets are left out (UsageError when only they are selected), as the runs will.
        keys = executableAssetKeys(defs.assets, resolveSelection(defs, flags.select, await selectionStatusOf(defs, instance.storage, flags.select)));
        const partitions = partitionsOf(defs.assets, keys);
        // A range of dynamic partitions is read from the instance's keys.
        if (flags.partitionRange !== undefined) await loadDynamicPartitions(defs, instance.storage);
        partitionKeys = partitionKeysFromFlags(flags, partitions, "the selection");
      } catch (err) {
        await instance.close();
        throw err;
      }
      await runSeriesInTerminal(
        instance,
        // The assets' checks run as steps too.
        keys.length + checkKeysOf(defs, keys).length,
        partitionKeys.map((partitionKey) => ({
          label: partitionKey,
          run: (terminal) => materialize(defs, { instance, selection: flags.select ?? keys, config, tags, partitionKey, ...terminal }),
        })),
      );
    });
}
