import type { Definitions } from "../definitions/definitions.js";
import { SelectionError } from "../definitions/errors.js";
import { statusValuesOf, type StatusOf } from "../definitions/selection/select-assets.js";
import type { AssetStatusValue } from "../definitions/selection/selection-ast.js";
import { CheckStatus, type CheckEvaluationRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { freshnessStatuses } from "./asset-freshness.js";
import type { AssetSelection } from "./run-target.js";
import { staleAssetKeys } from "./staleness.js";

/** The `status:` values that asset checks answer. */
export const CHECK_STATUS_VALUES = ["check_passed", "check_failed", "check_warning", "check_missing"] as const satisfies readonly AssetStatusValue[];

type CheckStatusValue = (typeof CHECK_STATUS_VALUES)[number];

/**
 * Reads, from storage, which assets have each of `values` now, and answers `status:` with it
 * (the `statusOf` of selectAssets and resolveSelection). Only the values asked for are read.
 * Check values look at each check's latest evaluation per partition (see ASSET_STATUS_VALUES);
 * `stale` is staleness (src/runs/staleness.ts), `fresh` and `overdue` freshness policies'
 * verdicts now (src/runs/asset-freshness.ts).
 */
export async function assetStatusLookup(defs: Definitions, storage: Storage, values: readonly AssetStatusValue[]): Promise<StatusOf> {
  const sets = new Map<AssetStatusValue, ReadonlySet<string>>();
  const checkValues = values.filter((v): v is CheckStatusValue => (CHECK_STATUS_VALUES as readonly string[]).includes(v));
  if (checkValues.length > 0) {
    const byCheck = await checkStatuses(defs, storage);
    for (const value of checkValues) sets.set(value, byCheck[value]);
  }
  // Staleness (code and data versions) and freshness (policies) are computed from the asset index.
  if (values.includes("stale")) sets.set("stale", await staleAssetKeys(defs, storage));
  if (values.includes("fresh") || values.includes("overdue")) {
    const byFreshness = await freshnessStatuses(defs, storage);
    sets.set("fresh", byFreshness.get("fresh") ?? new Set());
    sets.set("overdue", byFreshness.get("overdue") ?? new Set());
  }
  for (const value of values) {
    if (!sets.has(value)) throw new SelectionError(`status:${value} is not a status Sluice can answer.`, `status:${value}`);
  }
  return (value) => sets.get(value) ?? new Set();
}

/**
 * The `statusOf` a selection needs: undefined for assets or keys, or an expression without
 * `status:` (nothing is read); else the lookup of the values it uses. Throws SelectionError for an
 * expression that does not parse.
 */
export async function selectionStatusOf(defs: Definitions, storage: Storage, selection: AssetSelection | undefined): Promise<StatusOf | undefined> {
  if (typeof selection !== "string") return undefined;
  const values = statusValuesOf(selection);
  return values.length === 0 ? undefined : assetStatusLookup(defs, storage, values);
}

/** Which assets have each check status, from the latest evaluations. */
async function checkStatuses(defs: Definitions, storage: Storage): Promise<Record<CheckStatusValue, Set<string>>> {
  const checksOf = new Map<string, string[]>();
  for (const check of defs.checks.values()) checksOf.set(check.assetKey, [...(checksOf.get(check.assetKey) ?? []), check.name]);
  const latest = await storage.getLatestCheckEvaluations([...checksOf.keys()]);
  const evaluationsOf = new Map<string, CheckEvaluationRecord[]>();
  for (const e of latest) evaluationsOf.set(e.assetKey, [...(evaluationsOf.get(e.assetKey) ?? []), e]);
  const result: Record<CheckStatusValue, Set<string>> = { check_passed: new Set(), check_failed: new Set(), check_warning: new Set(), check_missing: new Set() };
  for (const [assetKey, names] of checksOf) {
    // A check renamed or removed keeps its old evaluations in storage: they say nothing now.
    const current = (evaluationsOf.get(assetKey) ?? []).filter((e) => names.includes(e.checkName));
    const evaluated = new Set(current.map((e) => e.checkName));
    const errors = current.some((e) => e.status === CheckStatus.ExecutionFailed || (!e.passed && e.severity === "ERROR"));
    const warnings = current.some((e) => !e.passed && e.severity === "WARN");
    const missing = names.some((name) => !evaluated.has(name));
    if (missing) result.check_missing.add(assetKey);
    if (errors) result.check_failed.add(assetKey);
    else if (warnings) result.check_warning.add(assetKey);
    else if (!missing) result.check_passed.add(assetKey);
  }
  return result;
}
