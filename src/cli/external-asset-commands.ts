import type { Command } from "commander";
import { errorMessage, UsageError } from "../definitions/errors.js";
import type { MetadataInput } from "../definitions/metadata.js";
import { mergeConfigs } from "../execution/run-config.js";
import { observeAssets } from "../runs/observe-assets.js";
import { checkMaterializationReport, storeReportedMaterialization } from "../runs/report-materialization.js";
import { EventType } from "../storage/records.js";
import { collect, loadFromOptions, openInstance, printJson, readConfigArg, readTagsArg, withInstance, type LocationOptions } from "./cli-context.js";
import { runInTerminal } from "./run-output.js";

interface ReportFlags extends LocationOptions {
  partition?: string;
  metadata?: string;
  description?: string;
  json?: boolean;
}

interface ObserveFlags extends LocationOptions {
  select?: string;
  partition?: string;
  config?: string[];
  tags?: string;
}

/** `sluice asset report` and `sluice asset observe`: external and observable source assets. */
export function registerExternalAssetCommands(asset: Command): void {
  asset
    .command("report")
    .description("record a materialization that happened outside Sluice (an external asset's, or any asset's)")
    .argument("<key>", "asset key")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--partition <key>", "the partition materialized (required for a partitioned asset)")
    .option("--metadata <json>", "metadata of the materialization, a JSON object: '{\"rows\": 120}'")
    .option("--description <text>", "what happened, in words")
    .option("--json", "print {eventId, assetKey, partition, timestamp, metadata}")
    .action(async (key: string, flags: ReportFlags) => {
      const { defs } = await loadFromOptions(flags);
      const report = { assetKey: key, partition: flags.partition ?? null, metadata: readMetadataArg(flags.metadata), description: flags.description ?? null };
      await withInstance(flags, async (instance) => {
        // Checked before anything is stored: a bad report records nothing.
        await checkMaterializationReport(instance.storage, defs, report, "--");
        const event = await storeReportedMaterialization(instance.storage, report);
        if (flags.json) {
          printJson({ eventId: event.id, assetKey: key, partition: event.partition, timestamp: new Date(event.timestamp).toISOString(), metadata: event.data.metadata ?? {} });
          return;
        }
        process.stderr.write(`Reported a materialization of asset "${key}"${event.partition !== null ? ` (partition ${event.partition})` : ""}.\n`);
        process.stdout.write(`${event.id}\n`);
      });
    });
  asset
    .command("observe")
    .description("observe observable source assets now (records their data versions) and wait for the run to end")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--select <expr>", "selection expression (default: every observable source asset)")
    .option("--partition <key>", "the partition to observe (for partitioned observable assets)")
    .option("-c, --config <json|file>", "run config as JSON or a .json/.yaml file; repeatable, merged in order", collect)
    .option("--tags <json>", "run tags as a JSON object of strings")
    .action(async (flags: ObserveFlags) => {
      const { defs } = await loadFromOptions(flags);
      const config = mergeConfigs((flags.config ?? []).map(readConfigArg));
      const tags = readTagsArg(flags.tags);
      const instance = await openInstance(flags);
      await runInTerminal(instance, defs.assets.size, async (terminal) => {
        const result = await observeAssets(instance, defs, { selection: flags.select, config, tags, partitionKey: flags.partition ?? null, ...terminal });
        // The data versions seen, one `KEY[ PARTITION]<tab>VERSION` line each, before the run id.
        const events = await instance.storage.getEvents(result.runId, { types: [EventType.AssetObservation] });
        for (const event of events) {
          process.stdout.write(`${event.assetKey}${event.partition !== null ? ` ${event.partition}` : ""}\t${String(event.data.dataVersion)}\n`);
        }
        return result;
      });
    });
}

/** Parses `--metadata '{"rows": 120}'`: a JSON object (its size is checked with the report). */
function readMetadataArg(arg: string | undefined): MetadataInput | undefined {
  if (arg === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(arg);
  } catch (err) {
    throw new UsageError(`--metadata must be a JSON object, like '{"rows": 120}': ${errorMessage(err)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--metadata must be a JSON object, like '{"rows": 120}'.`);
  }
  return value as MetadataInput;
}
