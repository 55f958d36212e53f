/**
 * Runs whose worker process dies, hangs or is canceled, under `sluice daemon`: the run ends with
 * a status and a reason a user can read, within the bounds the issue sets (FAILURE within 30 s),
 * and a killed run is completed by `sluice run reexecute --from-failure` without repeating the
 * steps that had succeeded.
 *
 * Every test runs twice, on SQLite and on a fresh Postgres schema (Sandbox, STORAGE_BACKENDS).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, describeResult, lastLine, removeTempDirs, runEvents, showRun } from "../cli/helpers.js";
import { DAEMON_DEFS, firstEvent, isAlive, Sandbox, waitFor, STORAGE_BACKENDS } from "./helpers.js";

/** A process's nice value (field 19 of /proc/PID/stat, counted after the command name). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** The bound: a run whose worker died is FAILURE within this. */
const FAILURE_BOUND_MS = 30_000;

/** Launches a slow run under a daemon and waits until its transform step is in flight. */
async function slowRunInFlight(box: Sandbox): Promise<{ runId: string; pid: number }> {
  box.setFlag("slow");
  const runId = await box.launch();
  const daemon = box.daemons[0] ?? (await box.startDaemon());
  await waitFor("transform to start", () => box.callsOf(runId).includes("transform"), 90_000);
  const pid = daemon.workerPid(runId);
  if (pid === undefined) throw new Error(`the daemon did not log the worker of run ${runId}:\n${daemon.log()}`);
  return { runId, pid };
}

describe.concurrent.each(STORAGE_BACKENDS)("a run's worker process dies or hangs (%s storage)", (backend) => {
  it("worker killed by SIGKILL mid-run: FAILURE within 30 s naming the worker's death; reexecute --from-failure completes it without re-running extract", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    await box.startDaemon();
    const { runId, pid } = await slowRunInFlight(box);

    process.kill(pid, "SIGKILL");
    const killedAt = Date.now();
    const failed = await box.waitForStatus(runId, ["FAILURE", "SUCCESS", "CANCELED"], FAILURE_BOUND_MS + 10_000);
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(`[measure] SIGKILL of the worker -> run FAILURE: ${seconds.toFixed(2)} s`);
    expect(failed.status).toBe("FAILURE");
    expect(seconds * 1000).toBeLessThan(FAILURE_BOUND_MS);
    expect(box.daemons[0]!.child.exitCode, "the daemon outlives its worker").toBeNull();
    const failure = firstEvent(await runEvents(box.home, runId), "RUN_FAILURE");
    expect(failure?.message).toMatch(/worker/i);
    expect(failure?.message).toMatch(/SIGKILL|killed|heartbeat/i);

    const shown = await showRun(box.home, runId);
    expect(shown.steps?.find((s) => s.key === "extract")?.status).toBe("SUCCESS");
    expect(shown.steps?.find((s) => s.key === "load")?.status ?? "NOT_STARTED").not.toBe("SUCCESS");

    box.clearFlag("slow");
    const reexec = await box.cli(["run", "reexecute", runId, "--from-failure", "-f", DAEMON_DEFS], { timeoutMs: 90_000 });
    expect(reexec.code, describeResult(reexec)).toBe(0);
    const childId = lastLine(reexec.stdout);
    const child = await showRun(box.home, childId);
    expect(child.status).toBe("SUCCESS");
    expect(child.parentRunId).toBe(runId);
    expect(child.steps?.map((s) => s.key).sort()).toEqual(["load", "transform"]);
    expect(child.steps?.every((s) => s.status === "SUCCESS")).toBe(true);

    expect(box.callsOf(childId)).toEqual(["transform", "load"]);
    expect(box.calls().filter((c) => c.op === "extract"), "extract ran once, in the killed run").toEqual([{ op: "extract", runId }]);
    expect(box.calls().filter((c) => c.op === "load")).toEqual([{ op: "load", runId: childId }]);
  });

  it("hung worker (SIGSTOP, as an event loop blocked by an endless loop): monitoring marks FAILURE within 30 s and kills it", { timeout: 150_000 }, async ({ onTestFinished }) => {
    // Default run_monitoring settings (heartbeat timeout 15 s, poll every 2 s).
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    await box.startDaemon();
    const { runId, pid } = await slowRunInFlight(box);

    process.kill(pid, "SIGSTOP");
    const stoppedAt = Date.now();
    const failed = await box.waitForStatus(runId, ["FAILURE", "SUCCESS", "CANCELED"], FAILURE_BOUND_MS + 10_000);
    const seconds = (Date.now() - stoppedAt) / 1000;
    console.log(`[measure] SIGSTOP of the worker -> run FAILURE: ${seconds.toFixed(2)} s`);
    expect(failed.status).toBe("FAILURE");
    expect(seconds * 1000).toBeLessThan(FAILURE_BOUND_MS);
    expect(box.daemons[0]!.child.exitCode, "the daemon outlives its worker").toBeNull();
    const failure = firstEvent(await runEvents(box.home, runId), "RUN_FAILURE");
    expect(failure?.message).toMatch(/heartbeat/i);

    await waitFor(`the hung worker (pid ${pid}) to be killed`, () => !isAlive(pid), 10_000);
    // The worker never resumes: nothing after transform ran.
    expect(box.callsOf(runId)).toEqual(["extract", "transform"]);
  });
});

describe.concurrent.each(STORAGE_BACKENDS)("sluice run cancel (%s storage)", (backend) => {
  it("a running run: CANCELING, its steps' AbortSignal fires, the run ends CANCELED long before the step's 120 s", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    await box.startDaemon();
    const { runId, pid } = await slowRunInFlight(box);
    // By default workers run 5 nice levels below the daemon, so busy user code cannot starve it.
    expect(niceOf(pid)).toBe(Math.min(19, niceOf(box.daemons[0]!.child.pid!) + 5));

    const canceledAt = Date.now();
    const cancel = await box.cli(["run", "cancel", runId]);
    expect(cancel.code, describeResult(cancel)).toBe(0);
    expect(cancel.stderr).toMatch(/CANCELING/);
    const ended = await box.waitForStatus(runId, ["CANCELED", "FAILURE", "SUCCESS"], 60_000);
    const seconds = (Date.now() - canceledAt) / 1000;
    console.log(`[measure] run cancel of a running run -> CANCELED: ${seconds.toFixed(2)} s`);
    expect(ended.status).toBe("CANCELED");
    expect(seconds).toBeLessThan(30);
    // The worker stopped by itself (its steps saw the abort), not killed by monitoring's cancel timeout.
    const events = await runEvents(box.home, runId);
    expect(firstEvent(events, "RUN_CANCELED")?.message ?? "").not.toMatch(/did not stop|killed/);
    expect(box.callsOf(runId)).not.toContain("load");
    await waitFor(`the worker (pid ${pid}) to exit`, () => !isAlive(pid), 15_000);
    expect((await showRun(box.home, runId)).status).toBe("CANCELED");
  });

  it("a worker that ignores the cancel is killed after cancel_timeout_seconds and the run ends CANCELED", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: "run_monitoring:\n  cancel_timeout_seconds: 3\n  poll_interval_seconds: 0.5\nrun_launcher:\n  worker_nice: 0\n" });
    onTestFinished(() => box.dispose());
    box.setFlag("stubborn");
    await box.startDaemon();
    const { runId, pid } = await slowRunInFlight(box);
    expect(niceOf(pid), "worker_nice: 0 runs workers at the daemon's priority").toBe(niceOf(box.daemons[0]!.child.pid!));

    const canceledAt = Date.now();
    await box.cliOk(["run", "cancel", runId]);
    const ended = await box.waitForStatus(runId, ["CANCELED", "FAILURE", "SUCCESS"], 60_000);
    const seconds = (Date.now() - canceledAt) / 1000;
    console.log(`[measure] run cancel of a worker ignoring it -> CANCELED: ${seconds.toFixed(2)} s (cancel timeout 3 s)`);
    expect(ended.status).toBe("CANCELED");
    expect(seconds).toBeLessThan(30);
    expect(firstEvent(await runEvents(box.home, runId), "RUN_CANCELED")?.message).toMatch(/did not stop/);
    await waitFor(`the stubborn worker (pid ${pid}) to be killed`, () => !isAlive(pid), 10_000);
    expect(box.callsOf(runId)).not.toContain("load");
  });

  it("a QUEUED run (no daemon running): CANCELED at once, and a daemon started later never runs it", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    const canceled = await box.launch();
    const cancel = await box.cli(["run", "cancel", canceled]);
    expect(cancel.code, describeResult(cancel)).toBe(0);
    const shown = await showRun(box.home, canceled);
    expect(shown.status).toBe("CANCELED");
    expect(shown.startedAt).toBeNull();

    // A run queued after it: once the daemon has run that one, it has seen the canceled one too.
    const later = await box.launch();
    await box.startDaemon();
    await box.waitForStatus(later, ["SUCCESS"], 90_000);
    const after = await showRun(box.home, canceled);
    expect(after.status).toBe("CANCELED");
    expect(after.startedAt).toBeNull();
    expect(box.callsOf(canceled)).toEqual([]);
    expect(box.daemons[0]!.workerPid(canceled)).toBeUndefined();
  });
});
