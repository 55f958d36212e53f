import { describe, expect, it } from "vitest";
import type { RunQueueLimits, RunRecord, RunStatus, TagConcurrencyLimit } from "../records.js";
import type { Storage } from "../storage.js";
import { freezeTime, queuedRecord, queueRun, type StorageFixture } from "./contract-helpers.js";

const UNLIMITED: RunQueueLimits = { maxConcurrentRuns: -1, tagLimits: [] };

/** Limits with only tag limits (no instance-wide maximum). */
function tagLimits(...limits: TagConcurrencyLimit[]): RunQueueLimits {
  return { maxConcurrentRuns: -1, tagLimits: limits };
}

/** A run already past the queue, in `status`. */
async function runIn(storage: Storage, runId: string, status: RunStatus, tags: Record<string, string> = {}) {
  await storage.createRun({ ...queuedRecord(runId), tags, status });
}

const ids = (runs: RunRecord[]) => runs.map((r) => r.runId);

/** Contract of claimQueuedRuns: order, concurrency limits, and claimers racing each other. */
export function describeRunQueueContract(s: StorageFixture): void {
  describe("run queue", () => {
    it("claims queued runs oldest first, up to max, moving them to STARTING for the worker", async () => {
      await queueRun(s(), "t3", {}, 3_000);
      await queueRun(s(), "t1-a", {}, 1_000);
      await queueRun(s(), "t1-b", {}, 1_000);
      await queueRun(s(), "t2", {}, 2_000);
      await runIn(s(), "already", "STARTED");
      freezeTime(9_000);
      const first = await s().claimQueuedRuns("worker-1", 3, UNLIMITED);
      expect(ids(first)).toEqual(["t1-a", "t1-b", "t2"]);
      for (const run of first) {
        expect(run).toMatchObject({ status: "STARTING", workerId: "worker-1", updatedAt: 9_000 });
        expect(await s().getRun(run.runId)).toEqual(run);
      }
      expect(ids(await s().claimQueuedRuns("worker-2", 10, UNLIMITED))).toEqual(["t3"]);
      expect((await s().getRun("t3"))?.workerId).toBe("worker-2");
      expect(await s().claimQueuedRuns("worker-2", 10, UNLIMITED)).toEqual([]);
      expect((await s().getRun("already"))?.workerId).toBeNull();
    });

    it("claims nothing when max is 0", async () => {
      await queueRun(s(), "q");
      expect(await s().claimQueuedRuns("w", 0, UNLIMITED)).toEqual([]);
      expect((await s().getRun("q"))?.status).toBe("QUEUED");
    });

    it("counts STARTING, STARTED and CANCELING runs against maxConcurrentRuns", async () => {
      await runIn(s(), "starting", "STARTING");
      await runIn(s(), "started", "STARTED");
      await runIn(s(), "canceling", "CANCELING");
      for (const done of ["SUCCESS", "FAILURE", "CANCELED"] as const) await runIn(s(), done, done);
      for (let i = 0; i < 5; i++) await queueRun(s(), `q${i}`, {}, 1_000 + i);
      const limits = { maxConcurrentRuns: 5, tagLimits: [] };
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["q0", "q1"]);
      expect(await s().claimQueuedRuns("w", 10, limits)).toEqual([]);
      await s().setRunStatus("started", "SUCCESS");
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["q2"]);
      expect(await s().claimQueuedRuns("w", 10, { maxConcurrentRuns: 0, tagLimits: [] })).toEqual([]);
      expect(ids(await s().claimQueuedRuns("w", 1, UNLIMITED))).toEqual(["q3"]);
    });

    it("limits runs with a tag value, counting in-progress runs with that value only", async () => {
      await runIn(s(), "running-pg", "STARTED", { db: "pg" });
      await runIn(s(), "done-mysql", "SUCCESS", { db: "mysql" });
      await queueRun(s(), "pg-1", { db: "pg" }, 1_000);
      await queueRun(s(), "mysql-1", { db: "mysql" }, 1_001);
      await queueRun(s(), "untagged", {}, 1_002);
      await queueRun(s(), "pg-2", { db: "pg" }, 1_003);
      const limits = tagLimits({ key: "db", value: "pg", limit: 1 });
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["mysql-1", "untagged"]);
      await s().setRunStatus("running-pg", "SUCCESS");
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["pg-1"]);
      expect(await s().claimQueuedRuns("w", 10, limits)).toEqual([]);
      expect((await s().getRun("pg-2"))?.status).toBe("QUEUED");
    });

    it("limits runs carrying a tag key whatever its value", async () => {
      await runIn(s(), "running", "CANCELING", { db: "sqlite" });
      await queueRun(s(), "pg", { db: "pg" }, 1_000);
      await queueRun(s(), "untagged", { other: "x" }, 1_001);
      await queueRun(s(), "mysql", { db: "mysql" }, 1_002);
      await queueRun(s(), "pg-2", { db: "pg" }, 1_003);
      const limits = tagLimits({ key: "db", limit: 2 });
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["pg", "untagged"]);
    });

    it("limits each distinct value of a tag separately with perUniqueValue", async () => {
      await runIn(s(), "running", "STARTED", { tenant: "acme" });
      const tenants = ["acme", "globex", "globex", "initech", "acme", "initech"];
      for (const [i, tenant] of tenants.entries()) await queueRun(s(), `${tenant}-${i}`, { tenant }, 1_000 + i);
      await queueRun(s(), "no-tenant", {}, 2_000);
      const limits = tagLimits({ key: "tenant", perUniqueValue: true, limit: 1 });
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["globex-1", "initech-3", "no-tenant"]);
      await s().setRunStatus("running", "SUCCESS");
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["acme-0"]);
    });

    it("takes a run only if it fits every limit at once, and respects max and the total", async () => {
      await queueRun(s(), "a", { db: "pg", team: "x" }, 1_000);
      await queueRun(s(), "b", { db: "pg", team: "y" }, 1_001);
      await queueRun(s(), "c", { db: "mysql", team: "x" }, 1_002);
      await queueRun(s(), "d", { db: "mysql", team: "y" }, 1_003);
      await queueRun(s(), "e", { team: "z" }, 1_004);
      await queueRun(s(), "f", {}, 1_005);
      const limits: RunQueueLimits = {
        maxConcurrentRuns: 3,
        tagLimits: [
          { key: "db", value: "pg", limit: 1 },
          { key: "team", perUniqueValue: true, limit: 1 },
        ],
      };
      // b: db=pg is taken by a; c: team x is taken by a; f would be the fourth run in progress.
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["a", "d", "e"]);
      expect(await s().claimQueuedRuns("w", 10, limits)).toEqual([]);
      await s().setRunStatus("a", "SUCCESS");
      // b: team y is still taken by d; c fits now that a is done.
      expect(ids(await s().claimQueuedRuns("w", 10, limits))).toEqual(["c"]);
      expect(ids(await s().claimQueuedRuns("w", 10, UNLIMITED))).toEqual(["b", "f"]);
    });

    it("looks past many blocked runs at the head of the queue", async () => {
      for (let i = 0; i < 130; i++) await queueRun(s(), `pg-${String(i).padStart(3, "0")}`, { db: "pg" }, 1_000 + i);
      await queueRun(s(), "mysql", { db: "mysql" }, 5_000);
      const limits = tagLimits({ key: "db", value: "pg", limit: 1 });
      expect(ids(await s().claimQueuedRuns("w", 5, limits))).toEqual(["pg-000", "mysql"]);
    });

    it("never gives one run to two claimers racing each other", async () => {
      const claimers = [s(), await s.openAnother()];
      for (let i = 0; i < 40; i++) await queueRun(s(), `q${String(i).padStart(2, "0")}`, {}, 1_000 + i);
      const claimedBy = new Map<string, string[]>();
      await Promise.all(
        claimers.flatMap((storage, c) =>
          ["a", "b"].map(async (suffix) => {
            const worker = `w${c}${suffix}`;
            for (;;) {
              const runs = await storage.claimQueuedRuns(worker, 3, UNLIMITED);
              if (runs.length === 0) return;
              for (const run of runs) claimedBy.set(run.runId, [...(claimedBy.get(run.runId) ?? []), worker]);
            }
          }),
        ),
      );
      expect(claimedBy.size).toBe(40);
      for (const [runId, workers] of claimedBy) {
        expect(workers.length, runId).toBe(1);
        expect((await s().getRun(runId))?.workerId).toBe(workers[0]);
      }
    });

    it("keeps maxConcurrentRuns across claimers racing each other", async () => {
      const claimers = [s(), await s.openAnother(), await s.openAnother()];
      for (let i = 0; i < 20; i++) await queueRun(s(), `q${i}`, { db: i % 2 ? "pg" : "mysql" }, 1_000 + i);
      const limits: RunQueueLimits = { maxConcurrentRuns: 7, tagLimits: [{ key: "db", value: "pg", limit: 2 }] };
      const claimed = (
        await Promise.all(
          claimers.flatMap((storage, c) => [1, 2, 3].map((n) => storage.claimQueuedRuns(`w${c}-${n}`, 3, limits))),
        )
      ).flat();
      expect(claimed.length).toBe(7);
      expect(new Set(ids(claimed)).size).toBe(7);
      expect(claimed.filter((run) => run.tags.db === "pg").length).toBe(2);
      expect((await s().listRuns({ statuses: ["STARTING"] })).length).toBe(7);
    });
  });
}
