/**
 * `status:` in the lineage filter: the check statuses come from each asset's `checkSummary`, `stale`
 * from its `staleness`, `fresh`/`overdue` from its `freshness` (what `GET /api/assets` returns), with
 * the meaning the server gives them (src/runs/asset-statuses.ts), so the filter applies as the user
 * types, without a request.
 */
import { SelectionError } from "../../../src/definitions/errors.js";
import type { StatusOf } from "../../../src/definitions/selection/select-assets.js";
import { checkSummarySignature, type CheckSummaryJson } from "./check-types";

/** An asset as the filter sees it: its key, check summary (null: no checks), staleness and freshness. */
export interface AssetWithChecks {
  key: string;
  checkSummary: CheckSummaryJson | null;
  staleness?: { status: string } | null;
  freshness?: { status: string } | null;
}

/** The other statuses the page can tell from the asset list, and how. */
const OTHER_VALUES: Record<string, (a: AssetWithChecks) => boolean> = {
  stale: (a) => a.staleness?.status === "STALE",
  fresh: (a) => a.freshness?.status === "FRESH",
  overdue: (a) => a.freshness?.status === "OVERDUE",
};

const CHECK_VALUES = ["check_passed", "check_failed", "check_warning", "check_missing"] as const;
type CheckValue = (typeof CHECK_VALUES)[number];

/** Whether an asset has a check status: failed (ERROR or could not run), warning (WARN, no failure), missing (a check never ran), passed (none of these). */
function has(value: CheckValue, s: CheckSummaryJson): boolean {
  const failed = s.failed + s.executionFailed > 0;
  switch (value) {
    case "check_failed":
      return failed;
    case "check_warning":
      return !failed && s.warning > 0;
    case "check_missing":
      return s.missing > 0;
    case "check_passed":
      return !failed && s.warning === 0 && s.missing === 0;
  }
}

/**
 * The `statusOf` of the lineage filter over `assets`. A status the page cannot tell (one that is
 * not about checks) is a SelectionError saying so, shown under the filter like a parse error.
 */
export function checkStatusOf(assets: readonly AssetWithChecks[]): StatusOf {
  const cache = new Map<string, ReadonlySet<string>>();
  return (value) => {
    const other = OTHER_VALUES[value];
    if (!other && !(CHECK_VALUES as readonly string[]).includes(value)) {
      const known = [...CHECK_VALUES, ...Object.keys(OTHER_VALUES)];
      throw new SelectionError(`status:${value} cannot filter the lineage; the filter knows ${known.map((v) => `status:${v}`).join(", ")}.`, `status:${value}`);
    }
    let keys = cache.get(value);
    if (!keys) {
      const matches = other ?? ((a: AssetWithChecks) => a.checkSummary !== null && has(value as CheckValue, a.checkSummary));
      keys = new Set(assets.filter(matches).map((a) => a.key));
      cache.set(value, keys);
    }
    return keys;
  };
}

/** What the filter's `status:` answers depend on: it re-applies when this changes. */
export function checkStatusFingerprint(assets: readonly AssetWithChecks[]): string {
  return assets
    .filter((a) => a.checkSummary !== null || a.staleness?.status === "STALE" || a.freshness)
    .map((a) => `${a.key}:${checkSummarySignature(a.checkSummary)}:${a.staleness?.status ?? ""}:${a.freshness?.status ?? ""}`)
    .join("|");
}
