import type { Command } from "commander";
import type { AssetCheckDefinition } from "../definitions/asset-check.js";
import type { Definitions } from "../definitions/definitions.js";
import { UsageError } from "../definitions/errors.js";
import { partitionsOf } from "../definitions/partitions/partition-checks.js";
import { materialize } from "../instance/materialize.js";
import { loadDynamicPartitions } from "../runs/dynamic-partitions.js";
import { selectionStatusOf } from "../runs/asset-statuses.js";
import { checkKeysOf, resolveSelection } from "../runs/run-target.js";
import { CheckStatus, type CheckEvaluationRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { collect, loadFromOptions, openInstance, printJson, withInstance, type LocationOptions } from "./cli-context.js";
import { iso, table } from "./format.js";
import { cancelOnSigint, reportRun } from "./run-output.js";
import { partitionKeysFromFlags, type PartitionFlags } from "./partition-args.js";
import { RunProgress } from "./run-progress.js";

interface CheckRunFlags extends LocationOptions, PartitionFlags {
  select?: string;
  check?: string[];
}

interface CheckListFlags extends LocationOptions {
  select?: string;
  json?: boolean;
}

/** `sluice check run|list`: asset checks, run alone or listed with their latest evaluations. */
export function registerCheckCommands(program: Command): void {
  const check = program.command("check").description("run asset checks, list them with their latest results");
  check
    .command("run")
    .description("run the checks of the selected assets now (without materializing them) and wait")
    .option("-f, --file <file>", "definitions file (.ts, .mts, .js, .mjs)")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory (default: $SLUICE_HOME or ./.sluice)")
    .option("--select <expr>", "selection expression: whose checks to run (default: all assets)")
    .option("--check <name>", "only checks with this name; repeatable", collect)
    .option("--partition <key>", "the partition to check (required for partitioned assets)")
    .option("--partition-range <start...end>", "check each partition from START to END (both included), one run each")
    .action(async (flags: CheckRunFlags) => {
      const { defs } = await loadFromOptions(flags);
      const instance = await openInstance(flags);
      const sigint = cancelOnSigint();
      try {
        const statusOf = await selectionStatusOf(defs, instance.storage, flags.select);
        const keys = checksToRun(defs, resolveSelection(defs, flags.select, statusOf), flags.check ?? []);
        const checks = keys.map((key) => defs.checks.get(key)!);
        const assetKeys = [...new Set(checks.map((c) => c.assetKey))];
        await loadDynamicPartitions(defs, instance.storage);
        const partitionKeys = partitionKeysFromFlags(flags, partitionsOf(defs.assets, assetKeys), "the selection");
        const maxConcurrent = instance.settings.execution.max_concurrent;
        for (const [i, partitionKey] of partitionKeys.entries()) {
          if (sigint.signal.aborted) {
            process.stderr.write(`Canceled: ${partitionKeys.length - i} of ${partitionKeys.length} runs were not started.\n`);
            process.exitCode = 1;
            break;
          }
          if (partitionKeys.length > 1) process.stderr.write(`Partition ${partitionKey} (${i + 1}/${partitionKeys.length})\n`);
          const progress = new RunProgress(keys.length);
          let result;
          try {
            result = await materialize(defs, {
              instance,
              selection: keys,
              partitionKey,
              signal: sigint.signal,
              onEvent: progress.onEvent,
              ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
            });
          } finally {
            progress.finish();
          }
          const runId = result.runId;
          const evaluations = (await instance.storage.getLatestCheckEvaluations(assetKeys)).filter((e) => e.runId === runId);
          printResults(checks, evaluations);
          await reportRun(instance.storage, result);
          // A failed non-blocking check leaves the run a success; the command still says it failed.
          if (evaluations.some(failsTheCommand)) process.exitCode = 1;
        }
      } finally {
        sigint.dispose();
        await instance.close();
      }
    });
  check
    .command("list")
    .description("the checks of the selected assets, with their latest evaluation per partition")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--select <expr>", "selection expression (default: all assets)")
    .option("--json", "print [{key, assetKey, name, description, blocking, evaluations: [{partition, status, passed, severity, description, timestamp, runId}]}]")
    .action(async (flags: CheckListFlags) => {
      const { defs } = await loadFromOptions(flags);
      await withInstance(flags, async (instance) => {
        const statusOf = await selectionStatusOf(defs, instance.storage, flags.select);
        const assetKeys = flags.select === undefined ? defs.assetGraph.keys() : resolveSelection(defs, flags.select, statusOf);
        const checks = checkKeysOf(defs, assetKeys).map((key) => defs.checks.get(key)!);
        const listed = await listChecks(instance.storage, checks);
        if (flags.json) return printJson(listed);
        const rows = listed.flatMap((c) =>
          c.evaluations.length === 0
            ? [[c.key, c.blocking ? "yes" : "no", "", "NOT_EVALUATED", "", "", ""]]
            : c.evaluations.map((e) => [c.key, c.blocking ? "yes" : "no", e.partition ?? "", e.status, e.passed ? "" : e.severity, e.timestamp, e.runId]),
        );
        if (rows.length === 0) {
          process.stderr.write("The selected assets have no checks.\n");
          return;
        }
        process.stdout.write(`${table([["CHECK", "BLOCKING", "PARTITION", "STATUS", "SEVERITY", "AT", "RUN"], ...rows])}\n`);
      });
    });
}

/** A check as `check list --json` prints it. */
interface ListedCheck {
  key: string;
  assetKey: string;
  name: string;
  description: string | null;
  blocking: boolean;
  /** The latest evaluation of each partition evaluated (unpartitioned: one, partition null). */
  evaluations: { partition: string | null; status: CheckStatus; passed: boolean; severity: string; description: string | null; timestamp: string; runId: string }[];
}

async function listChecks(storage: Storage, checks: readonly AssetCheckDefinition[]): Promise<ListedCheck[]> {
  const latest = await storage.getLatestCheckEvaluations([...new Set(checks.map((c) => c.assetKey))]);
  return checks.map((c) => ({
    key: c.key,
    assetKey: c.assetKey,
    name: c.name,
    description: c.description ?? null,
    blocking: c.blocking,
    evaluations: latest
      .filter((e) => e.assetKey === c.assetKey && e.checkName === c.name)
      .map((e) => ({ partition: e.partition, status: e.status, passed: e.passed, severity: e.severity, description: e.description, timestamp: iso(e.timestamp), runId: e.runId })),
  }));
}

/**
 * The check keys of the selected assets, only those named by `--check` when given. Throws
 * UsageError when a name matches no check of the selection, or the selection has no check.
 */
function checksToRun(defs: Definitions, assetKeys: readonly string[], names: readonly string[]): string[] {
  const all = checkKeysOf(defs, assetKeys);
  if (all.length === 0) throw new UsageError(`The selected assets have no checks. List the checks with: sluice check list`);
  if (names.length === 0) return all;
  const known = [...new Set(all.map((key) => defs.checks.get(key)!.name))];
  const unknown = names.find((name) => !known.includes(name));
  if (unknown !== undefined) {
    throw new UsageError(`--check "${unknown}" names no check of the selected assets. Their checks: ${known.map((n) => `"${n}"`).join(", ")}.`);
  }
  return all.filter((key) => names.includes(defs.checks.get(key)!.name));
}

/** An ERROR failure, or a check that could not run, makes `check run` exit 1; warnings do not. */
function failsTheCommand(e: CheckEvaluationRecord): boolean {
  return e.status === CheckStatus.ExecutionFailed || (!e.passed && e.severity === "ERROR");
}

/**
 * One line per evaluation on stdout: status (`PASSED`, `FAILED(ERROR)`, `FAILED(WARN)`,
 * `EXECUTION_FAILED`), check key, partition, description; a check that did not run (skipped, or
 * the run was canceled) as `NOT_RUN`.
 */
function printResults(checks: readonly AssetCheckDefinition[], evaluations: readonly CheckEvaluationRecord[]): void {
  const rows: string[][] = [];
  for (const check of checks) {
    const mine = evaluations.filter((e) => e.assetKey === check.assetKey && e.checkName === check.name);
    // Plain text: scripts read stdout (colors would be on under CI).
    if (mine.length === 0) rows.push(["NOT_RUN", check.key, "", ""]);
    for (const e of mine) {
      const status = e.status === CheckStatus.Failed ? `${e.status}(${e.severity})` : e.status;
      rows.push([status, check.key, e.partition ?? "", e.description ?? ""]);
    }
  }
  process.stdout.write(`${table(rows)}\n`);
}
