/**
 * An error user code throws where no promise catches it (a timer, an unawaited rejection) is a
 * step failure, recorded and reported, never a crash of `sluice materialize` with a raw stack; one
 * that no step owns (a resource's timer) fails the run; one that comes after its step ended is
 * logged on that step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, describeResult, fixture, lastLine, removeTempDirs, runCli, runEvents, showRun, tempDir } from "./helpers.js";

const DEFS = fixture("uncaught.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

async function materialize(select: string): Promise<{ home: string; code: number | null; stderr: string; runId: string }> {
  const home = tempDir();
  const result = await runCli(["materialize", "-f", DEFS, "--select", select], { home });
  expect(result.stderr, describeResult(result)).not.toContain("Unexpected error");
  expect(result.stderr).not.toContain("node:internal/process");
  return { home, code: result.code, stderr: result.stderr, runId: lastLine(result.stdout) };
}

describe("errors user code throws where nothing catches them", () => {
  it("from a timer while the step runs: the step fails with it, the run FAILURE, exit 1", async () => {
    const { home, code, stderr, runId } = await materialize("key:throws/in_timer");
    expect(code).toBe(1);
    expect(stderr).toContain("throws/in_timer: Error: boom from a timer");
    const run = await showRun(home, runId);
    expect(run.status).toBe("FAILURE");
    expect(run.steps).toMatchObject([{ key: "throws/in_timer", status: "FAILURE", attempts: 1 }]);
    const failure = (await runEvents(home, runId)).find((e) => e.type === "STEP_FAILURE")!;
    expect(failure.message).toBe('Step "throws/in_timer" failed: Error: boom from a timer');
  });

  it("as a rejection nobody awaited: the step fails with it", async () => {
    const { home, code, runId } = await materialize("key:throws/unawaited");
    expect(code).toBe(1);
    const failure = (await runEvents(home, runId)).find((e) => e.type === "STEP_FAILURE")!;
    expect(failure.message).toBe('Step "throws/unawaited" failed: Error: nobody awaited me');
  });

  it("after its step ended: logged as an error of that step; the run goes on and succeeds", async () => {
    const { home, code, runId } = await materialize("key:throws/late+");
    expect(code).toBe(0);
    expect((await showRun(home, runId)).steps!.map((s) => [s.key, s.status])).toEqual([
      ["throws/late", "SUCCESS"],
      ["throws/after_late", "SUCCESS"],
    ]);
    const logged = (await runEvents(home, runId)).find((e) => e.type === "LOG" && e.level === "ERROR")!;
    expect(logged.stepKey).toBe("throws/late");
    expect(logged.message).toContain("an error was thrown after the step had ended");
    expect(logged.message).toContain("Error: too late to fail");
  });

  it("from a resource's timer, which no step owns: the run fails naming it", async () => {
    const { home, code, runId } = await materialize("key:throws/in_resource");
    expect(code).toBe(1);
    const run = await showRun(home, runId);
    expect(run.status).toBe("FAILURE");
    const events = await runEvents(home, runId);
    const end = events.find((e) => e.type === "RUN_FAILURE")!;
    expect(end.message).toBe("Run failed: an error was thrown outside any step: Error: thrown by a resource's timer");
    // The step it interrupted ended too: nothing of the run is left in progress.
    expect(run.steps!.every((s) => s.status !== "IN_PROGRESS")).toBe(true);
  });
});
