/**
 * A foreground run whose process dies (SIGKILL) before it ends must not stay STARTED for ever: the
 * next command opened on the machine ends it FAILURE, naming the process, with its unfinished steps
 * ended too; a running daemon does the same within its monitoring interval, long before a heartbeat
 * timeout.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../daemon/helpers.js";
import { assertBuilt, fixture, listRuns, removeTempDirs, runEvents, showRun, startCli, tempDir, type RunningCli } from "./helpers.js";

const DEFS = fixture("uncaught.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** Starts `sluice materialize` of `waits+` and resolves once its step runs; returns it and its run id. */
async function startWaitingRun(home: string): Promise<{ cli: RunningCli; runId: string; pid: number }> {
  const marker = path.join(tempDir(), "running");
  const cli = startCli(["materialize", "-f", DEFS, "--select", "key:waits+"], { home, env: { SLUICE_TEST_MARKER: marker } });
  await waitFor("the step to run", () => (existsSync(marker) ? true : undefined), 30_000);
  const [run] = await listRuns(home);
  expect(run?.status).toBe("STARTED");
  return { cli, runId: run!.runId, pid: Number(readFileSync(marker, "utf8")) };
}

describe("a foreground run whose process is killed", () => {
  it("is ended FAILURE by the next command on this machine, with its unfinished step", async () => {
    const home = tempDir();
    const { cli, runId, pid } = await startWaitingRun(home);
    cli.child.kill("SIGKILL");
    await cli.done;
    const [run] = await listRuns(home);
    expect(run).toMatchObject({ runId, status: "FAILURE" });
    const shown = await showRun(home, runId);
    expect(shown.steps).toMatchObject([{ key: "waits", status: "FAILURE" }]);
    expect(shown.steps![0]!.endedAt).toBe(shown.endedAt);
    const events = await runEvents(home, runId);
    expect(events.map((e) => e.type).slice(-2)).toEqual(["STEP_FAILURE", "RUN_FAILURE"]);
    expect(events.at(-1)!.message).toMatch(new RegExp(`^Run failed: its process \\(pid ${pid} on .+\\) is gone`));
    expect(events.at(-2)!.message).toBe('Step "waits" did not finish: the run failed while it was running.');
  });

  it("is ended by a running daemon within seconds, not after the heartbeat timeout", async () => {
    const home = tempDir();
    writeFileSync(path.join(home, "sluice.yaml"), "run_monitoring:\n  heartbeat_timeout_seconds: 600\n  poll_interval_seconds: 1\n");
    const daemon = startCli(["daemon", "-f", DEFS], { home, timeoutMs: 120_000 });
    try {
      await daemon.waitForStderr("daemon");
      const { cli, runId } = await startWaitingRun(home);
      cli.child.kill("SIGKILL");
      await cli.done;
      const started = Date.now();
      // Reading storage from here would open the instance, which ends the run itself: wait for the daemon to say it did.
      await daemon.waitForStderr(`run ${runId}: its process`);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect((await showRun(home, runId)).status).toBe("FAILURE");
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.done;
    }
  });
});
