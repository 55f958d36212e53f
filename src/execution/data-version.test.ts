import { describe, expect, it } from "vitest";
import { dataVersionOf, partitionsDataVersion } from "./data-version.js";

describe("dataVersionOf", () => {
  it("derives the same version from the same code version and inputs, in any order", () => {
    const a = dataVersionOf(undefined, "v1", { "raw/orders": "aaa", customers: "bbb" });
    const b = dataVersionOf(undefined, "v1", { customers: "bbb", "raw/orders": "aaa" });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{24}$/);
  });

  it("derives another version when the code version or an input version changes", () => {
    const base = dataVersionOf(undefined, "v1", { up: "aaa" });
    expect(dataVersionOf(undefined, "v2", { up: "aaa" })).not.toBe(base);
    expect(dataVersionOf(undefined, "v1", { up: "aab" })).not.toBe(base);
    expect(dataVersionOf(undefined, "v1", {})).not.toBe(base);
  });

  it("gives a fresh random version each time without a code version", () => {
    const first = dataVersionOf(undefined, null, { up: "aaa" });
    const second = dataVersionOf(undefined, null, { up: "aaa" });
    expect(first).not.toBe(second);
    expect(first).toMatch(/^[0-9a-f]{24}$/);
  });

  it("keeps the version the asset gave, code version or not", () => {
    expect(dataVersionOf("sha-of-file", "v1", { up: "aaa" })).toBe("sha-of-file");
    expect(dataVersionOf("sha-of-file", null, {})).toBe("sha-of-file");
  });
});

describe("partitionsDataVersion", () => {
  it("is the same for the same partitions at the same versions, whatever their order", () => {
    expect(partitionsDataVersion([["a", "1"], ["b", "2"]])).toBe(partitionsDataVersion([["b", "2"], ["a", "1"]]));
    expect(partitionsDataVersion([["a", "1"], ["b", "2"]])).not.toBe(partitionsDataVersion([["a", "1"], ["b", "3"]]));
    expect(partitionsDataVersion([["a", "1"]])).not.toBe(partitionsDataVersion([["a", "1"], ["b", "2"]]));
  });

  it("is null when a partition read has no version", () => {
    expect(partitionsDataVersion([["a", "1"], ["b", null]])).toBeNull();
  });
});
