/**
 * What "Materialize N shown assets" sends (ui/src/lineage/selection-filter.ts): the shown keys
 * while they are few, the filter's expression beyond, and the expression selects on the server
 * what it showed in the page (the same evaluator on the same definitions).
 */
import { describe, expect, it } from "vitest";
import { selectAssets } from "../../src/definitions/selection/select-assets.js";
import { InputLimits } from "../../src/definitions/input-limits.js";
import { applySelection, SHOWN_KEYS_LIMIT, shownSelection } from "../../ui/src/lineage/selection-filter.js";

const assets = Array.from({ length: 3300 }, (_, i) => ({ key: `g${i % 3}/a${i}`, group: `g${i % 3}`, deps: i >= 3 ? [`g${(i - 3) % 3}/a${i - 3}`] : [], tags: {}, owners: [], kinds: [] }));

describe("materializing the shown assets", () => {
  it("sends the shown keys up to the limit, the filter's expression beyond it", () => {
    const few = applySelection("key:g0/a1*", assets);
    if (!few.ok) throw new Error(few.message);
    expect(few.keys.length).toBeLessThanOrEqual(SHOWN_KEYS_LIMIT);
    expect(shownSelection("key:g0/a1*", few.keys)).toEqual(few.keys);

    const many = applySelection("group:g1", assets);
    if (!many.ok) throw new Error(many.message);
    expect(many.keys.length).toBeGreaterThan(SHOWN_KEYS_LIMIT);
    expect(shownSelection("group:g1", many.keys)).toBe("group:g1");
    // Within what the server accepts as a key list either way, and the expression selects the same assets there.
    expect(SHOWN_KEYS_LIMIT).toBeLessThanOrEqual(InputLimits.selectionKeys);
    expect(selectAssets("group:g1", { assets })).toEqual(many.keys);
  });
});
