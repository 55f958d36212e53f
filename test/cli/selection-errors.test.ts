/**
 * `--select` expressions that do not parse, or match nothing: exit 2, a message that points at the
 * problem, and no run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzSeed, selectionSample } from "../../src/definitions/selection/testing/selection-fuzz.js";
import { assertBuilt, describeResult, fixture, listRuns, removeTempDirs, runCli, tempDir } from "./helpers.js";

const PIPELINE = fixture("pipeline.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** The column of the caret under the echoed expression, relative to the expression's start. */
function caretOffset(stderr: string, expression: string): number | undefined {
  const lines = stderr.split("\n");
  const echo = lines.findIndex((l) => l.trimStart() === expression && l.trim() !== "");
  const caretLine = echo === -1 ? undefined : lines[echo + 1];
  if (caretLine === undefined || caretLine.trim() !== "^") return undefined;
  return caretLine.indexOf("^") - lines[echo]!.indexOf(expression);
}

describe("invalid selection expressions", () => {
  it.each([
    ["group:a and", 11, /expected an expression/],
    ["(key:a", 6, /expected "\)"/],
    ["color:red", 0, /unknown attribute "color"/],
  ])("materialize --select %j exits 2 and points at position %i", async (expression, position, problem) => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "--select", expression], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toMatch(problem);
    expect(result.stderr).toContain(`position ${position}`);
    expect(caretOffset(result.stderr, expression), result.stderr).toBe(position);
    expect(await listRuns(home)).toEqual([]);
  });

  it("asset list --select reports the same error", async () => {
    const result = await runCli(["asset", "list", "-f", PIPELINE, "--select", "group:a and"]);
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain("position 11");
    expect(result.stdout).toBe("");
  });
});

describe("selections that match nothing", () => {
  it.each(["key:nope", "group:ingest and group:report"])("materialize --select %j exits 2 and creates no run", async (expression) => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "--select", expression], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain(expression);
    expect(result.stderr).toMatch(/matched no assets/);
    expect(await listRuns(home)).toEqual([]);
  });
});

describe("fuzzed selections", () => {
  // Arguments the OS can pass: no NUL, and under the 128 KiB a single argument may hold on Linux.
  const seed = fuzzSeed();
  const sample = selectionSample(seed, 400)
    .filter((s) => !s.includes("\u0000") && s.length <= 100_000)
    .slice(0, 16);

  it(`asset list --select never exits 1 on ${sample.length} random or pathological strings (seed ${seed})`, { timeout: 300_000 }, async () => {
    console.log(`[fuzz] CLI selection seed ${seed} (replay with FUZZ_SEED=${seed})`);
    for (const [i, expression] of sample.entries()) {
      const result = await runCli(["asset", "list", "-f", PIPELINE, "--select", expression]);
      const where = `string #${i} of seed ${seed} (${expression.length} chars): ${JSON.stringify(expression.slice(0, 80))}\n${describeResult(result)}`;
      expect([0, 2], where).toContain(result.code);
      if (result.code === 2) expect(result.stderr, where).toMatch(/Invalid selection|matched no assets/);
      expect(result.stderr, where).not.toMatch(/RangeError|Unexpected error/);
    }
  });
});
