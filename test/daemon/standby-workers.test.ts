/**
 * A daemon that executes runs keeps run workers started ahead of time from its first run on, gives
 * later runs to them, and leaves none behind when it stops. (`sluice worker`'s are tested in
 * queue-worker.test.ts, the launcher's behaviour in src/daemon/run-launcher.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { pgrep, Sandbox, waitFor } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const DONE = ["SUCCESS", "FAILURE", "CANCELED"];

describe("daemon with run workers started ahead of time", () => {
  it("the first run starts them, the next run goes to one, and a stop kills them", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ settings: "run_launcher:\n  standby_workers: 1\n" });
    onTestFinished(() => box.dispose());
    const daemon = await box.startDaemon();
    // The daemon's run workers are the only processes given this sandbox's home on their command line.
    expect(pgrep(box.home), "no standby before the first run").toEqual([]);

    const first = await box.launch();
    expect((await box.waitForStatus(first, DONE, 90_000)).status).toBe("SUCCESS");
    // stderr reaches this process through a pipe: a line may come a moment after the run's end.
    const launchLine = (runId: string): Promise<string> =>
      waitFor(`the daemon to log the launch of ${runId}`, () => new RegExp(`launched run ${runId} \\(etl\\) in worker pid \\d+[^\\n]*`).exec(daemon.log())?.[0], 10_000);
    expect(await launchLine(first), "a run's worker started for it").toMatch(/pid \d+$/);
    const standby = await waitFor("a standby ready once the first run ended", () => {
      const match = /standby run worker pid (\d+) ready/.exec(daemon.log());
      return match ? Number(match[1]) : undefined;
    }, 60_000);

    const second = await box.launch();
    expect((await box.waitForStatus(second, DONE, 90_000)).status).toBe("SUCCESS");
    expect(box.callsOf(second)).toEqual(["extract", "transform", "load"]);
    expect(await launchLine(second)).toBe(`launched run ${second} (etl) in worker pid ${standby} (started ahead of time)`);
    await waitFor("a standby in place of the one used", () => pgrep(box.home).some((pid) => pid !== standby), 60_000);

    await box.stopDaemon(daemon);
    await waitFor("no run worker left", () => pgrep(box.home).length === 0, 10_000);
  });
});
