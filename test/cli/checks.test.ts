/** `sluice check run` and `sluice check list` end to end: results printed, exit codes, the JSON listing. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, describeResult, fixture, ISO_TIME, lastLine, materializeOk, removeTempDirs, RUN_ID, runCli, showRun, tempDir, cliJson } from "./helpers.js";

const CHECKS = fixture("checks.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** The result lines of `check run` (every stdout line but the last, the run id), columns split. */
function resultLines(stdout: string): string[][] {
  return stdout.trim().split("\n").slice(0, -1).map((line) => line.trim().split(/\s{2,}/));
}

describe("sluice check run", () => {
  it("runs the checks alone on stored values: 1 when one cannot run, 0 when they pass, 0 on a warning", async () => {
    const home = tempDir();
    const never = await runCli(["check", "run", "-f", CHECKS, "--select", "orders"], { home });
    expect(never.code, describeResult(never)).toBe(1);
    expect(resultLines(never.stdout)).toEqual([
      ["EXECUTION_FAILED", "orders:not_empty", expect.stringContaining('Check "orders:not_empty" has nothing to check: asset "orders" has never been materialized')],
      ["EXECUTION_FAILED", "orders:under_limit", expect.stringContaining("has never been materialized")],
    ]);

    await materializeOk(["-f", CHECKS, "--select", "orders"], { home });
    const passing = await runCli(["check", "run", "-f", CHECKS, "--select", "orders"], { home });
    expect(passing.code, describeResult(passing)).toBe(0);
    expect(resultLines(passing.stdout)).toEqual([
      ["PASSED", "orders:not_empty", "3 rows"],
      ["PASSED", "orders:under_limit", "3 rows"],
    ]);
    const run = await showRun(home, lastLine(passing.stdout));
    expect(run.selection).toEqual(["orders:not_empty", "orders:under_limit"]);
    expect(run.steps!.map((s) => s.key)).toEqual(["orders:not_empty", "orders:under_limit"]);

    await materializeOk(["-f", CHECKS, "--select", "orders"], { home, env: { ORDER_ROWS: "7" } });
    const warned = await runCli(["check", "run", "-f", CHECKS, "--select", "orders", "--check", "under_limit"], { home });
    expect(warned.code, describeResult(warned)).toBe(0);
    expect(resultLines(warned.stdout)).toEqual([["FAILED(WARN)", "orders:under_limit", "7 rows"]]);
  });

  it("exits 1 when a check fails with ERROR; the blocking check skips the asset's downstream in materialize", async () => {
    const home = tempDir();
    const materialized = await runCli(["materialize", "-f", CHECKS, "--select", "orders+"], { home, env: { ORDER_ROWS: "0" } });
    expect(materialized.code, describeResult(materialized)).toBe(1);
    expect(materialized.stderr).toContain('orders:not_empty: CheckFailedError: blocking check "orders:not_empty" failed: 0 rows');
    const run = await showRun(home, lastLine(materialized.stdout));
    expect(run.steps!.map((s) => [s.key, s.status])).toEqual([
      ["orders", "SUCCESS"],
      ["orders:not_empty", "FAILURE"],
      ["orders:under_limit", "SUCCESS"],
      ["report", "SKIPPED"],
    ]);
    const failed = await runCli(["check", "run", "-f", CHECKS, "--select", "orders", "--check", "not_empty"], { home });
    expect(failed.code, describeResult(failed)).toBe(1);
    expect(resultLines(failed.stdout)).toEqual([["FAILED(ERROR)", "orders:not_empty", "0 rows"]]);
    const listed = await runCli(["asset", "list", "-f", CHECKS, "--select", "status:check_failed or status:check_missing"], { home });
    expect(listed.code, describeResult(listed)).toBe(0);
    expect(listed.stdout).toBe("orders\nsales\n");
    // No asset here has a freshness policy: status:fresh selects nothing, which materialize refuses.
    const refused = await runCli(["materialize", "-f", CHECKS, "--select", "status:fresh"], { home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Selection "status:fresh" matched no assets');
  });

  it("checks one partition, and refuses bad input with exit 2 and no run", async () => {
    const home = tempDir();
    const noKey = await runCli(["check", "run", "-f", CHECKS, "--select", "sales"], { home });
    expect(noKey.code, describeResult(noKey)).toBe(2);
    expect(noKey.stderr).toMatch(/partition/i);
    const unknown = await runCli(["check", "run", "-f", CHECKS, "--select", "orders", "--check", "nope"], { home });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--check "nope" names no check of the selected assets. Their checks: "not_empty", "under_limit".');
    const none = await runCli(["check", "run", "-f", CHECKS, "--select", "report"], { home });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("The selected assets have no checks.");
    expect(await cliJson<unknown[]>(["run", "list", "--json"], { home })).toEqual([]);

    await materializeOk(["-f", CHECKS, "--select", "sales", "--partition", "eu"], { home });
    const eu = await runCli(["check", "run", "-f", CHECKS, "--select", "sales", "--partition", "eu"], { home });
    expect(eu.code, describeResult(eu)).toBe(0);
    expect(resultLines(eu.stdout)).toEqual([["PASSED", "sales:positive", "eu"]]);
    expect(lastLine(eu.stdout)).toMatch(RUN_ID);
    // One run per partition: us was never materialized, so its check cannot run.
    const both = await runCli(["check", "run", "-f", CHECKS, "--select", "sales", "--partition-range", "eu...us"], { home });
    expect(both.code, describeResult(both)).toBe(1);
    const lines = both.stdout.trim().split("\n");
    expect(lines.filter((line) => RUN_ID.test(line))).toHaveLength(2);
    expect(lines.filter((line) => !RUN_ID.test(line)).map((line) => line.split(/\s{2,}/).slice(0, 3))).toEqual([
      ["PASSED", "sales:positive", "eu"],
      ["EXECUTION_FAILED", "sales:positive", "us"],
    ]);
  });
});

describe("sluice check list", () => {
  it("lists every check with its latest evaluation per partition, as JSON and as a table", async () => {
    const home = tempDir();
    await materializeOk(["-f", CHECKS, "--select", "orders"], { home, env: { ORDER_ROWS: "9" } });
    const listed = await cliJson<{ key: string; blocking: boolean; evaluations: { partition: string | null; status: string; severity: string; timestamp: string; runId: string }[] }[]>(
      ["check", "list", "-f", CHECKS, "--json"],
      { home },
    );
    expect(listed.map((c) => [c.key, c.blocking, c.evaluations.map((e) => [e.partition, e.status, e.severity])])).toEqual([
      ["orders:not_empty", true, [[null, "PASSED", "ERROR"]]],
      ["orders:under_limit", false, [[null, "FAILED", "WARN"]]],
      ["sales:positive", false, []],
    ]);
    expect(listed[0]?.evaluations[0]?.timestamp).toMatch(ISO_TIME);
    const text = await runCli(["check", "list", "-f", CHECKS, "--select", "sales"], { home });
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[1]).toMatch(/^sales:positive\s+no\s+NOT_EVALUATED/);
  });
});
