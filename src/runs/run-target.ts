/**
 * What a run executes and where it is recorded: the job name of asset runs, the destination of
 * runs (storage and the default IO manager's directory), a selection of assets resolved to keys,
 * and the target a stored run asks for.
 */
import type { AssetDefinition } from "../definitions/asset.js";
import { isCheckKey, type AssetCheckDefinition } from "../definitions/asset-check.js";
import type { Definitions } from "../definitions/definitions.js";
import { SelectionError } from "../definitions/errors.js";
import { selectAssets, type StatusOf } from "../definitions/selection/select-assets.js";
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

/**
 * Resolves a selection to asset keys in topological order; throws SelectionError when it matches
 * none. A list may also name checks (`orders:row_count`, or the check itself): their keys follow
 * the assets' in the order given, and the run executes those checks (without their assets unless
 * listed too). Throws SelectionError naming an unknown asset or check. An expression using
 * `status:` needs `statusOf` (from `selectionStatusOf` in asset-statuses.ts), else SelectionError.
 */
export function resolveSelection(defs: Definitions, selection: AssetSelection | undefined, statusOf?: StatusOf): string[] {
  if (selection === undefined) return defs.assetGraph.keys();
  if (typeof selection === "string") {
    const keys = selectAssets(selection, defs.assetGraph, statusOf ? { statusOf } : {});
    if (keys.length === 0) {
      throw new SelectionError(
        `Selection "${selection}" matched no assets. List them with: sluice asset list`,
        selection,
      );
    }
    return keys;
  }
  const wanted = new Set(selection.map((s) => (typeof s === "string" ? s : s.key)));
  const checks: string[] = [];
  for (const key of wanted) {
    if (defs.checks.has(key)) {
      checks.push(key);
    } else if (isCheckKey(key)) {
      throw new SelectionError(`Check "${key}" is not in these definitions. List them with: sluice check list`, key);
    } else if (!defs.assets.has(key)) {
      throw new SelectionError(`Asset "${key}" is not in these definitions. List them with: sluice asset list`, key);
    }
  }
  return [...defs.assetGraph.keys().filter((k) => wanted.has(k)), ...checks];
}

/**
 * The keys of the checks of these assets: in the order of the assets given, each asset's in
 * declaration order (inline, then listed), e.g. for a run of the checks alone.
 */
export function checkKeysOf(defs: Definitions, assetKeys: readonly string[]): string[] {
  const byAsset = new Map<string, string[]>();
  for (const check of defs.checks.values()) byAsset.set(check.assetKey, [...(byAsset.get(check.assetKey) ?? []), check.key]);
  return [...new Set(assetKeys)].flatMap((key) => byAsset.get(key) ?? []);
}

/** Assets to materialize: a selection expression (`group:ingest+`), or assets or their keys (or checks, or their keys, to run alone). */
export type AssetSelection = string | readonly (string | AssetDefinition<any> | AssetCheckDefinition<any>)[];

/** What a run record asks to execute. */
export function targetOfRun(run: RunRecord): RunTarget {
  return run.jobName === ASSET_JOB_NAME
    ? { kind: "assets", keys: run.selection }
    : { kind: "job", jobName: run.jobName, stepKeys: run.selection };
}
