import { describe, expect, it } from "vitest";
import { AutomationCondition } from "../definitions/automation/automation-condition.js";
import type { ConditionSnapshot } from "../definitions/automation/automation-condition.js";
import type { ConditionNodeEvaluation } from "../storage/automation-records.js";
import { conditionNodeText, formatConditionTree, formatEvaluationHeader, formatEvaluationLine, partitionCount, requestedText } from "./condition-tree-format.js";

/** An evaluated tree shaped like `snapshot`, each node true for the counts `counts` gives by path. */
function evaluated(snapshot: ConditionSnapshot, candidates: number, counts: Record<string, number>, path = "0"): ConditionNodeEvaluation {
  const trueCount = counts[path] ?? 0;
  return {
    type: snapshot.type,
    label: snapshot.label,
    description: snapshot.description,
    params: snapshot.params,
    candidateCount: candidates,
    trueCount,
    trueKeys: [],
    children: snapshot.children.map((c, i) => evaluated(c, candidates, counts, `${path}.${i}`)),
  };
}

describe("formatConditionTree", () => {
  it("prints eager() one node per line, indented, with true/false and labels", () => {
    const tree = evaluated(AutomationCondition.eager().toJSON(), 1, { "0": 1, "0.0": 1, "0.1": 1, "0.1.0": 1, "0.1.0.1": 1, "0.2": 1, "0.3": 1, "0.4": 1 });
    expect(formatConditionTree(tree, { partitioned: false })).toEqual([
      "✓ true   eager (all of)",
      "  ✓ true   in latest time window",
      "  ✓ true   since",
      "    ✓ true   trigger: any of",
      "      ✗ false  newly_missing (newly true)",
      "        ✗ false  missing",
      "      ✓ true   any_deps_updated (any deps match)",
      "        ✗ false  any of",
      "          ✗ false  newly updated",
      "          ✗ false  will be requested",
      "    ✗ false  reset: handled (any of)",
      "      ✗ false  newly requested",
      "      ✗ false  newly updated",
      "  ✓ true   not",
      "    ✗ false  any_deps_missing (any deps match)",
      "      ✗ false  all of",
      "        ✗ false  missing",
      "        ✗ false  not",
      "          ✗ false  will be requested",
      "  ✓ true   not",
      "    ✗ false  any_deps_in_progress (any deps match)",
      "      ✗ false  in progress",
      "  ✓ true   not",
      "    ✗ false  in progress",
    ]);
  });

  it("adds k of n partitions to every node of a partitioned asset", () => {
    const condition = AutomationCondition.inLatestTimeWindow().and(AutomationCondition.missing()).withLabel("fill latest");
    const lines = formatConditionTree(evaluated(condition.toJSON(), 10, { "0": 1, "0.0": 1, "0.1": 3 }), { partitioned: true });
    expect(lines).toEqual([
      "✓ true   fill latest (all of)  [1 of 10 partitions]",
      "  ✓ true   in latest time window  [1 of 10 partitions]",
      "  ✓ true   missing  [3 of 10 partitions]",
    ]);
  });

  it("names the cron of a leaf and the deps a deps condition considers", () => {
    const condition = AutomationCondition.cronTickPassed("0 * * * *", "Europe/Berlin").or(AutomationCondition.anyDepsUpdated({ ignore: ["raw"] }));
    const lines = formatConditionTree(evaluated(condition.toJSON(), 1, {}), { partitioned: false });
    expect(lines[0]).toBe("✗ false  any of");
    expect(lines[1]).toBe('  ✗ false  cron tick "0 * * * *" (Europe/Berlin) passed');
    expect(lines[2]).toBe('  ✗ false  any_deps_updated (any deps match (ignoring "raw"))');
  });

  it("colours the marks with the functions given", () => {
    const lines = formatConditionTree(evaluated(AutomationCondition.missing().not().toJSON(), 1, { "0": 1 }), {
      partitioned: false,
      colorTrue: (t) => `<g>${t}</g>`,
      colorFalse: (t) => `<r>${t}</r>`,
    });
    expect(lines).toEqual(["<g>✓ true </g>  not", "  <r>✗ false</r>  missing"]);
  });
});

describe("conditionNodeText", () => {
  it("keeps a leaf's description and a label apart", () => {
    expect(conditionNodeText({ type: "missing", label: "gone", description: "missing" })).toEqual({ label: "gone", text: "missing" });
    expect(conditionNodeText({ type: "and", label: null, description: "a and b" })).toEqual({ label: null, text: "all of" });
  });
});

describe("headers and one-line summaries", () => {
  const base = { assetKey: "daily", evaluationId: 7, evaluatedAt: Date.UTC(2026, 11, 7, 18, 0), requestedCount: 0, requestedKeys: [], runIds: [] };

  it("says what an evaluation requested and where it went", () => {
    expect(formatEvaluationHeader(base, false)).toEqual(['Asset "daily": evaluation 7 at 2026-12-07T18:00:00.000Z', "Requested: nothing"]);
    expect(formatEvaluationHeader({ ...base, requestedCount: 1, requestedKeys: [""], runIds: ["run-1"] }, false)).toEqual([
      'Asset "daily": evaluation 7 at 2026-12-07T18:00:00.000Z',
      "Requested: a run",
      "Runs: run-1",
    ]);
    expect(requestedText({ requestedCount: 3, requestedKeys: ["a", "b"] }, true)).toBe("3 partitions: a, b (first 2 of 3)");
    expect(partitionCount(1, 1)).toBe("1 of 1 partition");
    expect(partitionCount(0, 0)).toBe("no partitions");
  });

  it("summarizes an evaluation on one line", () => {
    const tree = evaluated(AutomationCondition.missing().toJSON(), 5, { "0": 2 });
    const line = formatEvaluationLine({ ...base, requestedCount: 2, requestedKeys: ["x", "y"], runIds: ["abcdef0123"], tree }, true);
    expect(line).toBe("     7  2026-12-07T18:00:00.000Z  2 of 5 partitions       requested 2 partitions: x, y  runs abcdef01");
  });
});
