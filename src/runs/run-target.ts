/**
 * What a run executes and where it is recorded: the job name of asset runs, the destination of
 * runs (storage and the default IO manager's directory), a selection of assets resolved to keys,
 * and the target a stored run asks for.
 */
import type { AssetDefinition } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import { SelectionError } from "../definitions/errors.js";
import { selectAssets } from "../definitions/selection/select-assets.js";
import type { RunTarget } from "../execution/prepare-run.js";
import type { RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";

/** Job name of runs that materialize an ad-hoc selection of assets (as Dagster's `__ASSET_JOB`). */
export const ASSET_JOB_NAME = "__asset_job";

/** Where runs are recorded and values stored. */
export interface RunDestination {
  storage: Storage;
  /** Directory of the default IO manager's files. */
  valuesDir: string;
}

/** Resolves a selection to asset keys in topological order; throws SelectionError when it matches none. */
export function resolveSelection(defs: Definitions, selection: AssetSelection | undefined): string[] {
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

/** Assets to materialize: a selection expression (`group:ingest+`), or assets or their keys. */
export type AssetSelection = string | readonly (string | AssetDefinition<any>)[];

/** What a run record asks to execute. */
export function targetOfRun(run: RunRecord): RunTarget {
  return run.jobName === ASSET_JOB_NAME
    ? { kind: "assets", keys: run.selection }
    : { kind: "job", jobName: run.jobName, stepKeys: run.selection };
}
