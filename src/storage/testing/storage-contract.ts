import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LATEST_SCHEMA_VERSION } from "../migrations.js";
import type { NewRun, RunRecord } from "../records.js";
import type { Storage } from "../storage.js";
import { describeAssetContract } from "./asset-contract.js";
import { describeBatchedEventsContract } from "./batched-events-contract.js";
import { describeAutomationContract } from "./automation-contract.js";
import { describeBackfillContract } from "./backfill-contract.js";
import { describeCheckContract } from "./check-contract.js";
import {
  caught,
  expectSluiceError,
  freezeTime,
  queuedRecord,
  type StorageFixture,
} from "./contract-helpers.js";
import { describeDynamicPartitionsContract } from "./dynamic-partitions-contract.js";
import { describeEventContract } from "./event-contract.js";
import { describeFreshnessContract } from "./freshness-contract.js";
import { describeLatestAttemptsContract } from "./latest-attempts-contract.js";
import { describeLeaseContract } from "./lease-contract.js";
import { describeObservationContract } from "./observation-contract.js";
import { describeRunEndContract } from "./run-end-contract.js";
import { describeRunLifecycleContract } from "./run-lifecycle-contract.js";
import { describeRunQueueContract } from "./run-queue-contract.js";
import { describeScheduleContract } from "./schedule-contract.js";
import { describeSensorContract } from "./sensor-contract.js";
import { describeStoredValuesContract } from "./stored-values-contract.js";
import { describeVersionContract } from "./version-contract.js";

/** How the contract suite reaches a backend. */
export interface StorageContractBackend {
  /** Creates a fresh, empty database and returns what `open` needs to reach it (a file, a schema). */
  newDatabase(): string | Promise<string>;
  /** Opens (and migrates) a storage on `database`; some tests open several on one database. */
  open(database: string): Promise<Storage>;
}

/**
 * The contract every Storage backend must pass: one suite, called from each backend's test file.
 * Each test gets a storage on a new database (and may open more on the same one). Backend
 * differences may only be read from `storage.capabilities`.
 *
 * @example
 * describeStorageContract("sqlite", { newDatabase: () => tempFile(), open: openSqliteStorage });
 */
export function describeStorageContract(backendName: string, backend: StorageContractBackend): void {
  describe(`Storage contract: ${backendName}`, () => {
    let database: string | undefined;
    let opened: Storage[] = [];
    const current = (() => {
      const storage = opened[0];
      if (storage === undefined) throw new Error("storage is opened in beforeEach");
      return storage;
    }) as StorageFixture;
    current.openAnother = async () => {
      if (database === undefined) throw new Error("storage is opened in beforeEach");
      const another = await backend.open(database);
      opened.push(another);
      return another;
    };
    beforeEach(async () => {
      database = await backend.newDatabase();
      opened = [await backend.open(database)];
    });
    afterEach(async () => {
      vi.useRealTimers();
      await Promise.all(opened.map((storage) => storage.close()));
      opened = [];
      database = undefined;
    });

    describeMigrationContract(current);
    describeRunContract(current);
    describeRunLifecycleContract(current);
    describeRunEndContract(current);
    describeRunQueueContract(current);
    describeEventContract(current);
    describeAssetContract(current);
    describeScheduleContract(current);
    describeSensorContract(current);
    describeLeaseContract(current);
    describeLatestAttemptsContract(current);
    describeDynamicPartitionsContract(current);
    describeAutomationContract(current);
    describeBackfillContract(current);
    describeObservationContract(current);
    describeFreshnessContract(current);
    describeVersionContract(current);
    describeCheckContract(current);
    describeStoredValuesContract(current);
    describeBatchedEventsContract(current);
  });
}

function describeMigrationContract(s: StorageFixture): void {
  describe("migrations", () => {
    it("opens at the latest schema version", async () => {
      expect(LATEST_SCHEMA_VERSION).toBeGreaterThan(0);
      expect(await s().schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    });

    it("migrates again as a no-op that keeps the data, also when called concurrently", async () => {
      await s().createRun(queuedRecord("kept"));
      await Promise.all([s().migrate(), s().migrate(), s().migrate()]);
      expect(await s().schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect((await s().getRun("kept"))?.runId).toBe("kept");
    });

    it("counts its runs and events as numbers", async () => {
      expect(await s().countRecords()).toEqual({ runs: 0, events: 0 });
      await s().createRun(queuedRecord("a"));
      await s().createRun(queuedRecord("b"));
      await s().storeEvents([{ runId: "a", type: "LOG" }, { runId: "b", type: "LOG" }, { runId: "b", type: "RUN_START" }]);
      expect(await s().countRecords()).toEqual({ runs: 2, events: 3 });
    });

    it("describes its backend", () => {
      expect(["sqlite", "postgres"]).toContain(s().capabilities.dialect);
      expect(typeof s().capabilities.multiMachine).toBe("boolean");
    });
  });
}

function describeRunContract(s: StorageFixture): void {
  describe("runs", () => {
    it("creates a run with defaults: QUEUED, timestamps now, empty config and tags", async () => {
      freezeTime(1_700_000_000_000);
      const created = await s().createRun({ runId: "r1", jobName: "__asset_job", selection: ["a"] });
      const expected: RunRecord = {
        runId: "r1",
        status: "QUEUED",
        jobName: "__asset_job",
        selection: ["a"],
        selectionExpression: null,
        partition: null,
        config: {},
        tags: {},
        parentRunId: null,
        rootRunId: null,
        createdAt: 1_700_000_000_000,
        updatedAt: 1_700_000_000_000,
        startedAt: null,
        endedAt: null,
        workerId: null,
        heartbeatAt: null,
        process: null,
      };
      expect(created).toEqual(expected);
      expect(await s().getRun("r1")).toEqual(expected);
    });

    it("keeps every given field", async () => {
      const run: NewRun = {
        runId: "r2",
        jobName: "daily",
        selection: ["raw/orders", "daily_totals"],
        selectionExpression: '+key:"daily_totals"',
        partition: "2024-01-01",
        config: { ops: { "raw/orders": { config: { path: "x.csv", n: 3, deep: [1, { a: null }] } } } },
        tags: { owner: "ana", "sluice/schedule": "every 5 min", quote: `it's "q"` },
        status: "STARTING",
      };
      const created = await s().createRun(run);
      expect(created).toMatchObject({ ...run, parentRunId: null, rootRunId: null });
      expect(await s().getRun("r2")).toEqual(created);
    });

    it("defaults rootRunId to the parent's root, and keeps an explicit one", async () => {
      await s().createRun(queuedRecord("root"));
      const child = await s().createRun({ ...queuedRecord("child"), parentRunId: "root" });
      const grandchild = await s().createRun({ ...queuedRecord("grandchild"), parentRunId: "child" });
      const explicit = await s().createRun({
        ...queuedRecord("explicit"),
        parentRunId: "child",
        rootRunId: "elsewhere",
      });
      expect([child.rootRunId, grandchild.rootRunId, explicit.rootRunId]).toEqual([
        "root",
        "root",
        "elsewhere",
      ]);
      expect(grandchild.parentRunId).toBe("child");
      expect((await s().getRun("grandchild"))?.rootRunId).toBe("root");
    });

    it("rejects a duplicate run id with a StorageError naming it, and keeps the first run", async () => {
      await s().createRun({ ...queuedRecord("dup"), tags: { a: "1" } });
      const err = await caught(s().createRun({ ...queuedRecord("dup"), jobName: "other", tags: { b: "2" } }));
      expectSluiceError(err, "STORAGE_ERROR", /Run "dup" already exists/);
      const kept = await s().getRun("dup");
      expect(kept?.jobName).toBe("job");
      expect(kept?.tags).toEqual({ a: "1" });
      expect((await s().listRuns({ tags: { b: "2" } })).length).toBe(0);
    });

    it("returns undefined for an unknown run", async () => {
      expect(await s().getRun("nope")).toBeUndefined();
    });

    it("lists runs newest first; runs created in one millisecond newest-inserted first", async () => {
      freezeTime(1_000);
      await s().createRun(queuedRecord("t1-a"));
      await s().createRun(queuedRecord("t1-b"));
      freezeTime(3_000);
      await s().createRun(queuedRecord("t3"));
      freezeTime(2_000);
      await s().createRun(queuedRecord("t2-a"));
      await s().createRun(queuedRecord("t2-b"));
      await s().createRun(queuedRecord("t2-c"));
      const ids = (await s().listRuns()).map((r) => r.runId);
      expect(ids).toEqual(["t3", "t2-c", "t2-b", "t2-a", "t1-b", "t1-a"]);
      expect((await s().listRuns({ limit: 2 })).map((r) => r.runId)).toEqual(["t3", "t2-c"]);
    });

    it("pages runs with before: the runs after a given run in that order, ties included, with filters", async () => {
      freezeTime(1_000);
      await s().createRun(queuedRecord("t1-a"));
      await s().createRun({ ...queuedRecord("t1-b"), jobName: "other" });
      freezeTime(2_000);
      await s().createRun(queuedRecord("t2-a"));
      await s().createRun(queuedRecord("t2-b"));
      await s().createRun({ ...queuedRecord("t2-c"), jobName: "other" });
      freezeTime(3_000);
      await s().createRun(queuedRecord("t3"));
      const page = async (filter: Parameters<Storage["listRuns"]>[0]) => (await s().listRuns(filter)).map((r) => r.runId);
      // Walking the whole list two at a time gives every run once, in order.
      const walked: string[] = [];
      let before: string | undefined;
      for (;;) {
        const ids = await page({ limit: 2, ...(before ? { before } : {}) });
        if (ids.length === 0) break;
        walked.push(...ids);
        before = ids[ids.length - 1];
      }
      expect(walked).toEqual(["t3", "t2-c", "t2-b", "t2-a", "t1-b", "t1-a"]);
      // Within one millisecond, before a tie's newest gives the older ones.
      expect(await page({ before: "t2-c" })).toEqual(["t2-b", "t2-a", "t1-b", "t1-a"]);
      // Combined with a filter; the anchor itself need not match it.
      expect(await page({ before: "t2-c", jobName: "other" })).toEqual(["t1-b"]);
      expect(await page({ before: "t3", statuses: ["QUEUED"], limit: 3 })).toEqual(["t2-c", "t2-b", "t2-a"]);
      // A run created after the page was read does not shift the next page.
      freezeTime(4_000);
      await s().createRun(queuedRecord("t4"));
      expect(await page({ before: "t2-b", limit: 2 })).toEqual(["t2-a", "t1-b"]);
      await expect(s().listRuns({ before: "gone" })).rejects.toThrow(/gone/);
    });

    it("filters runs by status, job, ids, tags (all must match) and limit", async () => {
      await s().createRun({ ...queuedRecord("a"), jobName: "billing", tags: { env: "prod", team: "x" } });
      await s().createRun({ ...queuedRecord("b"), jobName: "billing", tags: { env: "prod" } });
      await s().createRun({ ...queuedRecord("c"), jobName: "cleanup", tags: { env: "dev", team: "x" } });
      await s().createRun({ ...queuedRecord("d"), jobName: "cleanup", status: "STARTED" });
      const ids = async (filter: Parameters<Storage["listRuns"]>[0]) =>
        (await s().listRuns(filter)).map((r) => r.runId);

      expect(await ids({ statuses: ["STARTED"] })).toEqual(["d"]);
      expect(await ids({ statuses: ["QUEUED", "STARTED"] })).toEqual(["d", "c", "b", "a"]);
      expect(await ids({ jobName: "billing" })).toEqual(["b", "a"]);
      expect(await ids({ runIds: ["a", "d", "zz"] })).toEqual(["d", "a"]);
      expect(await ids({ tags: { env: "prod" } })).toEqual(["b", "a"]);
      expect(await ids({ tags: { env: "prod", team: "x" } })).toEqual(["a"]);
      expect(await ids({ tags: { team: "x" } })).toEqual(["c", "a"]);
      expect(await ids({ tags: { env: "prod", team: "nope" } })).toEqual([]);
      expect(await ids({ tags: { env: "prod" }, jobName: "cleanup" })).toEqual([]);
      expect(await ids({ jobName: "cleanup", statuses: ["QUEUED"] })).toEqual(["c"]);
      expect(await ids({ tags: {} })).toEqual(["d", "c", "b", "a"]);
      expect(await ids({ jobName: "billing", limit: 1 })).toEqual(["b"]);
    });

    it("counts runs with the filters of listRuns, without reading them", async () => {
      await s().createRun({ ...queuedRecord("a"), jobName: "billing", tags: { env: "prod", team: "x" } });
      await s().createRun({ ...queuedRecord("b"), jobName: "billing", tags: { env: "prod" } });
      await s().createRun({ ...queuedRecord("c"), jobName: "cleanup", tags: { env: "dev", team: "x" }, parentRunId: "a" });
      await s().createRun({ ...queuedRecord("d"), jobName: "cleanup", status: "STARTED" });
      expect(await s().countRuns()).toBe(4);
      expect(await s().countRuns({ statuses: ["QUEUED"] })).toBe(3);
      expect(await s().countRuns({ statuses: ["QUEUED", "STARTED"], jobName: "cleanup" })).toBe(2);
      expect(await s().countRuns({ tags: { env: "prod" } })).toBe(2);
      expect(await s().countRuns({ tags: { env: "prod", team: "x" } })).toBe(1);
      expect(await s().countRuns({ runIds: ["a", "d", "zz"] })).toBe(2);
      expect(await s().countRuns({ parentRunIds: ["a"] })).toBe(1);
      expect(await s().countRuns({ statuses: [] })).toBe(0);
      expect(typeof (await s().countRuns({ jobName: "nope" }))).toBe("number");
    });

    it("matches nothing when a filter list is empty", async () => {
      await s().createRun(queuedRecord("a"));
      expect(await s().listRuns({ statuses: [] })).toEqual([]);
      expect(await s().listRuns({ runIds: [] })).toEqual([]);
      expect(await s().listRuns({ limit: 0 })).toEqual([]);
      expect(await s().listRuns({ parentRunIds: [] })).toEqual([]);
    });

    it("lists the re-executions of given parents, newest first", async () => {
      await s().createRun(queuedRecord("p1"));
      await s().createRun(queuedRecord("p2"));
      await s().createRun({ ...queuedRecord("p1-retry1"), parentRunId: "p1" });
      await s().createRun({ ...queuedRecord("p2-retry1"), parentRunId: "p2" });
      await s().createRun({ ...queuedRecord("p1-retry1-retry"), parentRunId: "p1-retry1" });
      await s().createRun({ ...queuedRecord("p1-retry2"), parentRunId: "p1", tags: { k: "v" } });
      const ids = async (filter: Parameters<Storage["listRuns"]>[0]) =>
        (await s().listRuns(filter)).map((r) => r.runId);
      expect(await ids({ parentRunIds: ["p1"] })).toEqual(["p1-retry2", "p1-retry1"]);
      expect(await ids({ parentRunIds: ["p1", "p2"] })).toEqual(["p1-retry2", "p2-retry1", "p1-retry1"]);
      expect(await ids({ parentRunIds: ["p1"], tags: { k: "v" } })).toEqual(["p1-retry2"]);
      expect(await ids({ parentRunIds: ["nobody"] })).toEqual([]);
    });

    it("sets a run's status directly and bumps updatedAt", async () => {
      freezeTime(1_000);
      await s().createRun(queuedRecord("r"));
      freezeTime(5_000);
      await s().setRunStatus("r", "CANCELING");
      expect(await s().getRun("r")).toMatchObject({
        status: "CANCELING",
        createdAt: 1_000,
        updatedAt: 5_000,
      });
      expect((await s().listRuns({ statuses: ["CANCELING"] })).map((r) => r.runId)).toEqual(["r"]);
    });

    it("throws RunNotFoundError when setting the status of an unknown run", async () => {
      const err = await caught(s().setRunStatus("ghost", "FAILURE"));
      expectSluiceError(err, "RUN_NOT_FOUND", /Run "ghost" was not found/);
      expect((err as { runId?: string }).runId).toBe("ghost");
    });
  });
}
