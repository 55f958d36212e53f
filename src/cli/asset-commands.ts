import type { Command } from "commander";
import { assetKindOf } from "../definitions/asset.js";
import { SelectionError, UsageError } from "../definitions/errors.js";
import type { Definitions } from "../definitions/definitions.js";
import { loadDynamicPartitions } from "../runs/dynamic-partitions.js";
import { RUNLESS_RUN_ID } from "../storage/records.js";
import { assetStaleness, describeStaleReason, staleReasonRecord, StalenessStatus, type AssetStaleness } from "../runs/staleness.js";
import { statusValuesOf } from "../definitions/selection/select-assets.js";
import { selectionStatusOf } from "../runs/asset-statuses.js";
import { resolveSelection } from "../runs/run-target.js";
import { loadFromOptions, printJson, withInstance, type LocationOptions } from "./cli-context.js";
import { registerExternalAssetCommands } from "./external-asset-commands.js";
import { table } from "./format.js";
import { registerAssetFreshnessCommand } from "./asset-freshness-command.js";

interface AssetListFlags extends LocationOptions {
  select?: string;
  json?: boolean;
  stale?: boolean;
  home?: string;
}

/** Prints the stale ones of `keys` (in their order): a line each with its reasons, or JSON. */
function printStale(defs: Definitions, keys: readonly string[], staleness: ReadonlyMap<string, AssetStaleness>, json: boolean): void {
  const stale = keys.flatMap((key) => {
    const s = staleness.get(key);
    return s?.status === StalenessStatus.Stale ? [{ key, staleness: s }] : [];
  });
  if (json) {
    printJson(
      stale.map(({ key, staleness: s }) => {
        const node = defs.assetGraph.get(key)!;
        return {
          key,
          stale: true,
          reasons: s.reasons.map(staleReasonRecord),
          stalePartitions: s.stalePartitions,
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
  process.stderr.write(`${stale.length} of ${keys.length} asset${keys.length === 1 ? "" : "s"} stale.\n`);
  if (stale.length === 0) return;
  const rows = stale.map(({ key, staleness: s }) => {
    const partitions = s.stalePartitions.length > 0 ? ` (${s.stalePartitions.length} partition${s.stalePartitions.length === 1 ? "" : "s"})` : "";
    return [key, s.reasons.map(describeStaleReason).join("; ") + partitions];
  });
  process.stdout.write(`${table([["ASSET", "STALE BECAUSE"], ...rows])}\n`);
}

/** `sluice asset list|partitions|report|observe|wipe`. */
export function registerAssetCommands(program: Command): void {
  const asset = program.command("asset").description("list assets, report and observe them, forget materializations");
  asset
    .command("list")
    .description("asset keys in a topological order")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory (read only with --stale, or a selection using status:)")
    .option("--select <expr>", "selection expression (default: all assets)")
    .option("--json", "print [{key, group, deps, tags, owners, kinds, description, kind}] (kind: materializable, external or observable; with --stale: and stale, reasons)")
    .option("--stale", "only the stale assets, with why (reads the instance)")
    .action(async (flags: AssetListFlags) => {
      const { defs } = await loadFromOptions(flags);
      // Only a selection using status: needs the instance.
      const statusOf = statusValuesOf(flags.select ?? "*").length === 0 ? undefined : await withInstance(flags, (instance) => selectionStatusOf(defs, instance.storage, flags.select));
      const keys = flags.select === undefined ? defs.assetGraph.keys() : resolveSelection(defs, flags.select, statusOf);
      if (flags.stale) {
        await withInstance(flags, async (instance) => {
          printStale(defs, keys, await assetStaleness(defs, instance.storage), flags.json === true);
        });
        return;
      }
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
              kind: assetKindOf(defs.assets.get(key)!),
            };
          }),
        );
        return;
      }
      if (keys.length > 0) process.stdout.write(`${keys.join("\n")}\n`);
    });
  asset
    .command("partitions")
    .description("the partitions of a partitioned asset, each with its status and latest materialization")
    .argument("<key>", "asset key")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--json", "print {assetKey, partitions, materialized, failed, inProgress, keys: [{key, status, materialized, runId, timestamp}]}")
    .action(async (key: string, flags: LocationOptions & { json?: boolean }) => {
      const { defs } = await loadFromOptions(flags);
      const def = defs.assets.get(key);
      if (!def) throw new SelectionError(`Asset "${key}" is not in these definitions. List them with: sluice asset list`, key);
      if (!def.partitions) throw new UsageError(`Asset "${key}" is not partitioned.`);
      const partitions = def.partitions;
      const now = new Date();
      await withInstance(flags, async (instance) => {
        await loadDynamicPartitions(defs, instance.storage);
        const [index, statuses] = await Promise.all([instance.storage.getAssetIndex([key]), instance.storage.getAssetPartitionStatuses(key)]);
        const latest = new Map(index.map((row) => [row.partition, row]));
        // The latest attempt (the per-partition status index): a failed retry of a materialized partition is FAILED.
        const statusOf = new Map(statuses.map((row) => [row.partition, row.status as string]));
        const keys = partitions.keys(now).map((k) => {
          const row = latest.get(k);
          const status = statusOf.get(k) ?? "MISSING";
          return { key: k, status, materialized: row !== undefined, runId: row?.runId ?? null, timestamp: row ? new Date(row.timestamp).toISOString() : null };
        });
        const count = (status: string): number => keys.filter((k) => k.status === status).length;
        const materialized = keys.filter((k) => k.materialized).length;
        if (flags.json) return printJson({ assetKey: key, partitions: partitions.toSnapshot(now), materialized, failed: count("FAILED"), inProgress: count("IN_PROGRESS"), keys });
        process.stderr.write(`${partitions.describe()}: ${materialized} of ${keys.length} materialized, ${count("FAILED")} failed, ${count("IN_PROGRESS")} in progress.\n`);
        if (keys.length > 0) {
          process.stdout.write(`${table([["PARTITION", "STATUS", "MATERIALIZED", "RUN", "AT"], ...keys.map((k) => [k.key, k.status, k.materialized ? "yes" : "no", k.runId === RUNLESS_RUN_ID ? "(reported)" : (k.runId ?? ""), k.timestamp ?? ""])])}\n`);
        }
      });
    });
  registerExternalAssetCommands(asset);
  registerAssetFreshnessCommand(asset);
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
