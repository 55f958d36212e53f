import { createHash } from "node:crypto";
import type { ConditionSnapshot } from "../../definitions/automation/automation-condition.js";

/** A hash of a condition tree (types, labels, params, shape): a state made for another tree is dropped. */
export function conditionHash(snapshot: ConditionSnapshot): string {
  return createHash("sha256").update(JSON.stringify(snapshot)).digest("hex").slice(0, 32);
}

/** A hash of an evaluation's result (every node's true keys, by path): an equal result is not kept again. */
export function resultHash(trueKeysByPath: readonly string[]): string {
  const hash = createHash("sha256");
  for (const entry of trueKeysByPath) hash.update(entry).update("\n");
  return hash.digest("hex").slice(0, 32);
}
