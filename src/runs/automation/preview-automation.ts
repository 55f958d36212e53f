import type { Definitions } from "../../definitions/definitions.js";
import type { Storage } from "../../storage/storage.js";
import { evaluateAutomation, type AutomationEvaluation } from "./evaluate-automation.js";

/**
 * Evaluates every asset's automation condition once, from the stored cursor and states, as the
 * automation loop's next evaluation would: launches nothing and records nothing (the loop's next
 * evaluation is unaffected). Throws what `evaluateAutomation` and the storage reads throw.
 */
export async function previewAutomation(defs: Definitions, storage: Storage, now: number = Date.now()): Promise<AutomationEvaluation> {
  const [cursor, states] = await Promise.all([storage.getAutomationCursor(), storage.getAutomationStates()]);
  return evaluateAutomation(defs, storage, { cursor, states: new Map(states.map((s) => [s.assetKey, s])), now });
}
