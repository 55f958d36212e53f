import { describe, expect, it } from "vitest";
import { InputLimitError } from "./errors.js";
import { checkName, checkRunConfig, checkSelectionKeys, checkTags, InputLimits } from "./input-limits.js";

function refusal(fn: () => void): InputLimitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputLimitError);
    return err as InputLimitError;
  }
  throw new Error("expected an InputLimitError");
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { level: value };
  return value;
}

describe("checkTags", () => {
  it("accepts tags at the limits", () => {
    const tags = Object.fromEntries(Array.from({ length: InputLimits.tagCount }, (_, i) => [`k${i}`, "v".repeat(500)]));
    expect(() => checkTags(tags, "body.tags")).not.toThrow();
    expect(() => checkTags({ ["k".repeat(InputLimits.tagKeyLength)]: "v".repeat(InputLimits.tagValueLength) }, "body.tags")).not.toThrow();
  });

  it("names the tag whose value is too long, its length and the limit", () => {
    const error = refusal(() => checkTags({ team: "data", note: "x".repeat(20 * 1024 * 1024) }, "body.tags"));
    expect(error).toMatchObject({ code: "INPUT_TOO_LARGE", path: "body.tags.note", limit: 4096 });
    expect(error.message).toContain("body.tags.note: the value is 20,971,520 characters long; at most 4,096 are allowed");
  });

  it("refuses too many tags, a key too long, and too much in all", () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"]));
    expect(refusal(() => checkTags(many, "--tags"))).toMatchObject({ path: "--tags", limit: 100, message: expect.stringContaining("101 tags") });
    const longKey = refusal(() => checkTags({ ["k".repeat(300)]: "v" }, "body.tags"));
    expect(longKey.message).toContain("300 characters long; at most 256");
    const bulky = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, "v".repeat(4000)]));
    expect(refusal(() => checkTags(bulky, "body.tags"))).toMatchObject({ path: "body.tags", limit: InputLimits.tagsTotalLength });
  });
});

describe("checkRunConfig", () => {
  it("accepts config within the limits", () => {
    expect(() => checkRunConfig(nested(InputLimits.runConfigDepth), "body.config")).not.toThrow();
    expect(() => checkRunConfig({ ops: { a: { config: { blob: "x".repeat(200_000) } } } }, "body.config")).not.toThrow();
  });

  it("refuses config nested too deep, even a million levels, without overflowing the stack", () => {
    expect(refusal(() => checkRunConfig(nested(InputLimits.runConfigDepth + 1), "body.config"))).toMatchObject({ path: "body.config", limit: 32 });
    const deep = JSON.parse(`${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`) as unknown;
    expect(refusal(() => checkRunConfig(deep, "-c")).message).toContain("-c is nested more than 32 levels deep");
  });

  it("refuses config over its size as JSON, counted in UTF-8 bytes", () => {
    const error = refusal(() => checkRunConfig({ ops: { a: { config: { blob: "é".repeat(140_000) } } } }, "body.config"));
    expect(error).toMatchObject({ path: "body.config", limit: 262_144 });
    expect(error.message).toMatch(/body\.config is 280,0\d\d bytes as JSON; at most 262,144 are allowed/);
  });
});

describe("checkSelectionKeys and checkName", () => {
  it("bounds the number and length of asset keys", () => {
    expect(() => checkSelectionKeys(["a", "b"], "body.selection")).not.toThrow();
    expect(refusal(() => checkSelectionKeys(Array.from({ length: 10_001 }, (_, i) => `k${i}`), "body.selection"))).toMatchObject({ path: "body.selection", limit: 10_000 });
    expect(refusal(() => checkSelectionKeys(["a", "x".repeat(1025)], "body.selection"))).toMatchObject({ path: "body.selection.1", limit: 1024 });
  });

  it("bounds a name", () => {
    expect(() => checkName("x".repeat(1024), "body.job")).not.toThrow();
    expect(refusal(() => checkName("x".repeat(1025), "body.partition")).message).toContain("body.partition");
  });
});
