import type { Definitions } from "../definitions/definitions.js";
import type { AutomationEvaluation } from "../runs/automation/evaluate-automation.js";
import type { AssetEvaluationRecord, ConditionNodeEvaluation } from "../storage/automation-records.js";
import { iso } from "./api-json.js";
import type { AutomationEvaluationJson, AutomationPreviewJson, ConditionNodeJson } from "./api-types.js";

/** An evaluated condition node as the API and `--json` print it. */
export function conditionNodeJson(node: ConditionNodeEvaluation): ConditionNodeJson {
  return {
    type: node.type,
    label: node.label,
    description: node.description,
    params: { ...node.params },
    candidateCount: node.candidateCount,
    trueCount: node.trueCount,
    trueKeys: [...node.trueKeys],
    children: node.children.map(conditionNodeJson),
  };
}

/** A kept evaluation, with its time as ISO 8601. */
export function automationEvaluationJson(record: AssetEvaluationRecord): AutomationEvaluationJson {
  return {
    id: record.id,
    evaluationId: record.evaluationId,
    evaluatedAt: iso(record.evaluatedAt),
    requestedCount: record.requestedCount,
    requestedKeys: [...record.requestedKeys],
    runIds: [...record.runIds],
    tree: conditionNodeJson(record.tree),
  };
}

/**
 * What a preview found: the runs it would request, and the tree of each asset it would request;
 * with `selected`, only the requests that include a selected asset and the selected assets' trees
 * (the evaluation itself covers every asset: a request depends on its upstream assets' ones).
 */
export function automationPreviewJson(defs: Definitions, evaluation: AutomationEvaluation, selected?: ReadonlySet<string>): AutomationPreviewJson {
  const wanted = (key: string): boolean => selected === undefined || selected.has(key);
  return {
    evaluationId: evaluation.evaluationId,
    evaluatedAt: iso(evaluation.evaluatedAt),
    evaluatedAssets: evaluation.allEvaluations.length,
    requests: evaluation.requests.filter((r) => r.assetKeys.some(wanted)).map((r) => ({ assetKeys: [...r.assetKeys], partition: r.partition })),
    assets: evaluation.allEvaluations
      .filter((e) => e.requestedCount > 0 && wanted(e.assetKey))
      .map((e) => ({
        assetKey: e.assetKey,
        partitioned: defs.assets.get(e.assetKey)?.partitions !== undefined,
        requestedCount: e.requestedCount,
        requestedKeys: [...e.requestedKeys],
        tree: conditionNodeJson(e.tree),
      })),
  };
}

/** Digits only: epoch milliseconds. */
const EPOCH_MS = /^\d{1,15}$/;
/** A calendar date, optionally with a time of day and an offset (what Date.parse reads reliably). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Reads a point in time given as epoch milliseconds or as ISO 8601 (`2026-12-07`,
 * `2026-12-07T18:00:00Z`, `...+01:00`; without an offset, UTC); undefined when it is neither.
 */
export function parseInstantText(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH_MS.test(trimmed)) return Number(trimmed);
  if (!ISO_TIME.test(trimmed)) return undefined;
  // Without an offset Date.parse reads a date-time as local time: UTC is what CLI.md promises.
  const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) && trimmed.length > 10;
  const normalized = trimmed.replace(" ", "T");
  const ms = Date.parse(hasOffset || normalized.length === 10 ? normalized : `${normalized}Z`);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls over impossible days (2026-02-30 → 2026-03-02): refuse them.
  const [year, month, day] = trimmed.slice(0, 10).split("-").map(Number) as [number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return ms;
}
