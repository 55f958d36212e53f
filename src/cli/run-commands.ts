import type { Command } from "commander";
import { RunNotFoundError, UsageError } from "../definitions/errors.js";
import { RunStatus, type EventRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { printJson, withInstance } from "./cli-context.js";
import { duration, eventJson, iso, metadataSummary, runJson, table } from "./format.js";
import { registerRunControlCommands } from "./run-control-commands.js";

interface ListFlags {
  home?: string;
  json?: boolean;
  status?: string;
  job?: string;
  limit?: string;
}

/** `sluice run list|show|logs`. */
export function registerRunCommands(program: Command): void {
  const run = program.command("run").description("inspect runs");
  run
    .command("list")
    .description("runs, newest first")
    .option("--home <dir>", "instance directory")
    .option("--status <status>", `only runs with this status (${Object.values(RunStatus).join(", ")})`)
    .option("--job <name>", "only runs of this job")
    .option("--limit <n>", "at most this many runs", "50")
    .option("--json", "print an array of run objects")
    .action(async (flags: ListFlags) => {
      const status = flags.status?.toUpperCase();
      if (status !== undefined && !(Object.values(RunStatus) as string[]).includes(status)) {
        throw new UsageError(`--status ${flags.status}: not a run status. Use one of ${Object.values(RunStatus).join(", ")}.`);
      }
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1, got ${flags.limit}.`);
      await withInstance(flags, async (instance) => {
        const runs = await instance.storage.listRuns({
          ...(status ? { statuses: [status as RunStatus] } : {}),
          ...(flags.job ? { jobName: flags.job } : {}),
          limit,
        });
        if (flags.json) return printJson(runs.map((r) => runJson(r)));
        if (runs.length === 0) return void process.stderr.write("No runs yet.\n");
        const rows = [["RUN ID", "STATUS", "JOB", "CREATED", "DURATION", "STEPS"]];
        for (const r of runs) {
          rows.push([r.runId, r.status, r.jobName, iso(r.createdAt)!, duration(r.startedAt, r.endedAt), String(r.selection.length)]);
        }
        process.stdout.write(`${table(rows)}\n`);
      });
    });
  run
    .command("show")
    .description("one run and its steps")
    .argument("<runId>", "run id")
    .option("--home <dir>", "instance directory")
    .option("--json", "print {runId, status, jobName, selection, partition, tags, parentRunId, createdAt, startedAt, endedAt, steps}")
    .action(async (runId: string, flags: { home?: string; json?: boolean }) => {
      await withInstance(flags, async (instance) => {
        const record = await getRunOrThrow(instance.storage, runId);
        const steps = await instance.storage.getStepStats(runId);
        if (flags.json) return printJson(runJson(record, steps));
        const lines = [
          `Run:       ${record.runId}`,
          `Status:    ${record.status}`,
          `Job:       ${record.jobName}`,
          ...(record.selectionExpression ? [`Selection: ${record.selectionExpression}`] : []),
          ...(record.partition !== null ? [`Partition: ${record.partition}`] : []),
          `Created:   ${iso(record.createdAt)}`,
          `Started:   ${iso(record.startedAt) ?? "-"}`,
          `Ended:     ${iso(record.endedAt) ?? "-"}`,
          `Duration:  ${duration(record.startedAt, record.endedAt)}`,
          ...(Object.keys(record.tags).length > 0 ? [`Tags:      ${JSON.stringify(record.tags)}`] : []),
          ...(record.parentRunId ? [`Parent:    ${record.parentRunId}`] : []),
          "",
          table([
            ["STEP", "STATUS", "ATTEMPTS", "DURATION"],
            ...steps.map((s) => [s.key, s.status, String(s.attempts), duration(s.startedAt, s.endedAt)]),
          ]),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      });
    });
  run
    .command("logs")
    .description("a run's events, in order")
    .argument("<runId>", "run id")
    .option("--home <dir>", "instance directory")
    .option("--json", "print [{timestamp, type, stepKey, level, message, ...}]")
    .action(async (runId: string, flags: { home?: string; json?: boolean }) => {
      await withInstance(flags, async (instance) => {
        await getRunOrThrow(instance.storage, runId);
        const events = await instance.storage.getEvents(runId);
        if (flags.json) return printJson(events.map(eventJson));
        process.stdout.write(events.map(formatEvent).join(""));
      });
    });
  registerRunControlCommands(run);
}

async function getRunOrThrow(storage: Storage, runId: string) {
  const record = await storage.getRun(runId);
  if (!record) throw new RunNotFoundError(runId);
  return record;
}

function formatEvent(event: EventRecord): string {
  const head = `${iso(event.timestamp)} ${event.level.padEnd(5)} ${event.type.padEnd(21)} ${event.stepKey ?? "-"}`;
  let text = `${head}  ${event.message}`;
  if (event.data.metadata && Object.keys(event.data.metadata).length > 0) text += `  [${metadataSummary(event.data.metadata)}]`;
  if (event.data.error?.stack) text += `\n${indent(event.data.error.stack)}`;
  let cause = event.data.error?.cause;
  while (cause) {
    text += `\n    Caused by: ${cause.className}: ${cause.message}`;
    cause = cause.cause;
  }
  return `${text}\n`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
