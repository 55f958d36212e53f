/**
 * The lineage search box's engine: the very parser and evaluator the CLI and the server use
 * (src/definitions/selection, pure TypeScript with no Node import), bundled into the UI so that a
 * selection applies as the user types, without a request.
 */
import { selectAssets, type SelectableAsset, type StatusOf } from "../../../src/definitions/selection/select-assets.js";

/** What a selection expression selects, or why it does not parse. */
export type SelectionOutcome =
  | { ok: true; keys: string[] }
  | { ok: false; message: string; position: number | null };

/**
 * Evaluates `expression` (Dagster's selection syntax) on `assets`, which must be in topological
 * order, as `GET /api/assets` returns them; `statusOf` answers `status:` (without it, `status:` is an
 * error). A parse error comes back with its zero-based position.
 */
export function applySelection(expression: string, assets: readonly SelectableAsset[], statusOf?: StatusOf): SelectionOutcome {
  try {
    return { ok: true, keys: selectAssets(expression, { assets }, statusOf ? { statusOf } : {}) };
  } catch (err) {
    const error = err as { code?: unknown; message?: unknown; position?: unknown };
    // Matched by code, as everywhere in Sluice, not by class.
    if (error?.code === "SELECTION_ERROR") {
      return { ok: false, message: String(error.message), position: typeof error.position === "number" ? error.position : null };
    }
    throw err;
  }
}

/**
 * Up to this many shown assets, "Materialize shown" sends their keys (exactly what the page
 * shows); above it, the filter's expression, which the server evaluates with the same parser on
 * the same definitions: a request that stays small (an expression is at most 10,000 characters)
 * where a key list could pass the server's limits (10,000 keys, 1 MB).
 */
export const SHOWN_KEYS_LIMIT = 1000;

/** What POST /api/runs is given to materialize the assets that `filter` shows (`keys`). */
export function shownSelection(filter: string, keys: readonly string[]): readonly string[] | string {
  return keys.length <= SHOWN_KEYS_LIMIT ? keys : filter;
}
