import type { PartitionKeyRange } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import type { EventListener } from "../execution/run-event-writer.js";
import type { RunResult } from "../execution/execute-run.js";
import { loadDynamicPartitions } from "./dynamic-partitions.js";
import { runInForeground } from "./foreground-run.js";
import { newRun } from "./new-run.js";
import type { RunDestination } from "./run-target.js";

/** How to execute a job now. */
export interface ExecuteJobOptions {
  /** Run config, or several merged in order (over the job's own default config). */
  config?: unknown;
  tags?: Record<string, string>;
  /** The partition to materialize (asset jobs of partitioned assets need one). */
  partitionKey?: string | null;
  /** A range of partitions to materialize in one run instead of one key (every partitioned asset needs a backfill policy). */
  partitionRange?: PartitionKeyRange | null;
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
export async function executeJob(destination: RunDestination, defs: Definitions, jobName: string, options: ExecuteJobOptions = {}): Promise<RunResult> {
  await loadDynamicPartitions(defs, destination.storage);
  const run = newRun({
    defs,
    target: { job: jobName },
    config: options.config,
    tags: options.tags ?? {},
    partition: options.partitionKey ?? null,
    partitionRange: options.partitionRange ?? null,
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
  });
  return runInForeground(destination, defs, run, { maxConcurrent: options.maxConcurrent, signal: options.signal, onEvent: options.onEvent });
}
