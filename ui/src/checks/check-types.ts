/**
 * Shapes of the asset checks endpoints' JSON (`GET /api/assets/:key/checks`, `…/evaluations`),
 * declared in src/server/api-types.ts, and how the UI names an evaluation's outcome.
 */
import type { CheckEvaluationJson, CheckSummaryJson } from "../../../src/server/api-types";

export type {
  AssetCheckJson,
  AssetChecksJson,
  CheckEvaluationJson,
  CheckEvaluationsPageJson,
  CheckSummaryJson,
} from "../../../src/server/api-types";

/** Where an evaluation counts in a summary: a throw, an ERROR failure, a WARN failure, a pass. */
export type CheckOutcome = Exclude<keyof CheckSummaryJson, "missing">;

/** The outcome of an evaluation (as the server counts it, src/server/check-json.ts). */
export function outcomeOf(e: Pick<CheckEvaluationJson, "status" | "passed" | "severity">): CheckOutcome {
  if (e.status === "EXECUTION_FAILED") return "executionFailed";
  if (e.passed) return "passed";
  return e.severity === "WARN" ? "warning" : "failed";
}

/** The words and colour (a `.badge` class) of each outcome. */
export const OUTCOME_LOOK: Record<CheckOutcome | "missing", { label: string; tone: "ok" | "bad" | "warn" | "muted" }> = {
  passed: { label: "passed", tone: "ok" },
  failed: { label: "failed", tone: "bad" },
  warning: { label: "warning", tone: "warn" },
  executionFailed: { label: "errored", tone: "bad" },
  missing: { label: "not evaluated", tone: "muted" },
};

/** The key a run's selection names a check by: `ASSET:CHECK`. */
export function checkKey(assetKey: string, checkName: string): string {
  return `${assetKey}:${checkName}`;
}

/** The API path of an asset's checks. */
export function checksPath(assetKey: string): string {
  return `/assets/${assetKey.split("/").map(encodeURIComponent).join("/")}/checks`;
}

/** A check summary as a short string ("" for none): a lineage node is redrawn, a filter re-applied, when it changes. */
export function checkSummarySignature(s: CheckSummaryJson | null | undefined): string {
  return s ? `${s.passed},${s.failed},${s.warning},${s.missing},${s.executionFailed}` : "";
}
