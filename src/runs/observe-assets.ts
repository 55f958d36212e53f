import type { Definitions } from "../definitions/definitions.js";
import type { RunResult } from "../execution/execute-run.js";
import type { EventListener } from "../execution/run-event-writer.js";
import { loadDynamicPartitions } from "./dynamic-partitions.js";
import { runInForeground } from "./foreground-run.js";
import { newRun } from "./new-run.js";
import type { AssetSelection, RunDestination } from "./run-target.js";

/** What to observe, and how. */
export interface ObserveOptions {
  /** A selection expression or assets / keys; only its observable source assets are observed (default: all of them). */
  selection?: AssetSelection;
  config?: unknown;
  tags?: Record<string, string>;
  /** The partition to observe, for partitioned observable assets. */
  partitionKey?: string | null;
  maxConcurrent?: number;
  signal?: AbortSignal;
  onEvent?: EventListener;
  runId?: string;
}

/**
 * Observes the observable source assets of a selection in this process: one run (recorded, like
 * every run) whose steps call their `observe` functions and record ASSET_OBSERVATION events.
 * Throws UsageError when the selection holds no observable source asset (nothing is recorded).
 */
export async function observeAssets(destination: RunDestination, defs: Definitions, options: ObserveOptions = {}): Promise<RunResult> {
  await loadDynamicPartitions(defs, destination.storage);
  const run = newRun({
    defs,
    target: { assets: options.selection, observe: true },
    config: options.config,
    tags: options.tags ?? {},
    partition: options.partitionKey ?? null,
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
  });
  return runInForeground(destination, defs, run, { maxConcurrent: options.maxConcurrent, signal: options.signal, onEvent: options.onEvent });
}
