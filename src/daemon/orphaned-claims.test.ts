import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { RunStatus } from "../storage/records.js";
import { requeueOrphanedClaims } from "./orphaned-claims.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

/** The pid of a process that has exited (so it is surely not alive). */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

async function claimedRun(runId: string, workerId: string): Promise<void> {
  await target.storage.createRun({ runId, jobName: "j", selection: ["a"], status: RunStatus.Queued });
  expect(await target.storage.claimRun(runId, workerId)).toBe(true);
}

describe("requeueOrphanedClaims", () => {
  it("queues again a run whose claimer on this machine died before starting its worker, and only that one", async () => {
    const here = hostname();
    const dead = deadPid();
    await claimedRun("orphan", `daemon:${here}:${dead}:abc123`);
    await claimedRun("orphan-of-worker", `worker:${here}:${dead}`);
    await claimedRun("live-claimer", `daemon:${here}:${process.pid}:xyz`);
    await claimedRun("other-machine", `daemon:elsewhere.example:${dead}:abc`);
    await claimedRun("heartbeating", `daemon:${here}:${dead}:abc`);
    await target.storage.heartbeatRun("heartbeating");

    const requeued = await requeueOrphanedClaims(target.storage);
    expect(requeued.sort()).toEqual(["orphan", "orphan-of-worker"]);
    expect((await target.storage.getRun("orphan"))!.status).toBe(RunStatus.Queued);
    for (const id of ["live-claimer", "other-machine", "heartbeating"]) expect((await target.storage.getRun(id))!.status).toBe(RunStatus.Starting);
    // Nothing left to do: a second pass changes nothing.
    expect(await requeueOrphanedClaims(target.storage)).toEqual([]);
  });

  it("leaves a run whose worker process exists (started, not yet heartbeating)", async () => {
    const worker = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)", "__run-worker", "slow-start"], { stdio: "ignore" });
    try {
      await claimedRun("slow-start", `daemon:${hostname()}:${deadPid()}:n`);
      expect(await requeueOrphanedClaims(target.storage)).toEqual([]);
      expect((await target.storage.getRun("slow-start"))!.status).toBe(RunStatus.Starting);
    } finally {
      worker.kill("SIGKILL");
    }
  });

  it("leaves the runs of a dead claimer while a standby worker it started lives on (it may hold one of them)", async () => {
    const claimer = deadPid();
    const other = deadPid();
    const standby = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)", "__run-worker", "--standby", "--launcher-pid", String(claimer)], { stdio: "ignore" });
    try {
      // Until it has exec'd, the child's command line is still this process's.
      for (let i = 0; i < 200 && !readFileSync(`/proc/${standby.pid}/cmdline`, "utf8").includes("--standby"); i++) await new Promise((r) => setTimeout(r, 10));
      await claimedRun("maybe-in-standby", `worker:${hostname()}:${claimer}`);
      await claimedRun("orphan", `worker:${hostname()}:${other}`);
      expect(await requeueOrphanedClaims(target.storage)).toEqual(["orphan"]);
      expect((await target.storage.getRun("maybe-in-standby"))!.status).toBe(RunStatus.Starting);
    } finally {
      standby.kill("SIGKILL");
    }
  });
});
