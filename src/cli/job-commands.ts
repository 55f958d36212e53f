import type { Command } from "commander";
import { loadDynamicPartitions } from "../runs/dynamic-partitions.js";
import { executeJob } from "../runs/execute-job.js";
import { newRun } from "../runs/new-run.js";
import { unknownJobError } from "../execution/plan.js";
import { mergeConfigs } from "../execution/run-config.js";
import { UsageError } from "../definitions/errors.js";
import { collect, loadFromOptions, openInstance, printJson, readConfigArg, readTagsArg, withInstance, type LocationOptions } from "./cli-context.js";
import { table } from "./format.js";
import { partitionKeysFromFlags, type PartitionFlags } from "./partition-args.js";
import { runSeriesInTerminal } from "./run-output.js";

/** `sluice job list|execute`. */
export function registerJobCommands(program: Command): void {
  const jobCmd = program.command("job").description("list and execute jobs");
  jobCmd
    .command("list")
    .description("jobs of the definitions")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--json", "print [{name, type, description, steps, tags}]")
    .action(async (flags: LocationOptions & { json?: boolean }) => {
      const { defs } = await loadFromOptions(flags);
      const jobs = [...defs.jobs.values()].map((j) => ({
        name: j.definition.name,
        type: j.definition.jobType,
        description: j.definition.description ?? null,
        steps: j.stepKeys,
        tags: j.definition.tags,
      }));
      if (flags.json) return printJson(jobs);
      if (jobs.length === 0) return void process.stderr.write("No jobs defined.\n");
      process.stdout.write(`${table([["JOB", "TYPE", "STEPS", "DESCRIPTION"], ...jobs.map((j) => [j.name, j.type, String(j.steps.length), j.description ?? ""])])}\n`);
    });
  jobCmd
    .command("execute")
    .description("execute a job now and wait; prints the run id")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("-j, --job <name>", "the job to execute")
    .option("--partition <key>", "the partition to materialize (asset jobs of partitioned assets)")
    .option("--partition-range <start...end>", "execute the job for each partition from START to END (both included), one run each")
    .option("-c, --config <json|file>", "run config as JSON or a .json/.yaml file; repeatable, merged in order", collect)
    .option("--tags <json>", "run tags as a JSON object of strings")
    .action(async (flags: LocationOptions & PartitionFlags & { job?: string; config?: string[]; tags?: string }) => {
      if (!flags.job) throw new UsageError("job execute needs -j NAME. List jobs with: sluice job list");
      const { defs } = await loadFromOptions(flags);
      const config = mergeConfigs((flags.config ?? []).map(readConfigArg));
      const tags = readTagsArg(flags.tags);
      const job = defs.jobs.get(flags.job);
      if (!job) throw unknownJobError(defs, flags.job);
      const instance = await openInstance(flags);
      let partitionKeys: (string | null)[];
      try {
        // A range of dynamic partitions is read from the instance's keys.
        if (flags.partitionRange !== undefined) await loadDynamicPartitions(defs, instance.storage);
        partitionKeys = partitionKeysFromFlags(flags, job.partitions, `job "${flags.job}"`);
      } catch (err) {
        await instance.close();
        throw err;
      }
      await runSeriesInTerminal(
        instance,
        job.stepKeys.length,
        partitionKeys.map((partitionKey) => ({
          label: partitionKey,
          run: (terminal) => executeJob(instance, defs, flags.job!, { config, tags, partitionKey, ...terminal }),
        })),
      );
    });
  jobCmd
    .command("launch")
    .description("queue a run of a job for the daemon (or a worker) to start; prints the run id at once")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("-j, --job <name>", "the job to launch")
    .option("--partition <key>", "the partition to materialize (asset jobs of partitioned assets)")
    .option("-c, --config <json|file>", "run config as JSON or a .json/.yaml file; repeatable, merged in order", collect)
    .option("--tags <json>", "run tags as a JSON object of strings")
    .action(async (flags: LocationOptions & { job?: string; config?: string[]; tags?: string; partition?: string }) => {
      if (!flags.job) throw new UsageError("job launch needs -j NAME. List jobs with: sluice job list");
      const { defs } = await loadFromOptions(flags);
      if (!defs.jobs.has(flags.job)) throw unknownJobError(defs, flags.job);
      const config = (flags.config ?? []).map(readConfigArg);
      const tags = readTagsArg(flags.tags);
      await withInstance(flags, async (instance) => {
        await loadDynamicPartitions(defs, instance.storage);
        const record = newRun({ defs, target: { job: flags.job! }, config, tags, partition: flags.partition ?? null });
        const run = await instance.storage.createRun(record);
        process.stderr.write(`Queued run of ${flags.job}; the daemon will start it.\n`);
        process.stdout.write(`${run.runId}\n`);
      });
    });
}
