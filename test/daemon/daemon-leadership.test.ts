/**
 * One active daemon per instance (issue 5, part 4): a second `sluice daemon` stands by; when the
 * active one stops renewing its lease (here: SIGSTOP, as a hung process or a machine cut off) the
 * standby takes over within 30 s, and the old one, once it runs again, steps down without acting;
 * a daemon stopped cleanly hands over at once. Runs on SQLite and on Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { Sandbox, STORAGE_BACKENDS, waitFor } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** The bound for a standby to take over from a dead active daemon. */
const TAKEOVER_BOUND_MS = 30_000;

describe.concurrent.each(STORAGE_BACKENDS)("daemon leadership (%s storage)", (backend) => {
  it("a standby takes over within 30 s of the active daemon hanging; the old one steps down; a clean stop hands over at once", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    const first = await box.startDaemon();
    const second = await box.startDaemon({}, { waitReady: false });
    await second.waitForStderr("standby:");
    expect(second.log()).not.toContain("started:");

    const r1 = await box.launch();
    await box.waitForStatus(r1, ["SUCCESS"], 60_000);
    expect(first.workerPid(r1), "the active daemon launched r1").toBeDefined();
    expect(second.workerPid(r1)).toBeUndefined();

    first.child.kill("SIGSTOP");
    const stoppedAt = Date.now();
    await waitFor("the standby to take over", () => second.log().includes("started:"), TAKEOVER_BOUND_MS + 10_000, 100);
    const seconds = (Date.now() - stoppedAt) / 1000;
    console.log(`[measure] active daemon hung (SIGSTOP) -> standby active: ${seconds.toFixed(1)} s (${backend})`);
    expect(seconds * 1000).toBeLessThan(TAKEOVER_BOUND_MS);

    const r2 = await box.launch();
    await box.waitForStatus(r2, ["SUCCESS"], 60_000);
    expect(second.workerPid(r2), "the new active daemon launched r2").toBeDefined();

    first.child.kill("SIGCONT");
    await first.waitForStderr("lost the daemon lease");
    const r3 = await box.launch();
    await box.waitForStatus(r3, ["SUCCESS"], 60_000);
    expect(second.workerPid(r3)).toBeDefined();
    // The resumed daemon launched nothing after its lease ran out.
    expect(first.workerPid(r2)).toBeUndefined();
    expect(first.workerPid(r3)).toBeUndefined();
    for (const id of [r1, r2, r3]) expect(box.callsOf(id)).toEqual(["extract", "transform", "load"]);

    // A clean stop gives the lease up: the standby (the old daemon) takes over at once.
    const startsBefore = first.log().split("started:").length;
    await box.stopDaemon(second);
    const handedAt = Date.now();
    await waitFor("the standby to take over after a clean stop", () => first.log().split("started:").length > startsBefore, 15_000, 100);
    expect(Date.now() - handedAt, "well before the 20 s lease would have run out").toBeLessThan(8_000);
  });
});
