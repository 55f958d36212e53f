/**
 * Run retries under `sluice daemon`: with sluice.yaml `run_retries: {max_retries: 1}`, a failed
 * run is re-executed from failure once, as a child run tagged with its attempt number; the retry
 * runs only the steps that did not succeed, and a failed retry is not retried again.
 *
 * Every test runs twice, on SQLite and on a fresh Postgres schema (Sandbox, STORAGE_BACKENDS).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, listRuns, removeTempDirs, showRun } from "../cli/helpers.js";
import { Sandbox, sleep, waitFor, STORAGE_BACKENDS } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const SETTINGS = "run_retries:\n  max_retries: 1\n";
const RETRY_NUMBER_TAG = "sluice/retry_number";

/** The one run whose parent is `runId` (waits for it to appear). */
async function retryOf(box: Sandbox, runId: string): Promise<string> {
  const storage = await box.storage();
  return waitFor(
    `a retry of run ${runId}`,
    async () => (await storage.listRuns({ parentRunIds: [runId] }))[0]?.runId,
    60_000,
    100,
  );
}

describe.concurrent.each(STORAGE_BACKENDS)("run_retries: {max_retries: 1} (%s storage)", (backend) => {
  it("a run that keeps failing is retried once from failure (parentRunId, sluice/retry_number=2), and not again", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: SETTINGS });
    onTestFinished(() => box.dispose());
    box.setFlag("fail", "warehouse unreachable");
    const first = await box.launch();
    await box.startDaemon();
    await box.waitForStatus(first, ["FAILURE", "SUCCESS"], 90_000);
    expect((await box.run(first)).status).toBe("FAILURE");

    const retry = await retryOf(box, first);
    await box.waitForStatus(retry, ["FAILURE", "SUCCESS"], 90_000);
    const shown = await showRun(box.home, retry);
    expect(shown.status).toBe("FAILURE");
    expect(shown.parentRunId).toBe(first);
    expect(shown.tags[RETRY_NUMBER_TAG]).toBe("2");
    expect(shown.selection.sort()).toEqual(["load", "transform"]);
    expect(box.callsOf(retry)).toEqual(["transform"]);

    // The retries loop looks every 2 s: give it several passes to (wrongly) retry the retry.
    await sleep(6_000);
    const runs = await listRuns(box.home);
    expect(runs.map((r) => r.runId).sort(), "no third run").toEqual([first, retry].sort());
    expect(box.calls().filter((c) => c.op === "extract"), "extract ran only in the first run").toEqual([{ op: "extract", runId: first }]);
  });

  it("a run whose cause is fixed before its retry starts: the retry succeeds, re-running only transform and load", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: SETTINGS });
    onTestFinished(() => box.dispose());
    box.setFlag("fail", "warehouse unreachable");
    const first = await box.launch();
    await box.startDaemon();
    await box.waitForStatus(first, ["FAILURE", "SUCCESS"], 90_000);
    // The retry needs a retries pass and a worker start before its transform reads the flag.
    box.clearFlag("fail");
    expect(box.callsOf(first)).toEqual(["extract", "transform"]);

    const retry = await retryOf(box, first);
    await box.waitForStatus(retry, ["FAILURE", "SUCCESS"], 90_000);
    const shown = await showRun(box.home, retry);
    expect(shown.status).toBe("SUCCESS");
    expect(shown.parentRunId).toBe(first);
    expect(shown.tags[RETRY_NUMBER_TAG]).toBe("2");
    expect(shown.steps?.map((s) => [s.key, s.status])).toEqual([
      ["transform", "SUCCESS"],
      ["load", "SUCCESS"],
    ]);
    expect(box.callsOf(retry)).toEqual(["transform", "load"]);
    expect(box.calls().filter((c) => c.op === "extract")).toEqual([{ op: "extract", runId: first }]);
    expect((await showRun(box.home, first)).status, "the failed run keeps its status").toBe("FAILURE");
  });
});
