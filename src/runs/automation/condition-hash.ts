import { createHash } from "node:crypto";
import type { ConditionSnapshot } from "../../definitions/automation/automation-condition.js";

/** A hash of a condition tree (types, labels, params, shape): a state made for another tree is dropped. */
export function conditionHash(snapshot: ConditionSnapshot): string {
  return createHash("sha256").update(JSON.stringify(snapshot)).digest("hex").slice(0, 32);
}

/** A hash of an evaluation's result (every node's true keys, in the tree's order): an equal result is not kept again. */
export function resultHash(trueKeysByPath: readonly (readonly string[])[]): string {
  return createHash("sha1").update(JSON.stringify(trueKeysByPath)).digest("hex");
}
