/**
 * An evaluated node, as storage keeps it (ConditionNodeEvaluation) or as the API prints it
 * (ConditionNodeJson): what the printing needs of either.
 */
export interface EvaluatedNode {
  type: string;
  label: string | null;
  description: string;
  candidateCount: number;
  trueCount: number;
  children: readonly EvaluatedNode[];
}

/** How a tree is printed: colours (a terminal) or plain text (a pipe, a test). */
export interface TreeFormatOptions {
  /** Whether the asset is partitioned: "k of n partitions" then follows each node. */
  partitioned: boolean;
  /** Wraps the true / false marks (e.g. picocolors' green and red); identity by default. */
  colorTrue?: (text: string) => string;
  colorFalse?: (text: string) => string;
  /** Dims the descriptions that follow labels. */
  dim?: (text: string) => string;
}

/** Node types whose children say what they are: their own description would repeat the children. */
const COMBINATOR_WORDS: Readonly<Record<string, string>> = {
  and: "all of",
  or: "any of",
  not: "not",
  since: "since",
  newly_true: "newly true",
  any_deps_match: "any deps match",
  all_deps_match: "all deps match",
};

/**
 * What one node says in words: its label (with its description when it is a leaf, whose words add
 * to the label), else its description; a combinator without a label is named by what it combines
 * ("all of", "not"), as its children follow on the next lines.
 */
export function conditionNodeText(node: Pick<EvaluatedNode, "type" | "label" | "description">): { label: string | null; text: string } {
  const word = COMBINATOR_WORDS[node.type];
  if (word !== undefined) {
    // Deps conditions keep the deps they consider ("any deps match (of "a")").
    const suffix = node.type === "any_deps_match" || node.type === "all_deps_match" ? depsSuffixOf(node.description) : "";
    return { label: node.label, text: `${word}${suffix}` };
  }
  return { label: node.label, text: node.description };
}

/** The `(of "a"; ignoring "b")` that a deps condition's description ends with, if any. */
function depsSuffixOf(description: string): string {
  const m = /( \((?:of |ignoring )[^()]*\))$/.exec(description);
  return m ? m[1]! : "";
}

/** The role a child plays under its parent, when the position matters (`since`: trigger, then reset). */
export function childRole(parentType: string, index: number): string | null {
  if (parentType === "since") return index === 0 ? "trigger" : "reset";
  return null;
}

/** `3 of 10 partitions`, `1 of 1 partition`; `no partitions` for a node evaluated on none (deps of an asset without deps). */
export function partitionCount(trueCount: number, candidateCount: number): string {
  if (candidateCount === 0) return "no partitions";
  return `${trueCount} of ${candidateCount} partition${candidateCount === 1 ? "" : "s"}`;
}

/**
 * The condition tree of an evaluation, one node per line, children indented by two spaces: a mark
 * (`✓ true` / `✗ false`), for a partitioned asset how many of its partitions, and the node's label
 * and words.
 *
 * @example
 * formatConditionTree(record.tree, { partitioned: false });
 * // ["✓ true   eager", "  ✓ true   in latest time window", ...]
 */
export function formatConditionTree(root: EvaluatedNode, options: TreeFormatOptions): string[] {
  const lines: string[] = [];
  const colorTrue = options.colorTrue ?? ((t: string) => t);
  const colorFalse = options.colorFalse ?? ((t: string) => t);
  const dim = options.dim ?? ((t: string) => t);
  const visit = (node: EvaluatedNode, depth: number, role: string | null): void => {
    const isTrue = node.trueCount > 0;
    const mark = isTrue ? colorTrue("✓ true ") : colorFalse("✗ false");
    const { label, text } = conditionNodeText(node);
    const words = label !== null ? (text !== label ? `${label} ${dim(`(${text})`)}` : label) : text;
    const count = options.partitioned ? `  ${dim(`[${partitionCount(node.trueCount, node.candidateCount)}]`)}` : "";
    lines.push(`${"  ".repeat(depth)}${mark}  ${role ? `${role}: ` : ""}${words}${count}`);
    node.children.forEach((child, i) => visit(child, depth + 1, childRole(node.type, i)));
  };
  visit(root, 0, null);
  return lines;
}

/** What the header of an explanation needs to know of the evaluation. */
export interface ExplainedEvaluation {
  assetKey: string;
  evaluationId: number;
  evaluatedAt: number;
  requestedCount: number;
  requestedKeys: readonly string[];
  runIds: readonly string[];
}

/**
 * The header of `sluice automation explain`: which evaluation, when, what it requested and the runs
 * the requests went to.
 */
export function formatEvaluationHeader(e: ExplainedEvaluation, partitioned: boolean): string[] {
  const lines = [`Asset "${e.assetKey}": evaluation ${e.evaluationId} at ${new Date(e.evaluatedAt).toISOString()}`];
  lines.push(`Requested: ${requestedText(e, partitioned)}`);
  if (e.requestedCount > 0) lines.push(`Runs: ${e.runIds.length > 0 ? e.runIds.join(", ") : "none (no run was created for the request)"}`);
  return lines;
}

/** `nothing`, `a run`, `3 partitions: 2024-01-01, 2024-01-02, 2024-01-03`, `250 partitions: a, b, ... (first 100)`. */
export function requestedText(e: Pick<ExplainedEvaluation, "requestedCount" | "requestedKeys">, partitioned: boolean): string {
  if (e.requestedCount === 0) return "nothing";
  if (!partitioned) return "a run";
  const keys = e.requestedKeys.join(", ");
  const more = e.requestedCount > e.requestedKeys.length ? ` (first ${e.requestedKeys.length} of ${e.requestedCount})` : "";
  return `${e.requestedCount} partition${e.requestedCount === 1 ? "" : "s"}: ${keys}${more}`;
}

/** One line of `sluice automation explain KEY --limit N`: id, time, what it requested, root result. */
export function formatEvaluationLine(e: ExplainedEvaluation & { tree: EvaluatedNode }, partitioned: boolean): string {
  const result = partitioned ? partitionCount(e.tree.trueCount, e.tree.candidateCount) : e.tree.trueCount > 0 ? "true" : "false";
  const runs = e.runIds.length > 0 ? `  runs ${e.runIds.map((r) => r.slice(0, 8)).join(",")}` : "";
  return `${String(e.evaluationId).padStart(6)}  ${new Date(e.evaluatedAt).toISOString()}  ${result.padEnd(partitioned ? 22 : 5)}  requested ${requestedText(e, partitioned)}${runs}`;
}
