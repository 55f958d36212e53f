import type { Command } from "commander";
import { requireDynamicPartitions } from "../definitions/partitions/declared-dynamic-partitions.js";
import { loadFromOptions, printJson, withInstance, type LocationOptions } from "./cli-context.js";

type Flags = LocationOptions & { json?: boolean };

/** `sluice partitions add NAME KEY...` with --json: what it prints. */
export interface PartitionsAddJson {
  name: string;
  /** Keys that were new, in the order given. */
  added: string[];
  /** Keys given that existed already (left as they were). */
  existing: string[];
  /** Every key after the change, in the order they were added. */
  keys: string[];
}

/** `sluice partitions remove NAME KEY...` with --json: what it prints. */
export interface PartitionsRemoveJson {
  name: string;
  /** Keys that were removed, in the order given. */
  removed: string[];
  /** Keys given that did not exist (nothing to remove). */
  notFound: string[];
  /** Every key after the change. */
  keys: string[];
}

/** `sluice partitions list NAME` with --json: what it prints. */
export interface PartitionsListJson {
  name: string;
  /** The keys, in the order they were added. */
  keys: string[];
  /** The assets partitioned by them. */
  assets: string[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * `sluice partitions add|remove|list NAME`: the keys of dynamic partitions, stored in the instance.
 * The name must be declared by the definitions (`-f`/`-m` or workspace.yaml), so that a typo cannot
 * create keys no asset reads: an undeclared name is bad usage (exit 2), naming the declared ones.
 * Adding an existing key and removing a missing one change nothing and are not errors (as Dagster's
 * add/delete of dynamic partitions): the command says so on stderr and exits 0.
 */
export function registerPartitionCommands(program: Command): void {
  const cmd = program.command("partitions").description("add, remove and list the keys of dynamic partitions");
  const common = (sub: Command): Command =>
    sub
      .argument("<name>", "the name given to dynamicPartitions()")
      .option("-f, --file <file>", "definitions file")
      .option("-m, --module <module>", "definitions module")
      .option("--home <dir>", "instance directory");

  common(cmd.command("add").description("add keys (keys that exist are left as they are)"))
    .argument("<keys...>", "partition keys")
    .option("--json", "print {name, added, existing, keys}")
    .action(async (name: string, keys: string[], flags: Flags) => {
      const { defs } = await loadFromOptions(flags);
      const declared = requireDynamicPartitions(defs.assets, name);
      await withInstance(flags, async (instance) => {
        const added = await instance.storage.addDynamicPartitions(declared.name, keys);
        const all = await instance.storage.getDynamicPartitions(declared.name);
        const fresh = new Set(added);
        const existing = [...new Set(keys)].filter((k) => !fresh.has(k));
        if (flags.json) return printJson({ name: declared.name, added, existing, keys: all } satisfies PartitionsAddJson);
        process.stderr.write(
          `Added ${plural(added.length, "key")} to dynamic partitions "${declared.name}"` +
            `${existing.length > 0 ? ` (${plural(existing.length, "key")} existed already: ${existing.join(", ")})` : ""}; ${plural(all.length, "key")} in all.\n`,
        );
      });
    });

  common(cmd.command("remove").description("remove keys (materializations of their partitions are kept)"))
    .argument("<keys...>", "partition keys")
    .option("--json", "print {name, removed, notFound, keys}")
    .action(async (name: string, keys: string[], flags: Flags) => {
      const { defs } = await loadFromOptions(flags);
      const declared = requireDynamicPartitions(defs.assets, name);
      await withInstance(flags, async (instance) => {
        const removed = await instance.storage.deleteDynamicPartitions(declared.name, keys);
        const all = await instance.storage.getDynamicPartitions(declared.name);
        const gone = new Set(removed);
        const notFound = [...new Set(keys)].filter((k) => !gone.has(k));
        if (flags.json) return printJson({ name: declared.name, removed, notFound, keys: all } satisfies PartitionsRemoveJson);
        process.stderr.write(
          `Removed ${plural(removed.length, "key")} of dynamic partitions "${declared.name}"` +
            `${notFound.length > 0 ? ` (not partitions of "${declared.name}", nothing to remove: ${notFound.join(", ")})` : ""}; ${plural(all.length, "key")} left.\n`,
        );
      });
    });

  common(cmd.command("list").description("the keys, one per line, in the order they were added"))
    .option("--json", "print {name, keys, assets}")
    .action(async (name: string, flags: Flags) => {
      const { defs } = await loadFromOptions(flags);
      const declared = requireDynamicPartitions(defs.assets, name);
      await withInstance(flags, async (instance) => {
        const keys = await instance.storage.getDynamicPartitions(declared.name);
        if (flags.json) return printJson({ name: declared.name, keys, assets: [...declared.assetKeys] } satisfies PartitionsListJson);
        process.stderr.write(`Dynamic partitions "${declared.name}" (assets ${declared.assetKeys.join(", ")}): ${plural(keys.length, "key")}.\n`);
        if (keys.length > 0) process.stdout.write(`${keys.join("\n")}\n`);
      });
    });
}
