import { randomUUID } from "node:crypto";
import type { Definitions } from "../definitions/definitions.js";
import type { EventListener } from "./event-writer.js";
import type { RunResult } from "./execute-run.js";
import { runInForeground } from "./foreground-run.js";
import { unknownJobError } from "./plan.js";
import type { RunTarget } from "./materialize-assets.js";
import { effectiveRunConfig, prepareRun } from "./prepare-run.js";
import { normalizeRunConfig } from "./run-config.js";
import { partitionTags } from "./run-partition.js";

/** How to execute a job now. */
export interface ExecuteJobOptions {
  /** Run config, or several merged in order (over the job's own default config). */
  config?: unknown;
  tags?: Record<string, string>;
  /** The partition to materialize (asset jobs of partitioned assets need one). */
  partitionKey?: string | null;
  maxConcurrent?: number;
  signal?: AbortSignal;
  onEvent?: EventListener;
  runId?: string;
}

/**
 * Executes a job in this process and waits, recording the run like any other. Throws UsageError
 * for an unknown job, and ConfigError, MissingEnvVarError or PartitionError before recording anything.
 * @example
 * const result = await executeJob(instance, defs, "monthly_credit_allocation_job", {
 *   config: { ops: { bill_storage_credits: { config: { target_date: "2025-12-15" } } } },
 * });
 */
export async function executeJob(target: RunTarget, defs: Definitions, jobName: string, options: ExecuteJobOptions = {}): Promise<RunResult> {
  const job = defs.jobs.get(jobName);
  if (!job) throw unknownJobError(defs, jobName);
  const given = normalizeRunConfig(options.config);
  const spec = { kind: "job", jobName } as const;
  const partitionKey = options.partitionKey ?? null;
  const { partitions } = prepareRun(defs, spec, given, { key: partitionKey, newRun: true });
  return runInForeground(
    target,
    defs,
    {
      runId: options.runId ?? randomUUID(),
      jobName,
      selection: job.stepKeys,
      partition: partitionKey,
      config: effectiveRunConfig(defs, spec, given),
      tags: { ...job.definition.tags, ...(options.tags ?? {}), ...partitionTags(partitions, partitionKey) },
    },
    { maxConcurrent: options.maxConcurrent, signal: options.signal, onEvent: options.onEvent },
  );
}
