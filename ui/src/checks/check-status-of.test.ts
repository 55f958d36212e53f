import { describe, expect, it } from "vitest";
import type { SelectableAsset } from "../../../src/definitions/selection/select-assets.js";
import { applySelection } from "../lineage/selection-filter";
import { checkStatusOf, type AssetWithChecks } from "./check-status-of";
import type { CheckSummaryJson } from "./check-types";

const summary = (counts: Partial<CheckSummaryJson>): CheckSummaryJson => ({ passed: 0, failed: 0, warning: 0, missing: 0, executionFailed: 0, ...counts });

// As GET /api/assets returns them: each asset's check summary, null without checks.
const assets: (AssetWithChecks & SelectableAsset)[] = [
  { key: "ok", group: "g", deps: [], tags: {}, owners: [], kinds: [], checkSummary: summary({ passed: 2 }) },
  { key: "failed", group: "g", deps: [], tags: {}, owners: [], kinds: [], checkSummary: summary({ passed: 1, failed: 1, warning: 1 }) },
  { key: "errored", group: "g", deps: [], tags: {}, owners: [], kinds: [], checkSummary: summary({ executionFailed: 1 }) },
  { key: "warned", group: "g", deps: [], tags: {}, owners: [], kinds: [], checkSummary: summary({ passed: 1, warning: 1 }) },
  { key: "half_run", group: "g", deps: [], tags: {}, owners: [], kinds: [], checkSummary: summary({ passed: 1, missing: 1 }) },
  { key: "failed_and_missing", group: "g", deps: [], tags: {}, owners: [], kinds: [], checkSummary: summary({ failed: 1, missing: 1 }) },
  { key: "unchecked", group: "g", deps: ["ok"], tags: {}, owners: [], kinds: [], checkSummary: null, staleness: { status: "STALE" }, freshness: { status: "OVERDUE" } },
  { key: "versioned", group: "g", deps: [], tags: {}, owners: [], kinds: [], checkSummary: null, staleness: { status: "UP_TO_DATE" }, freshness: { status: "FRESH" } },
];

const select = (expression: string) => {
  const outcome = applySelection(expression, assets, checkStatusOf(assets));
  return outcome.ok ? [...outcome.keys].sort() : outcome.message;
};

describe("status: in the lineage filter", () => {
  it("answers the check statuses as the server does (src/runs/asset-statuses.ts)", () => {
    expect(select("status:check_failed")).toEqual(["errored", "failed", "failed_and_missing"]);
    expect(select("status:check_warning")).toEqual(["warned"]);
    expect(select("status:check_missing")).toEqual(["failed_and_missing", "half_run"]);
    expect(select("status:check_passed")).toEqual(["ok"]);
    expect(select("status:check_passed+")).toEqual(["ok", "unchecked"]);
  });

  it("answers stale, fresh and overdue from each asset's staleness and freshness", () => {
    expect(select("status:stale")).toEqual(["unchecked"]);
    expect(select("status:overdue")).toEqual(["unchecked"]);
    expect(select("status:fresh")).toEqual(["versioned"]);
    expect(select("not status:stale and not status:check_failed")).toEqual(["half_run", "ok", "versioned", "warned"]);
  });

  it("is an error without statusOf, as before", () => {
    const outcome = applySelection("status:check_failed", assets);
    expect(outcome.ok).toBe(false);
  });
});
