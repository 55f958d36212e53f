import type { PartitionKeyRange } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import type { EventListener } from "../execution/run-event-writer.js";
import type { RunResult } from "../execution/execute-run.js";
import { selectionStatusOf } from "./asset-statuses.js";
import { loadDynamicPartitions } from "./dynamic-partitions.js";
import { runInForeground } from "./foreground-run.js";
import { newRun } from "./new-run.js";
import type { AssetSelection, RunDestination } from "./run-target.js";

/** What to materialize, and how. */
export interface MaterializeOptions {
  /**
   * A selection expression (`group:ingest+`, `status:check_failed`), or assets / keys (or check
   * keys, to run those checks alone). Default: every asset.
   */
  selection?: AssetSelection;
  /** Run config, or several merged in order: `{ ops: { KEY: { config } }, resources: { NAME: { config } } }`. */
  config?: unknown;
  tags?: Record<string, string>;
  /**
   * The partition to materialize; required when the selection has partitioned assets (they must
   * share one partitions definition), refused otherwise.
   */
  partitionKey?: string | null;
  /** A range of partitions to materialize in one run instead of one key (every partitioned asset needs a backfill policy). */
  partitionRange?: PartitionKeyRange | null;
  /** Steps at the same time, at most (default: the Definitions' executor setting, 4). */
  maxConcurrent?: number;
  signal?: AbortSignal;
  /** Called with each event of the run once it is stored. */
  onEvent?: EventListener;
  runId?: string;
}

/**
 * Materializes a selection of assets in this process and records the run (QUEUED, then claimed
 * by this process, so a daemon never launches it twice). Config and the partition are checked and
 * env vars resolved before the run is recorded: a ConfigError, MissingEnvVarError, SelectionError
 * or PartitionError is thrown and no run is created. A failing step does not throw: the result
 * says what failed.
 */
export async function materializeAssets(destination: RunDestination, defs: Definitions, options: MaterializeOptions = {}): Promise<RunResult> {
  await loadDynamicPartitions(defs, destination.storage);
  const run = newRun({
    defs,
    // status: in the expression is answered from this destination's storage, now.
    target: { assets: options.selection, statusOf: await selectionStatusOf(defs, destination.storage, options.selection) },
    config: options.config,
    tags: options.tags ?? {},
    partition: options.partitionKey ?? null,
    partitionRange: options.partitionRange ?? null,
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
  });
  return runInForeground(destination, defs, run, { maxConcurrent: options.maxConcurrent, signal: options.signal, onEvent: options.onEvent });
}
