import type { Command } from "commander";
import pc from "picocolors";
import type { AssetDefinition } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import { UsageError } from "../definitions/errors.js";
import { selectionStatusOf } from "../runs/asset-statuses.js";
import { readAutomationStatus, type AutomationStatus } from "../runs/automation/automation-status.js";
import { previewAutomation } from "../runs/automation/preview-automation.js";
import { resolveSelection } from "../runs/run-target.js";
import type { AssetEvaluationRecord } from "../storage/automation-records.js";
import { InstigatorStatus } from "../storage/records.js";
import { automationEvaluationJson, automationPreviewJson, parseInstantText } from "../server/automation-json.js";
import { loadFromOptions, printJson, withInstance, type LocationOptions } from "./cli-context.js";
import { formatConditionTree, formatEvaluationHeader, formatEvaluationLine, requestedText } from "./condition-tree-format.js";
import { didYouMean } from "./did-you-mean.js";

/**
 * Colours for what goes to stdout: only on a terminal (picocolors alone also colours under CI, which
 * would put escape codes in a file or a pipe a script reads).
 */
const out = pc.createColors(process.stdout.isTTY === true && !("NO_COLOR" in process.env));

/** The most evaluations `--limit` lists (storage keeps at most 500 per asset). */
const MAX_LIMIT = 1000;

type ExplainFlags = LocationOptions & { at?: string; limit?: string; json?: boolean };

/**
 * Adds `explain KEY [--at TIME] [--limit N] [--json]` and `preview [--select EXPR] [--json]` to the
 * `sluice automation` command group.
 */
export function addAutomationExplainCommands(group: Command): void {
  group
    .command("explain")
    .description(
      "why the automation loop did (or did not) request an asset: its latest kept evaluation (or the one at --at) as the condition tree, " +
        "each node true or false; --json: {assetKey, partitioned, condition, evaluation} (with --limit: evaluations)",
    )
    .argument("<key>", "asset key")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--at <time>", "the evaluation kept at or before this time (ISO 8601, UTC without an offset, or epoch ms)")
    .option("--limit <n>", "list the N latest kept evaluations, one per line, instead")
    .option("--json", "print one JSON document")
    .action(async (key: string, flags: ExplainFlags) => {
      const at = flags.at === undefined ? undefined : parseAt(flags.at);
      const limit = flags.limit === undefined ? undefined : parseLimit(flags.limit);
      const { defs } = await loadFromOptions(flags);
      const asset = automatedAsset(defs, key);
      const partitioned = asset.partitions !== undefined;
      const { rows, loop } = await withInstance(flags, async (instance) => {
        const found = await instance.storage.getAutomationEvaluations(key, { limit: limit ?? 1, ...(at !== undefined ? { at } : {}) });
        // Only for the error: whether the loop runs says what to do about it.
        return { rows: found, loop: found.length === 0 && at === undefined ? await readAutomationStatus(instance.storage, defs.automation.defaultStatus, 0) : undefined };
      });
      if (rows.length === 0) throw noEvaluation(key, at, flags.at, loop);
      const condition = asset.automation!.toJSON();
      if (limit !== undefined) {
        if (flags.json) return printJson({ assetKey: key, partitioned, condition, evaluations: rows.map(automationEvaluationJson) });
        process.stdout.write(`${rows.map((r) => formatEvaluationLine({ ...r, assetKey: key }, partitioned)).join("\n")}\n`);
        return;
      }
      if (flags.json) return printJson({ assetKey: key, partitioned, condition, evaluation: automationEvaluationJson(rows[0]!) });
      process.stdout.write(`${explanation(rows[0]!, partitioned).join("\n")}\n`);
    });

  group
    .command("preview")
    .description(
      "evaluate every automation condition once, from the stored cursor and states, launching and recording nothing; " +
        "prints the runs it would request and each requested asset's condition tree (--json: {evaluationId, evaluatedAt, evaluatedAssets, requests, assets})",
    )
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--select <expr>", "show only the requests and trees of these assets (every asset is still evaluated)")
    .option("--json", "print one JSON document")
    .action(async (flags: LocationOptions & { select?: string; json?: boolean }) => {
      const { defs } = await loadFromOptions(flags);
      await withInstance(flags, async (instance) => {
        const selected = flags.select === undefined ? undefined : new Set(resolveSelection(defs, flags.select, await selectionStatusOf(defs, instance.storage, flags.select)));
        const preview = automationPreviewJson(defs, await previewAutomation(defs, instance.storage), selected);
        if (flags.json) return printJson(preview);
        if (preview.evaluatedAssets === 0) {
          process.stdout.write("No asset has an automation condition: nothing to evaluate. Add one with asset({ ..., automation: AutomationCondition.eager() }).\n");
          return;
        }
        const lines = [`Preview of evaluation ${preview.evaluationId} (${preview.evaluatedAssets} automated asset${preview.evaluatedAssets === 1 ? "" : "s"}); nothing is launched or recorded.`];
        if (preview.requests.length === 0) {
          lines.push("", "Nothing to request.");
        } else {
          lines.push("", `Would request ${preview.requests.length} run${preview.requests.length === 1 ? "" : "s"}:`);
          for (const r of preview.requests) lines.push(`  ${r.assetKeys.join(", ")}${r.partition !== null ? `  (partition ${r.partition})` : ""}`);
          for (const a of preview.assets) {
            lines.push("", out.bold(`Asset "${a.assetKey}": requested ${requestedText(a, a.partitioned)}`));
            lines.push(...formatConditionTree(a.tree, treeOptions(a.partitioned)));
          }
        }
        process.stdout.write(`${lines.join("\n")}\n`);
      });
    });
}

function treeOptions(partitioned: boolean) {
  return { partitioned, colorTrue: out.green, colorFalse: out.red, dim: out.dim };
}

/** The header and tree of one kept evaluation. */
function explanation(record: AssetEvaluationRecord, partitioned: boolean): string[] {
  return [...formatEvaluationHeader(record, partitioned).map((l, i) => (i === 0 ? out.bold(l) : l)), "", ...formatConditionTree(record.tree, treeOptions(partitioned))];
}

/** The asset, which must be defined and have a condition; a UsageError saying what to do otherwise. */
function automatedAsset(defs: Definitions, key: string): AssetDefinition {
  const asset = defs.assets.get(key);
  if (!asset) throw new UsageError(`Asset "${key}" is not defined${didYouMean(key, [...defs.assets.keys()])}. List assets with: sluice asset list`);
  if (!asset.automation) {
    const automated = [...defs.assets.values()].filter((a) => a.automation).map((a) => a.key);
    throw new UsageError(
      `Asset "${key}" has no automation condition, so the automation loop never evaluates it. ` +
        `Give it one, e.g. asset({ key: "${key}", automation: AutomationCondition.eager(), ... }).` +
        (automated.length > 0 ? ` Assets with one: ${automated.slice(0, 10).join(", ")}${automated.length > 10 ? ", ..." : ""}.` : ""),
    );
  }
  return asset;
}

function noEvaluation(key: string, at: number | undefined, atText: string | undefined, loop: AutomationStatus | undefined): UsageError {
  if (at !== undefined) {
    return new UsageError(`Asset "${key}" has no kept evaluation at or before ${atText} (${new Date(at).toISOString()}). List its evaluations with: sluice automation explain ${key} --limit 20`);
  }
  const state =
    loop === undefined || loop.status === InstigatorStatus.Stopped
      ? `It is STOPPED${loop?.isDefault ? " (by default)" : ""}: start it with "sluice automation start", and run "sluice dev" or "sluice daemon".`
      : loop.cursor === undefined
        ? `It is RUNNING but has evaluated nothing yet: is "sluice dev" or "sluice daemon" running for this instance?`
        : `It is RUNNING (last evaluation ${loop.cursor.evaluationId}${loop.cursor.evaluatedAt !== null ? ` at ${new Date(loop.cursor.evaluatedAt).toISOString()}` : ""}) and will evaluate it while a daemon runs.`;
  return new UsageError(
    `Asset "${key}" has not been evaluated yet: the automation loop has not evaluated it. Is it started? ${state} ` +
      `See what it would do now with "sluice automation preview".`,
  );
}

function parseAt(text: string): number {
  const at = parseInstantText(text);
  if (at === undefined) {
    throw new UsageError(`--at "${text}" is not a time. Use ISO 8601 (2026-12-07T18:00:00Z, or 2026-12-07T19:00:00+01:00; without an offset, UTC) or epoch milliseconds.`);
  }
  return at;
}

function parseLimit(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new UsageError(`--limit "${text}" must be a whole number from 1 to ${MAX_LIMIT}.`);
  return n;
}
