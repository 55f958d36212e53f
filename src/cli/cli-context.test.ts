import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfigArg, readTagsArg } from "./cli-context.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-cli-context-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): { code: string; message: string; path?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected an error");
}

describe("readConfigArg", () => {
  it("reads a JSON string, a .json file and a .yaml file", () => {
    writeFileSync(path.join(dir, "a.json"), '{"ops": {"a": {"config": {"n": 1}}}}');
    writeFileSync(path.join(dir, "b.yaml"), "# settings\nops:\n  a:\n    config:\n      n: 2\n");
    expect(readConfigArg('{"ops": {}}')).toEqual({ ops: {} });
    expect(readConfigArg(path.join(dir, "a.json"))).toEqual({ ops: { a: { config: { n: 1 } } } });
    expect(readConfigArg(path.join(dir, "b.yaml"))).toEqual({ ops: { a: { config: { n: 2 } } } });
  });

  it.each([
    ["an empty value", "", /-c "" is empty/],
    ["blanks", "  ", /-c "  " is empty/],
    ["a directory", dir, /is a directory/],
    ["the current directory", ".", /-c \. is a directory/],
    ["/dev/zero, which never ends", "/dev/zero", /-c \/dev\/zero is not a regular file/],
    ["/dev/null", "/dev/null", /is not a regular file/],
    ["a missing file", path.join(dir, "missing.yaml"), /no such file, and not a JSON object either/],
  ])("refuses %s with a ConfigError naming -c", (_what, arg, message) => {
    const error = refusal(() => readConfigArg(arg));
    expect(error.code).toBe("CONFIG_ERROR");
    expect(error.message).toMatch(message);
  });

  it("refuses a FIFO at once instead of waiting for a writer", () => {
    const fifo = path.join(dir, "config.fifo");
    execFileSync("mkfifo", [fifo]);
    expect(refusal(() => readConfigArg(fifo))).toMatchObject({ code: "CONFIG_ERROR", message: expect.stringContaining("is not a regular file") });
  });

  it("refuses a file over 1 MB without reading it whole", () => {
    const big = path.join(dir, "big.json");
    writeFileSync(big, "");
    truncateSync(big, 64 * 1024 * 1024);
    expect(refusal(() => readConfigArg(big))).toMatchObject({ code: "CONFIG_ERROR", message: expect.stringContaining("larger than 1,048,576 bytes") });
  });

  it("refuses config over its limits (InputLimitError)", () => {
    const deep = `${'{"a":'.repeat(40)}1${"}".repeat(40)}`;
    expect(refusal(() => readConfigArg(deep))).toMatchObject({ code: "INPUT_TOO_LARGE", message: expect.stringContaining("nested more than 32 levels") });
    const file = path.join(dir, "large.yaml");
    writeFileSync(file, `ops:\n  a:\n    config:\n      blob: ${"x".repeat(300_000)}\n`);
    expect(refusal(() => readConfigArg(file))).toMatchObject({ code: "INPUT_TOO_LARGE", message: expect.stringContaining("at most 262,144") });
  });
});

describe("readTagsArg", () => {
  it("refuses a tag value over the limit, naming the tag", () => {
    const error = refusal(() => readTagsArg(JSON.stringify({ team: "data", note: "x".repeat(5000) })));
    expect(error).toMatchObject({ code: "INPUT_TOO_LARGE", path: "--tags.note" });
    expect(error.message).toContain("--tags.note: the value is 5,000 characters long; at most 4,096 are allowed");
  });
});
