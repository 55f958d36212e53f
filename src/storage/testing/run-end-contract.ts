import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { processSecrets, SECRET_MASK } from "../../definitions/secret-mask.js";
import type { RunProcess } from "../records.js";
import { caught, expectSluiceError, freezeTime, newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

const PROCESS: RunProcess = { host: "host-a", pid: 4242, identity: "boot:pidns:123" };

/**
 * Contract of how runs end and what storage keeps of them: the process executing a run, ending a
 * run from outside only while it is unfinished, the steps a run leaves unfinished, and secrets
 * masked in everything written.
 */
export function describeRunEndContract(s: StorageFixture): void {
  describe("run processes and run ends", () => {
    it("records the process of a run claimed by id, and of a run worker, with a heartbeat", async () => {
      freezeTime(1_000);
      await s().createRun(queuedRecord("fg"));
      await s().createRun(queuedRecord("bg"));
      expect((await s().getRun("fg"))?.process).toBeNull();
      freezeTime(2_000);
      expect(await s().claimRun("fg", "cli:host-a:4242", PROCESS)).toBe(true);
      expect(await s().getRun("fg")).toMatchObject({ status: "STARTING", process: PROCESS, heartbeatAt: 2_000 });
      expect(await s().claimRun("bg", "daemon:x")).toBe(true);
      expect((await s().getRun("bg"))?.process).toBeNull();
      freezeTime(3_000);
      await s().setRunProcess("bg", { host: "host-b", pid: 7, identity: null });
      expect(await s().getRun("bg")).toMatchObject({ process: { host: "host-b", pid: 7, identity: null }, heartbeatAt: 3_000 });
      expectSluiceError(await caught(s().setRunProcess("ghost", PROCESS)), "RUN_NOT_FOUND", /Run "ghost" was not found/);
    });

    it("ends a run from outside only while it is unfinished, storing nothing otherwise", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvent(newEvent("r", "RUN_START", { timestamp: 10 }));
      const ended = await s().endRunIfUnfinished(newEvent("r", "RUN_FAILURE", { timestamp: 20, message: "its process is gone" }));
      expect(ended).toMatchObject({ type: "RUN_FAILURE", message: "its process is gone" });
      expect(await s().getRun("r")).toMatchObject({ status: "FAILURE", endedAt: 20 });
      expect(await s().endRunIfUnfinished(newEvent("r", "RUN_CANCELED", { timestamp: 30 }))).toBeUndefined();
      expect((await s().getEvents("r")).map((e) => e.type)).toEqual(["RUN_START", "RUN_FAILURE"]);
      expect(await s().getRun("r")).toMatchObject({ status: "FAILURE", endedAt: 20 });
      expectSluiceError(await caught(s().endRunIfUnfinished(newEvent("ghost", "RUN_FAILURE"))), "RUN_NOT_FOUND", /Run "ghost" was not found/);
      expectSluiceError(await caught(s().endRunIfUnfinished(newEvent("r", "RUN_SUCCESS"))), "STORAGE_ERROR", /RUN_FAILURE or RUN_CANCELED/);
    });

    it("lets exactly one of two racing ends of a run store its event", async () => {
      const other = await s.openAnother();
      for (let i = 0; i < 5; i++) {
        await s().createRun(queuedRecord(`r${i}`));
        const [a, b] = await Promise.all([
          s().endRunIfUnfinished(newEvent(`r${i}`, "RUN_FAILURE")),
          other.endRunIfUnfinished(newEvent(`r${i}`, "RUN_CANCELED")),
        ]);
        expect([a, b].filter((e) => e !== undefined)).toHaveLength(1);
        expect(await s().getEvents(`r${i}`)).toHaveLength(1);
      }
    });

    it("ends the steps a run leaves unfinished, before the event that ends it", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvents([
        newEvent("r", "RUN_START", { timestamp: 1 }),
        newEvent("r", "STEP_START", { stepKey: "done", assetKey: "done", timestamp: 2 }),
        newEvent("r", "STEP_SUCCESS", { stepKey: "done", assetKey: "done", timestamp: 3 }),
        newEvent("r", "STEP_START", { stepKey: "running", assetKey: "running", partition: "2025-01-01", timestamp: 4 }),
        newEvent("r", "STEP_START", { stepKey: "retrying", timestamp: 5 }),
        newEvent("r", "STEP_UP_FOR_RETRY", { stepKey: "retrying", timestamp: 6 }),
        newEvent("r", "LOG", { stepKey: "resource:db", timestamp: 7 }),
      ]);
      await s().endRunIfUnfinished(newEvent("r", "RUN_FAILURE", { timestamp: 100 }));
      const events = await s().getEvents("r");
      expect(events.slice(-3).map((e) => [e.type, e.stepKey])).toEqual([
        ["STEP_FAILURE", "running"],
        ["STEP_FAILURE", "retrying"],
        ["RUN_FAILURE", null],
      ]);
      const closed = events.find((e) => e.type === "STEP_FAILURE" && e.stepKey === "running")!;
      expect(closed).toMatchObject({ assetKey: "running", partition: "2025-01-01", level: "ERROR", timestamp: 100 });
      expect(closed.message).toBe('Step "running" did not finish: the run failed while it was running.');
      expect(closed.data).toMatchObject({ reason: "run_ended", attempt: 1 });
      expect(await s().getStepStats("r")).toEqual([
        { key: "done", status: "SUCCESS", attempts: 1, startedAt: 2, endedAt: 3 },
        { key: "running", status: "FAILURE", attempts: 1, startedAt: 4, endedAt: 100 },
        { key: "retrying", status: "FAILURE", attempts: 1, startedAt: 5, endedAt: 100 },
      ]);
      // A late end of the finished run closes nothing again.
      await s().storeEvent(newEvent("r", "RUN_CANCELED", { timestamp: 200 }));
      expect((await s().getEvents("r")).filter((e) => e.type === "STEP_FAILURE")).toHaveLength(2);
    });

    it("says a canceled run's unfinished step was canceled", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvents([newEvent("r", "RUN_START"), newEvent("r", "STEP_START", { stepKey: "a" })]);
      await s().setRunStatus("r", "CANCELING");
      await s().storeEvent(newEvent("r", "RUN_CANCELED"));
      const closed = (await s().getEvents("r")).find((e) => e.type === "STEP_FAILURE");
      expect(closed?.message).toBe('Step "a" did not finish: the run was canceled while it was running.');
    });

    it("masks the process's secrets in every text it writes", async () => {
      const secret = `secret-${randomUUID()}`;
      processSecrets.add(secret);
      const quoted = `tok"en-${randomUUID()}`;
      processSecrets.add(quoted);
      await s().createRun({ ...queuedRecord("r"), tags: { token: secret }, config: { ops: { a: { config: { note: `x ${secret} y` } } } } });
      const stored = await s().storeEvent(
        newEvent("r", "ASSET_MATERIALIZATION", {
          stepKey: "a",
          assetKey: "a",
          message: `token ${secret}`,
          data: { metadata: { t: { type: "json", value: { deep: [secret, { quoted }] } } }, error: { className: "Error", message: secret, stack: `Error: ${secret}`, cause: null } },
        }),
      );
      const tick = await s().claimScheduleTick("sched", 1_000);
      await s().finishTick(tick.id, { status: "FAILURE", error: { className: "Error", message: `failed with ${secret}`, stack: null, cause: null }, skipReason: secret });
      await s().recordSensorTick("sensor", { tickTime: 1, status: "SKIPPED", requests: [], cursor: `cursor ${secret}`, skipReason: `skip ${secret}` });
      await s().recordDaemonHeartbeat({ daemonType: "sensor", daemonId: "d", timestamp: 1, errors: [{ className: "Error", message: secret, stack: null, cause: null }] });

      const everything = JSON.stringify([
        stored,
        await s().getRun("r"),
        await s().listRuns({ tags: { token: SECRET_MASK } }),
        await s().getEvents("r"),
        await s().getAssetIndex(["a"]),
        await s().listTicks("sched"),
        await s().listTicks("sensor"),
        await s().getInstigatorState("sensor"),
        await s().getDaemonHeartbeats(),
      ]);
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(JSON.stringify(quoted).slice(1, -1));
      expect((await s().listRuns({ tags: { token: SECRET_MASK } })).map((r) => r.runId)).toEqual(["r"]);
      expect(everything).toContain(SECRET_MASK);
      expect((await s().getRun("r"))?.tags).toEqual({ token: SECRET_MASK });
      expect(stored.message).toBe(`token ${SECRET_MASK}`);
    });
  });
}
