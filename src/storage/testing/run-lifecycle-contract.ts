import { describe, expect, it } from "vitest";
import type { RunStatus } from "../records.js";
import {
  caught,
  expectSluiceError,
  freezeTime,
  newEvent,
  queuedRecord,
  type StorageFixture,
} from "./contract-helpers.js";

/**
 * Contract of a run's life after creation: conditional status changes, claims by id, heartbeats,
 * and RUN_* events that arrive after the run has already finished.
 */
export function describeRunLifecycleContract(s: StorageFixture): void {
  describe("run lifecycle", () => {
    it("sets a status only from the given ones, atomically, and says whether it did", async () => {
      freezeTime(1_000);
      await s().createRun(queuedRecord("r"));
      freezeTime(2_000);
      expect(await s().setRunStatus("r", "CANCELING", { onlyFrom: ["STARTING", "STARTED"] })).toBe(false);
      expect(await s().getRun("r")).toMatchObject({ status: "QUEUED", updatedAt: 1_000, endedAt: null });
      expect(await s().setRunStatus("r", "CANCELED", { onlyFrom: ["QUEUED"] })).toBe(true);
      expect(await s().getRun("r")).toMatchObject({ status: "CANCELED", updatedAt: 2_000, endedAt: 2_000 });
      freezeTime(3_000);
      expect(await s().setRunStatus("r", "QUEUED", { onlyFrom: ["QUEUED"] })).toBe(false);
      expect(await s().setRunStatus("r", "STARTED", { onlyFrom: [] })).toBe(false);
      expect(await s().getRun("r")).toMatchObject({ status: "CANCELED", updatedAt: 2_000 });
      // Without onlyFrom the change is unconditional.
      expect(await s().setRunStatus("r", "FAILURE")).toBe(true);
      expect(await s().getRun("r")).toMatchObject({ status: "FAILURE", endedAt: 3_000 });
    });

    it("sets endedAt only for finished statuses", async () => {
      freezeTime(1_000);
      await s().createRun(queuedRecord("r"));
      freezeTime(2_000);
      await s().setRunStatus("r", "STARTED");
      await s().setRunStatus("r", "CANCELING");
      expect(await s().getRun("r")).toMatchObject({ status: "CANCELING", endedAt: null });
      freezeTime(4_000);
      await s().setRunStatus("r", "SUCCESS");
      expect(await s().getRun("r")).toMatchObject({ status: "SUCCESS", endedAt: 4_000 });
    });

    it("throws RunNotFoundError for an unknown run, with or without onlyFrom", async () => {
      for (const options of [{ onlyFrom: ["QUEUED"] as RunStatus[] }, { onlyFrom: [] }]) {
        const err = await caught(s().setRunStatus("ghost", "CANCELED", options));
        expectSluiceError(err, "RUN_NOT_FOUND", /Run "ghost" was not found/);
      }
    });

    it("lets exactly one of two racing conditional changes win", async () => {
      const other = await s.openAnother();
      for (let i = 0; i < 5; i++) {
        await s().createRun(queuedRecord(`r${i}`));
        const [canceled, failed] = await Promise.all([
          s().setRunStatus(`r${i}`, "CANCELED", { onlyFrom: ["QUEUED"] }),
          other.setRunStatus(`r${i}`, "FAILURE", { onlyFrom: ["QUEUED"] }),
        ]);
        expect(canceled !== failed).toBe(true);
        expect((await s().getRun(`r${i}`))?.status).toBe(canceled ? "CANCELED" : "FAILURE");
      }
    });

    it("claims a run by id only while it is QUEUED, for one worker", async () => {
      freezeTime(1_000);
      await s().createRun(queuedRecord("r"));
      await s().createRun({ ...queuedRecord("started"), status: "STARTED" });
      freezeTime(2_000);
      expect(await s().claimRun("r", "cli-1")).toBe(true);
      expect(await s().getRun("r")).toMatchObject({ status: "STARTING", workerId: "cli-1", updatedAt: 2_000 });
      expect(await s().claimRun("r", "cli-2")).toBe(false);
      expect((await s().getRun("r"))?.workerId).toBe("cli-1");
      expect(await s().claimRun("started", "cli-2")).toBe(false);
      expect(await s().getRun("started")).toMatchObject({ status: "STARTED", workerId: null });
      const err = await caught(s().claimRun("ghost", "cli-1"));
      expectSluiceError(err, "RUN_NOT_FOUND", /Run "ghost" was not found/);
    });

    it("gives a run raced for by several claimers to exactly one of them", async () => {
      const storages = [s(), await s.openAnother(), await s.openAnother()];
      await s().createRun(queuedRecord("r"));
      const results = await Promise.all(
        storages.flatMap((storage, i) => [
          storage.claimRun("r", `w${i}a`),
          storage.claimRun("r", `w${i}b`),
        ]),
      );
      expect(results.filter(Boolean).length).toBe(1);
      const winner = ["w0a", "w0b", "w1a", "w1b", "w2a", "w2b"][results.indexOf(true)];
      expect((await s().getRun("r"))?.workerId).toBe(winner);
    });

    it("records heartbeats of a run", async () => {
      freezeTime(1_000);
      await s().createRun(queuedRecord("r"));
      expect((await s().getRun("r"))?.heartbeatAt).toBeNull();
      freezeTime(5_000);
      await s().heartbeatRun("r");
      expect(await s().getRun("r")).toMatchObject({ heartbeatAt: 5_000, updatedAt: 5_000, status: "QUEUED" });
      freezeTime(6_000);
      await s().heartbeatRun("r");
      expect((await s().getRun("r"))?.heartbeatAt).toBe(6_000);
      const err = await caught(s().heartbeatRun("ghost"));
      expectSluiceError(err, "RUN_NOT_FOUND", /Run "ghost" was not found/);
    });

    it("stores a late RUN_* event of a finished run but leaves the run as it finished", async () => {
      for (const finished of ["SUCCESS", "FAILURE", "CANCELED"] as const) {
        const runId = `run-${finished}`;
        freezeTime(1_000);
        await s().createRun(queuedRecord(runId));
        await s().storeEvent(newEvent(runId, "RUN_START", { timestamp: 1_100 }));
        freezeTime(2_000);
        // Monitoring (or a cancel) decides first; the slow worker reports afterwards.
        await s().setRunStatus(runId, finished);
        freezeTime(3_000);
        for (const late of ["RUN_START", "RUN_SUCCESS", "RUN_FAILURE", "RUN_CANCELED"] as const) {
          await s().storeEvent(newEvent(runId, late, { timestamp: 2_500 }));
        }
        expect(await s().getRun(runId)).toMatchObject({
          status: finished,
          startedAt: 1_100,
          endedAt: 2_000,
          updatedAt: 2_000,
        });
        expect((await s().getEvents(runId)).map((e) => e.type)).toEqual([
          "RUN_START",
          "RUN_START",
          "RUN_SUCCESS",
          "RUN_FAILURE",
          "RUN_CANCELED",
        ]);
      }
    });

    it("lets the first finishing event win over later ones", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvents([
        newEvent("r", "RUN_START", { timestamp: 1 }),
        newEvent("r", "RUN_FAILURE", { timestamp: 2 }),
        newEvent("r", "RUN_SUCCESS", { timestamp: 3 }),
      ]);
      expect(await s().getRun("r")).toMatchObject({ status: "FAILURE", endedAt: 2 });
    });

    it("keeps a CANCELING run CANCELING on RUN_START, recording when it started", async () => {
      await s().createRun(queuedRecord("r"));
      await s().setRunStatus("r", "CANCELING");
      await s().storeEvent(newEvent("r", "RUN_START", { timestamp: 10 }));
      expect(await s().getRun("r")).toMatchObject({ status: "CANCELING", startedAt: 10, endedAt: null });
      await s().storeEvent(newEvent("r", "RUN_CANCELED", { timestamp: 20 }));
      expect(await s().getRun("r")).toMatchObject({ status: "CANCELED", startedAt: 10, endedAt: 20 });
    });
  });
}
