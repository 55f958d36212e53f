/**
 * User code that throws after its function returned (a timer, a promise nobody awaits) would end
 * a Node process by default; `sluice daemon` logs it and keeps ticking and launching runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { DAEMON_DEFS, Sandbox, waitFor } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

describe("errors thrown by user code outside any evaluation", () => {
  it("are logged by the daemon, which goes on ticking the sensor and launching its runs", { timeout: 120_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox();
    onTestFinished(() => box.dispose());
    box.setFlag("stray_errors");
    box.setFlag("pending", "k1\n");
    await box.cliOk(["sensor", "start", "pending_keys", "-f", DAEMON_DEFS]);
    const storage = await box.storage();
    const runOf = async (key: string) => (await storage.listRuns({})).find((r) => r.tags["sluice/run_key"] === key)?.runId;

    const daemon = await box.startDaemon();
    const k1 = await waitFor("the run of k1", () => runOf("k1"), 60_000, 200);
    await box.waitForStatus(k1, ["SUCCESS"], 60_000);
    await waitFor("both stray errors in the daemon's log", async () => /stray error from a sensor's timer/.test(daemon.log()) && /stray rejection from a sensor/.test(daemon.log()), 30_000, 200);
    expect(daemon.log()).toContain("error in user code or a background task (the daemon keeps running)");

    // Still alive, and still doing its work after the errors.
    box.setFlag("pending", "k1\nk2\n");
    const k2 = await waitFor("the run of k2", () => runOf("k2"), 60_000, 200);
    await box.waitForStatus(k2, ["SUCCESS"], 60_000);
    expect(daemon.child.exitCode).toBeNull();
    expect(daemon.child.signalCode).toBeNull();
    await box.stopDaemon(daemon);
  });
});
