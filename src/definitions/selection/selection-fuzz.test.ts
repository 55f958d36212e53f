/**
 * Fuzz test of the selection parser and evaluator: thousands of random strings, valid expressions
 * and mutations of them. Each either selects or is refused with a SelectionError; nothing else may
 * come out (no RangeError from deep recursion, no TypeError). The seed is printed; replay a failure
 * with `FUZZ_SEED=<seed> npx vitest run src/definitions/selection/selection-fuzz.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { SelectionError } from "../errors.js";
import { selectAssets, type SelectableGraph } from "./select-assets.js";
import { parseSelection } from "./selection-parser.js";
import { fuzzSeed, selectionSample } from "./testing/selection-fuzz.js";

const graph: SelectableGraph = {
  assets: [
    { key: "raw/orders", group: "ingest", tags: { tier: "" }, owners: ["team:data"], kinds: ["csv"], deps: [] },
    { key: "a", group: "ingest", tags: {}, owners: [], kinds: [], deps: ["raw/orders"] },
    { key: "b", group: "core", tags: { x_1: "a" }, owners: [], kinds: [], deps: ["a"] },
    { key: "orders", group: "core", tags: {}, owners: [], kinds: ["table"], deps: ["a", "b"] },
  ],
};

describe("selection fuzzing", () => {
  const seed = fuzzSeed();
  const sample = selectionSample(seed, 5_000);

  it(`parses or refuses each of ${sample.length} strings with a SelectionError (seed ${seed})`, () => {
    console.log(`[fuzz] selection seed ${seed} (replay with FUZZ_SEED=${seed})`);
    let parsed = 0;
    for (const [i, expression] of sample.entries()) {
      const where = `string #${i} of seed ${seed}: ${JSON.stringify(expression.slice(0, 120))}${expression.length > 120 ? ` (${expression.length} chars)` : ""}`;
      try {
        parseSelection(expression);
        selectAssets(expression, graph);
        parsed++;
      } catch (error) {
        if (!(error instanceof SelectionError)) throw new Error(`${where} threw ${(error as Error)?.stack ?? String(error)}`);
        expect(error.code, where).toBe("SELECTION_ERROR");
        expect(error.position, where).toBeGreaterThanOrEqual(0);
        expect(error.position, where).toBeLessThanOrEqual(expression.length);
        // The message stays readable whatever the input's length.
        expect(error.message.length, where).toBeLessThan(1_000);
      }
    }
    // The sample is no pile of garbage only: valid expressions are in it, and they select.
    expect(parsed).toBeGreaterThan(sample.length / 10);
  });
});
