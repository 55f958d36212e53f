/** `sluice materialize` of a multi-asset's output: one step computes it with its siblings. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, describeResult, fixture, lastLine, listRuns, materializeOk, removeTempDirs, runCli, runEvents, showRun, tempDir } from "./helpers.js";

const MULTI = fixture("multi-asset.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

describe("sluice materialize of a multi-asset", () => {
  it("materializes an output with its siblings in the multi-asset's step, then a downstream asset loads it in a later run", async () => {
    const home = tempDir();
    await materializeOk(["-f", MULTI, "--select", "orders"], { home });
    const result = await runCli(["materialize", "-f", MULTI, "--select", "orders/paid"], { home });
    expect(result.code, describeResult(result)).toBe(0);
    const runId = lastLine(result.stdout);
    const run = await showRun(home, runId);
    expect(run.status).toBe("SUCCESS");
    expect(run.selection).toEqual(["orders/paid"]);
    expect(run.steps!.map((s) => [s.key, s.status])).toEqual([["split_orders", "SUCCESS"]]);
    const events = await runEvents(home, runId);
    expect(events.filter((e) => e.type === "ASSET_MATERIALIZATION").map((e) => [e.assetKey, e.stepKey])).toEqual([
      ["orders/paid", "split_orders"],
      ["orders/open", "split_orders"],
    ]);
    expect(events.some((e) => e.type === "LOG" && e.message.includes('also materializes "orders/open", which the run did not select'))).toBe(true);

    const later = await runCli(["materialize", "-f", MULTI, "--select", "revenue"], { home });
    expect(later.code, describeResult(later)).toBe(0);
    expect((await showRun(home, lastLine(later.stdout))).status).toBe("SUCCESS");
  });

  it("refuses run config given under an output's key instead of the multi-asset's name (exit 2, no run)", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", MULTI, "--select", "orders/paid", "-c", JSON.stringify({ ops: { "orders/paid": { config: {} } } })], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain('this run has no asset or op named "orders/paid"');
    expect(await listRuns(home)).toEqual([]);
  });
});
