/**
 * Asset check evaluations as the HTTP API returns them, and the per-asset counts that badges show
 * (`checkSummary` of `GET /api/assets` and `GET /api/assets/:key`).
 */
import type { CheckEvaluationRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { DefinitionsSnapshot } from "../instance/snapshot.js";
import { iso } from "./api-json.js";
import type { CheckEvaluationJson, CheckSummaryJson } from "./api-types.js";

/** An evaluation record, timestamps as ISO strings. */
export function checkEvaluationJson(record: CheckEvaluationRecord): CheckEvaluationJson {
  return {
    eventId: record.eventId,
    checkName: record.checkName,
    assetKey: record.assetKey,
    partition: record.partition,
    runId: record.runId,
    timestamp: iso(record.timestamp),
    status: record.status,
    passed: record.passed,
    severity: record.severity,
    description: record.description,
    metadata: record.metadata,
  };
}

/** Where an evaluation's outcome is counted in a {@link CheckSummaryJson}. */
export type CheckOutcome = Exclude<keyof CheckSummaryJson, "missing">;

/** The bucket of an evaluation: a throw, an ERROR failure, a WARN failure, or a pass. */
export function outcomeOf(e: Pick<CheckEvaluationRecord, "status" | "passed" | "severity">): CheckOutcome {
  if (e.status === "EXECUTION_FAILED") return "executionFailed";
  if (e.passed) return "passed";
  return e.severity === "WARN" ? "warning" : "failed";
}

const BADNESS: Record<CheckOutcome, number> = { passed: 0, warning: 1, failed: 2, executionFailed: 3 };

/**
 * The worse of two evaluations (the later one when equally bad): a partitioned asset's check is
 * as healthy as its worst partition.
 */
export function worseEvaluation<E extends Pick<CheckEvaluationRecord, "status" | "passed" | "severity" | "eventId">>(a: E | undefined, b: E): E {
  if (!a) return b;
  const diff = BADNESS[outcomeOf(b)] - BADNESS[outcomeOf(a)];
  return diff > 0 || (diff === 0 && b.eventId > a.eventId) ? b : a;
}

/** A summary with every count 0. */
export function emptyCheckSummary(): CheckSummaryJson {
  return { passed: 0, failed: 0, warning: 0, missing: 0, executionFailed: 0 };
}

/**
 * The check summary of each asset of the snapshot that has checks (of `keys` when given), from the
 * latest evaluation per (asset, check, partition); assets without checks are absent. Evaluations of
 * checks no longer defined are left out: the badge counts what the definitions declare.
 */
export async function checkSummaries(storage: Storage, snapshot: DefinitionsSnapshot, keys?: readonly string[]): Promise<Map<string, CheckSummaryJson>> {
  const wanted = keys ? new Set(keys) : null;
  const withChecks = snapshot.assets.filter((a) => a.checks.length > 0 && (!wanted || wanted.has(a.key)));
  const out = new Map<string, CheckSummaryJson>();
  if (withChecks.length === 0) return out;
  const latest = await storage.getLatestCheckEvaluations(withChecks.map((a) => a.key));
  const worst = new Map<string, CheckEvaluationRecord>();
  for (const e of latest) {
    const id = `${e.assetKey}\u0000${e.checkName}`;
    worst.set(id, worseEvaluation(worst.get(id), e));
  }
  for (const asset of withChecks) {
    const summary = emptyCheckSummary();
    for (const check of asset.checks) {
      const e = worst.get(`${asset.key}\u0000${check.name}`);
      summary[e ? outcomeOf(e) : "missing"] += 1;
    }
    out.set(asset.key, summary);
  }
  return out;
}
