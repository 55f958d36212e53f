import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunStatus, type RunProcess } from "../storage/records.js";
import { endRunsOfDeadProcesses, LAUNCHER_GRACE_MS } from "./dead-run-processes.js";
import { processIdentity } from "./run-process.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

/** A process that ran and has ended, as a run would have recorded it. */
async function deadProcess(): Promise<RunProcess> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await new Promise((resolve) => child.once("spawn", resolve));
  const recorded: RunProcess = { host: hostname(), pid: child.pid!, identity: processIdentity(child.pid!) };
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  return recorded;
}

/** A live process of this machine other than this one: a stand-in for a daemon that launched a worker. */
function liveLauncher(): { pid: number; stop: () => void } {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  return { pid: child.pid!, stop: () => child.kill("SIGKILL") };
}

async function claimedRun(runId: string, workerId: string, worker: RunProcess): Promise<void> {
  await target.storage.createRun({ runId, jobName: "job", selection: ["a"] });
  expect(await target.storage.claimRun(runId, workerId, worker)).toBe(true);
  await target.storage.heartbeatRun(runId);
}

describe("endRunsOfDeadProcesses", () => {
  it("ends a foreground run whose process is gone, naming it", async () => {
    const gone = await deadProcess();
    await claimedRun("fg", `cli:${hostname()}:${gone.pid}`, gone);
    expect(await endRunsOfDeadProcesses(target.storage)).toEqual(["fg"]);
    const run = await target.storage.getRun("fg");
    expect(run?.status).toBe(RunStatus.Failure);
    const [failure] = await target.storage.getEvents("fg", { types: ["RUN_FAILURE"] });
    expect(failure?.message).toContain(`its process (pid ${gone.pid} on ${hostname()}) is gone`);
  });

  it("leaves a dead worker's run to the live daemon that launched it, for a while", async () => {
    const gone = await deadProcess();
    const launcher = liveLauncher();
    try {
      await claimedRun("launched", `daemon:${hostname()}:${launcher.pid}:abc123`, gone);
      expect(await endRunsOfDeadProcesses(target.storage)).toEqual([]);
      expect((await target.storage.getRun("launched"))?.status).toBe(RunStatus.Starting);
      // A launcher that has not recorded the end within the grace (stuck, or its pid reused) is not waited for.
      expect(await endRunsOfDeadProcesses(target.storage, { now: Date.now() + LAUNCHER_GRACE_MS })).toEqual(["launched"]);
    } finally {
      launcher.stop();
    }
  });

  it("ends a dead worker's run at once when the process that launched it is gone too", async () => {
    const worker = await deadProcess();
    const daemon = await deadProcess();
    await claimedRun("orphan", `worker:${hostname()}:${daemon.pid}`, worker);
    expect(await endRunsOfDeadProcesses(target.storage)).toEqual(["orphan"]);
  });
});
