import type { Command } from "commander";
import { resolveSelection } from "../execution/materialize-assets.js";
import { loadFromOptions, printJson, withInstance, type LocationOptions } from "./cli-context.js";

interface AssetListFlags extends LocationOptions {
  select?: string;
  json?: boolean;
}

/** `sluice asset list|wipe`. */
export function registerAssetCommands(program: Command): void {
  const asset = program.command("asset").description("list assets, forget materializations");
  asset
    .command("list")
    .description("asset keys in a topological order")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--select <expr>", "selection expression (default: all assets)")
    .option("--json", "print [{key, group, deps, tags, owners, kinds, description}]")
    .action(async (flags: AssetListFlags) => {
      const { defs } = await loadFromOptions(flags);
      const keys = flags.select === undefined ? defs.assetGraph.keys() : resolveSelection(defs, flags.select);
      if (flags.json) {
        printJson(
          keys.map((key) => {
            const node = defs.assetGraph.get(key)!;
            return {
              key,
              group: node.group,
              deps: node.deps,
              tags: node.tags,
              owners: node.owners,
              kinds: node.kinds,
              description: node.description ?? null,
            };
          }),
        );
        return;
      }
      if (keys.length > 0) process.stdout.write(`${keys.join("\n")}\n`);
    });
  asset
    .command("wipe")
    .description("forget the materializations of these assets")
    .argument("<keys...>", "asset keys")
    .option("--home <dir>", "instance directory")
    .action(async (keys: string[], flags: { home?: string }) => {
      await withInstance(flags, async (instance) => {
        await instance.storage.wipeAssets(keys);
        process.stderr.write(`Wiped materializations of ${keys.length} asset${keys.length === 1 ? "" : "s"}.\n`);
      });
    });
}
