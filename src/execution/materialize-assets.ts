import { randomUUID } from "node:crypto";
import type { AssetDefinition } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import { SelectionError } from "../definitions/errors.js";
import { selectAssets } from "../definitions/selection/select-assets.js";
import type { Storage } from "../storage/storage.js";
import type { EventListener } from "./event-writer.js";
import type { RunResult } from "./execute-run.js";
import { runInForeground } from "./foreground-run.js";
import { prepareRun } from "./prepare-run.js";
import { normalizeRunConfig } from "./run-config.js";
import { partitionTags } from "./run-partition.js";

/** Job name of runs that materialize an ad-hoc selection of assets (as Dagster's `__ASSET_JOB`). */
export const ASSET_JOB_NAME = "__asset_job";

/** What to materialize, and how. */
export interface MaterializeOptions {
  /** A selection expression (`group:ingest+`), or assets / keys. Default: every asset. */
  selection?: string | readonly (string | AssetDefinition<any>)[];
  /** Run config, or several merged in order: `{ ops: { KEY: { config } }, resources: { NAME: { config } } }`. */
  config?: unknown;
  tags?: Record<string, string>;
  /**
   * The partition to materialize; required when the selection has partitioned assets (they must
   * share one partitions definition), refused otherwise.
   */
  partitionKey?: string | null;
  /** Steps at the same time, at most (default: the Definitions' executor setting, 4). */
  maxConcurrent?: number;
  signal?: AbortSignal;
  /** Called with each event of the run once it is stored. */
  onEvent?: EventListener;
  runId?: string;
}

/** Where runs are recorded and values stored. */
export interface RunTarget {
  storage: Storage;
  /** Directory of the default IO manager's files. */
  storageDir: string;
}

/** Resolves a selection to asset keys in topological order; throws SelectionError when it matches none. */
export function resolveSelection(defs: Definitions, selection: MaterializeOptions["selection"]): string[] {
  if (selection === undefined) return defs.assetGraph.keys();
  if (typeof selection === "string") {
    const keys = selectAssets(selection, defs.assetGraph);
    if (keys.length === 0) {
      throw new SelectionError(
        `Selection "${selection}" matched no assets. List them with: sluice asset list`,
        selection,
      );
    }
    return keys;
  }
  const wanted = new Set(selection.map((s) => (typeof s === "string" ? s : s.key)));
  for (const key of wanted) {
    if (!defs.assets.has(key)) {
      throw new SelectionError(`Asset "${key}" is not in these definitions. List them with: sluice asset list`, key);
    }
  }
  return defs.assetGraph.keys().filter((k) => wanted.has(k));
}

/**
 * Materializes a selection of assets in this process and records the run (QUEUED, then claimed
 * by this process, so a daemon never launches it twice). Config and the partition are checked and
 * env vars resolved before the run is recorded: a ConfigError, MissingEnvVarError, SelectionError
 * or PartitionError is thrown and no run is created. A failing step does not throw: the result
 * says what failed.
 */
export async function materializeAssets(target: RunTarget, defs: Definitions, options: MaterializeOptions = {}): Promise<RunResult> {
  const keys = resolveSelection(defs, options.selection);
  const config = normalizeRunConfig(options.config);
  const partitionKey = options.partitionKey ?? null;
  const { partitions } = prepareRun(defs, { kind: "assets", keys }, config, { key: partitionKey, newRun: true });
  return runInForeground(
    target,
    defs,
    {
      runId: options.runId ?? randomUUID(),
      jobName: ASSET_JOB_NAME,
      selection: keys,
      selectionExpression: typeof options.selection === "string" ? options.selection : null,
      partition: partitionKey,
      config,
      tags: { ...(options.tags ?? {}), ...partitionTags(partitions, partitionKey) },
    },
    { maxConcurrent: options.maxConcurrent, signal: options.signal, onEvent: options.onEvent },
  );
}
