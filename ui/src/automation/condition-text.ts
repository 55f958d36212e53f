/** How a condition node is put in words (the same words as `sluice automation explain`). */

/** Combinators are named by what they combine: their children follow, so their description would repeat them. */
const COMBINATOR_WORDS: Readonly<Record<string, string>> = {
  and: "all of",
  or: "any of",
  not: "not",
  since: "since",
  newly_true: "newly true",
  any_deps_match: "any deps match",
  all_deps_match: "all deps match",
};

/** A node's label (null without one) and its words. */
export function conditionNodeText(node: { type: string; label: string | null; description: string }): { label: string | null; text: string } {
  const word = COMBINATOR_WORDS[node.type];
  if (word === undefined) return { label: node.label, text: node.description };
  const deps = node.type === "any_deps_match" || node.type === "all_deps_match" ? (/( \((?:of |ignoring )[^()]*\))$/.exec(node.description)?.[1] ?? "") : "";
  return { label: node.label, text: `${word}${deps}` };
}

/** What a child is to its parent when its position matters (`since`: the trigger, then the reset). */
export function childRole(parentType: string, index: number): string | null {
  return parentType === "since" ? (index === 0 ? "trigger" : "reset") : null;
}

/** "3 of 10 partitions"; "no partitions" for a node evaluated on none (deps of an asset without deps). */
export function partitionCount(trueCount: number, candidateCount: number): string {
  if (candidateCount === 0) return "no partitions";
  return `${trueCount} of ${candidateCount} partition${candidateCount === 1 ? "" : "s"}`;
}

/** What an evaluation requested: "nothing", "a run", "3 partitions". */
export function requestedText(requestedCount: number, partitioned: boolean): string {
  if (requestedCount === 0) return "nothing";
  return partitioned ? `${requestedCount} partition${requestedCount === 1 ? "" : "s"}` : "a run";
}
