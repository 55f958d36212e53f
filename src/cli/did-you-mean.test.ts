import { describe, expect, it } from "vitest";
import { didYouMean } from "./did-you-mean.js";

describe("didYouMean", () => {
  it("suggests the closest name at most two edits away, a swap counting as one", () => {
    expect(didYouMean("clen", ["clean", "report"])).toBe(' (did you mean "clean"?)');
    expect(didYouMean("reoprt", ["clean", "report"])).toBe(' (did you mean "report"?)');
    expect(didYouMean("raw/ordres", ["raw/orders", "raw/order"])).toBe(' (did you mean "raw/orders"?)');
  });

  it("suggests nothing when every name is further away", () => {
    expect(didYouMean("nope", ["clean", "report"])).toBe("");
    expect(didYouMean("x", [])).toBe("");
  });
});
