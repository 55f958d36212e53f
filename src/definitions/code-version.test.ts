import { describe, expect, it } from "vitest";
import { asset } from "./asset.js";
import { DefinitionError, UsageError } from "./errors.js";
import { output } from "./output.js";

describe("asset({ codeVersion })", () => {
  it("keeps the code version given, and null without one", () => {
    expect(asset({ key: "a", codeVersion: "v2", run: () => 1 }).codeVersion).toBe("v2");
    expect(asset({ key: "a", run: () => 1 }).codeVersion).toBeNull();
  });

  it("refuses an empty, too long or non-string code version, naming the asset and how to fix it", () => {
    for (const bad of ["", "x".repeat(257), 2 as unknown as string]) {
      let caught: unknown;
      try {
        asset({ key: "clean/orders", codeVersion: bad, run: () => 1 });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(DefinitionError);
      expect((caught as Error).message).toMatch(/^Asset "clean\/orders": codeVersion must be a string of 1 to 256 characters, got .+\. Use a short label/);
    }
    expect(asset({ key: "a", codeVersion: "x".repeat(256), run: () => 1 }).codeVersion).toHaveLength(256);
  });
});

describe("output(value, { dataVersion })", () => {
  it("carries the data version given", () => {
    expect(output([1], { dataVersion: "sha-1" }).dataVersion).toBe("sha-1");
    expect(output([1]).dataVersion).toBeUndefined();
  });

  it("refuses an empty or too long data version", () => {
    expect(() => output(1, { dataVersion: "" })).toThrow(UsageError);
    expect(() => output(1, { dataVersion: "x".repeat(257) })).toThrow(/dataVersion must be a string of 1 to 256 characters, got a string of 257 characters/);
  });
});
