import type { Command } from "commander";
import { UsageError } from "../definitions/errors.js";
import { checkTags } from "../definitions/input-limits.js";
import { cancelBackfill, launchBackfill, requireBackfill, resumeBackfill, retryFailedBackfill } from "../runs/backfill-control.js";
import { parsePartitionsArg } from "../runs/backfill-request.js";
import { BackfillStatus, type BackfillPartitionSet, type BackfillRecord } from "../storage/backfill-records.js";
import type { Storage } from "../storage/storage.js";
import { backfillPartitionJson, readBackfillJson } from "../server/backfill-json.js";
import { collect, loadFromOptions, printJson, readTagsArg, withInstance, type LocationOptions } from "./cli-context.js";
import { table } from "./format.js";

interface LaunchFlags extends LocationOptions {
  select?: string;
  job?: string;
  partitions?: string;
  all?: boolean;
  missing?: boolean;
  failed?: boolean;
  tag?: string[];
  tags?: string;
  json?: boolean;
}

/** `sluice backfill launch|list|show|cancel|resume|retry-failed`: recorded here, executed by the daemon. */
export function registerBackfillCommands(program: Command): void {
  const cmd = program.command("backfill").description("launch and follow backfills (executed by the daemon: sluice daemon, dev or start)");
  cmd
    .command("launch")
    .description("record a backfill: one run per partition, launched by the daemon; prints the backfill id")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--select <expr>", "the assets to backfill (a selection expression)")
    .option("-j, --job <name>", "an asset job to backfill")
    .option("--partitions <keys>", "START...END (both included, in the definition's order) or a,b,c")
    .option("--all", "every partition")
    .option("--missing", "partitions not materialized for some asset of the selection")
    .option("--failed", "partitions whose latest materialization failed for some asset of the selection")
    .option("--tag <k=v>", "a tag of the backfill and its runs; repeatable", collect)
    .option("--tags <json>", "tags as a JSON object of strings")
    .option("--json", "print the backfill as JSON")
    .action(async (flags: LaunchFlags) => {
      if ((flags.select === undefined) === (flags.job === undefined)) throw new UsageError("backfill launch needs either --select EXPR or --job NAME (not both).");
      const partitionSet = partitionSetOf(flags);
      const tags = { ...readTagsArg(flags.tags), ...tagsOf(flags.tag ?? []) };
      const { defs } = await loadFromOptions(flags);
      await withInstance(flags, async (instance) => {
        const { backfill, plan } = await launchBackfill(instance.storage, {
          defs,
          target: flags.job !== undefined ? { job: flags.job } : { selection: flags.select! },
          partitionSet,
          tags,
          launchedBy: "cli",
        });
        if (flags.json) return printJson(await readBackfillJson(instance.storage, backfill));
        const keys = plan.backfill.groups[0]!.partitionKeys;
        process.stderr.write(
          `Backfill of ${plural(plan.partitionCount, "partition")} (${keys[0]} to ${keys[keys.length - 1]}), ${plural(plan.runCount, "run")}; ` +
            `the daemon will launch them (sluice daemon, dev or start). Follow it with: sluice backfill show ${backfill.backfillId}\n`,
        );
        if (plan.backfill.groups.length > 1) {
          for (const g of plan.backfill.groups) {
            const own = g.partitionKeys;
            process.stderr.write(`  group ${g.name} (${g.assetKeys.join(", ")}): ${plural(own.length, "partition")} (${own[0]} to ${own[own.length - 1]}), ${plural(g.runCount ?? own.length, "run")}${g.upstream.length ? `, after ${g.upstream.join(", ")}` : ""}\n`);
          }
        }
        process.stdout.write(`${backfill.backfillId}\n`);
      });
    });
  cmd
    .command("list")
    .description("backfills, newest first")
    .option("--home <dir>", "instance directory")
    .option("--status <status>", `only backfills with this status (${Object.values(BackfillStatus).join(", ")})`)
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "print an array of backfill objects")
    .action(async (flags: { home?: string; status?: string; limit: string; json?: boolean }) => {
      const status = flags.status?.toUpperCase();
      if (status !== undefined && !(Object.values(BackfillStatus) as string[]).includes(status)) {
        throw new UsageError(`--status ${flags.status}: not a backfill status. Use one of ${Object.values(BackfillStatus).join(", ")}.`);
      }
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit must be a whole number from 1 to 10000, got ${flags.limit}.`);
      await withInstance(flags, async (instance) => {
        const backfills = await instance.storage.listBackfills({ ...(status ? { statuses: [status as BackfillStatus] } : {}), limit });
        const json = await Promise.all(backfills.map((b) => readBackfillJson(instance.storage, b)));
        if (flags.json) return printJson(json);
        if (json.length === 0) return void process.stderr.write("No backfills yet.\n");
        const rows = [["BACKFILL ID", "STATUS", "TARGET", "PARTITIONS", "SUCCEEDED", "FAILED", "CREATED"]];
        for (const b of json) rows.push([b.backfillId, b.status, targetText(b.target), String(b.partitionCount), String(b.counts.succeeded), String(b.counts.failed), b.createdAt]);
        process.stdout.write(`${table(rows)}\n`);
      });
    });
  cmd
    .command("show")
    .description("one backfill: its counts and partitions")
    .argument("<backfillId>", "backfill id")
    .option("--home <dir>", "instance directory")
    .option("--json", "print {backfill, partitions}")
    .action(async (backfillId: string, flags: { home?: string; json?: boolean }) => {
      await withInstance(flags, async (instance) => {
        const backfill = await requireBackfill(instance.storage, backfillId);
        const json = await readBackfillJson(instance.storage, backfill);
        const partitions = (await instance.storage.getBackfillPartitions(backfillId)).map(backfillPartitionJson);
        if (flags.json) return printJson({ backfill: json, partitions });
        const counts = Object.entries(json.counts).map(([k, n]) => `${k} ${n}`).join(", ");
        process.stdout.write(`Backfill ${json.backfillId}: ${json.status} (${targetText(json.target)}, ${json.partitionCount} partitions; ${counts})\n`);
        if (json.error) process.stdout.write(`${json.error}\n`);
        if (json.groups.length > 1) {
          for (const g of json.groups) {
            const mine = partitions.filter((p) => p.group === g.name);
            const byStatus = Object.keys(json.counts).map((status) => `${status} ${mine.filter((p) => p.status === status).length}`).join(", ");
            process.stdout.write(`  group ${g.name} (${g.assetKeys.join(", ")}${g.upstream.length ? `; after ${g.upstream.join(", ")}` : ""}): ${g.partitionCount} partitions; ${byStatus}\n`);
          }
        }
        const rows = [["PARTITION", "STATUS", "RUN", "RUN STATUS", "REASON"]];
        for (const p of partitions) rows.push([p.group ? `${p.group}:${p.partition}` : p.partition, p.status, p.runId ?? "-", p.runStatus ?? "-", p.reason ?? ""]);
        process.stdout.write(`${table(rows)}\n`);
      });
    });
  controlCommand(cmd, "cancel", "stop launching runs; runs in flight finish, then the backfill is CANCELED", async (storage, id) => {
    const backfill = await cancelBackfill(storage, id);
    return { backfill, message: `Backfill ${id} is ${backfill.status}: no more runs will be launched; runs in flight finish.` };
  });
  controlCommand(cmd, "resume", "put a FAILED or CANCELED backfill back in the daemon's hands for its partitions that did not succeed", async (storage, id) => {
    const { backfill, resumedPartitions } = await resumeBackfill(storage, id);
    return { backfill, message: `Backfill ${id} resumed: ${resumedPartitions} partition${resumedPartitions === 1 ? "" : "s"} to launch again.` };
  });
  controlCommand(cmd, "retry-failed", "a new backfill of the failed and canceled partitions of a finished backfill; prints its id", async (storage, id, flags) => {
    const { defs } = await loadFromOptions(flags);
    const { backfill } = await retryFailedBackfill(storage, defs, id, "cli");
    return { backfill, message: `Backfill ${backfill.backfillId} retries ${backfill.partitionCount} partition${backfill.partitionCount === 1 ? "" : "s"} of ${id}.`, printId: true };
  });
}

function controlCommand(
  cmd: Command,
  name: string,
  description: string,
  act: (storage: Storage, backfillId: string, flags: LocationOptions) => Promise<{ backfill: BackfillRecord; message: string; printId?: boolean }>,
): void {
  cmd
    .command(name)
    .description(description)
    .argument("<backfillId>", "backfill id")
    .option("-f, --file <file>", "definitions file (retry-failed)")
    .option("-m, --module <module>", "definitions module (retry-failed)")
    .option("--home <dir>", "instance directory")
    .option("--json", "print the backfill as JSON")
    .action(async (backfillId: string, flags: LocationOptions & { json?: boolean }) => {
      await withInstance(flags, async (instance) => {
        const { backfill, message, printId } = await act(instance.storage, backfillId, flags);
        if (flags.json) return printJson(await readBackfillJson(instance.storage, backfill));
        process.stderr.write(`${message}\n`);
        if (printId) process.stdout.write(`${backfill.backfillId}\n`);
      });
    });
}

/** Exactly one of --partitions, --all, --missing, --failed. */
function partitionSetOf(flags: LaunchFlags): BackfillPartitionSet {
  const given = [flags.partitions !== undefined, flags.all, flags.missing, flags.failed].filter(Boolean).length;
  if (given !== 1) throw new UsageError("backfill launch needs exactly one of --partitions START...END | --partitions a,b,c | --all | --missing | --failed.");
  if (flags.partitions !== undefined) return parsePartitionsArg(flags.partitions);
  return { kind: flags.all ? "all" : flags.missing ? "missing" : "failed" };
}

/** `--tag k=v` pairs. */
function tagsOf(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--tag ${JSON.stringify(pair)} is not KEY=VALUE, e.g. --tag team=data.`);
    tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  checkTags(tags, "--tag");
  return tags;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function targetText(target: BackfillRecord["target"]): string {
  return target.kind === "job" ? `job ${target.jobName}` : (target.selection ?? target.assetKeys.join(", "));
}
