import { describe, expect, it } from "vitest";
import type { CheckEvaluationData, MetadataMap, NewEvent } from "../records.js";
import { caught, expectSluiceError, newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

/** An ASSET_CHECK_EVALUATION event of `assetKey`'s check `checkName`. */
function evaluation(
  runId: string,
  assetKey: string,
  checkName: string,
  extra: { partition?: string | null; passed?: boolean; data?: Partial<CheckEvaluationData>; timestamp?: number } = {},
): NewEvent {
  const passed = extra.passed ?? true;
  return newEvent(runId, "ASSET_CHECK_EVALUATION", {
    stepKey: `${assetKey}:${checkName}`,
    assetKey,
    partition: extra.partition ?? null,
    ...(extra.timestamp === undefined ? {} : { timestamp: extra.timestamp }),
    data: {
      checkName,
      status: passed ? "PASSED" : "FAILED",
      passed,
      severity: "ERROR",
      description: null,
      metadata: {},
      ...extra.data,
    },
  });
}

/** Contract of asset check evaluations: written with their event, latest and history reads, wipe. */
export function describeCheckContract(s: StorageFixture): void {
  describe("asset check evaluations", () => {
    it("records an evaluation in the call that stores its event, with every field", async () => {
      await s().createRun(queuedRecord("r"));
      const metadata: MetadataMap = { nulls: { type: "int", value: 3 } };
      const event = await s().storeEvent(
        evaluation("r", "raw/orders", "no_nulls", {
          passed: false,
          timestamp: 1234,
          data: { severity: "WARN", description: "3 null ids", metadata },
        }),
      );
      const expected = {
        assetKey: "raw/orders",
        checkName: "no_nulls",
        partition: null,
        runId: "r",
        eventId: event.id,
        timestamp: 1234,
        status: "FAILED",
        passed: false,
        severity: "WARN",
        description: "3 null ids",
        metadata,
      };
      expect(await s().getLatestCheckEvaluations()).toEqual([expected]);
      expect(await s().getCheckEvaluations("raw/orders", "no_nulls")).toEqual([expected]);
    });

    it("keeps the latest per asset, check and partition, sorted, and filters by asset", async () => {
      await s().createRun(queuedRecord("r1"));
      await s().createRun(queuedRecord("r2"));
      await s().storeEvents([
        evaluation("r1", "b", "rows", { passed: false }),
        evaluation("r1", "a", "rows", { partition: "p2" }),
        evaluation("r1", "a", "rows"),
        evaluation("r1", "a", "fresh"),
      ]);
      const newerB = await s().storeEvent(evaluation("r2", "b", "rows"));
      await s().storeEvent(evaluation("r2", "a", "rows", { partition: "p1", passed: false }));
      const latest = await s().getLatestCheckEvaluations();
      expect(latest.map((e) => [e.assetKey, e.checkName, e.partition, e.runId, e.passed])).toEqual([
        ["a", "fresh", null, "r1", true],
        ["a", "rows", null, "r1", true],
        ["a", "rows", "p1", "r2", false],
        ["a", "rows", "p2", "r1", true],
        ["b", "rows", null, "r2", true],
      ]);
      expect(latest[4]?.eventId).toBe(newerB.id);
      expect((await s().getLatestCheckEvaluations(["b", "unknown"])).map((e) => e.runId)).toEqual(["r2"]);
      expect(await s().getLatestCheckEvaluations([])).toEqual([]);
    });

    it("lists a check's history newest first, by partition, with a limit and pages", async () => {
      await s().createRun(queuedRecord("r"));
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await s().storeEvent(evaluation("r", "a", "rows", { partition: i % 2 ? "p" : null }))).id);
        await s().storeEvent(evaluation("r", "a", "other"));
      }
      const history = await s().getCheckEvaluations("a", "rows");
      expect(history.map((e) => e.eventId)).toEqual([...ids].reverse());
      expect((await s().getCheckEvaluations("a", "rows", { limit: 2 })).map((e) => e.eventId)).toEqual([ids[4], ids[3]]);
      expect((await s().getCheckEvaluations("a", "rows", { beforeEventId: ids[3]!, limit: 2 })).map((e) => e.eventId)).toEqual([ids[2], ids[1]]);
      expect((await s().getCheckEvaluations("a", "rows", { partition: "p" })).map((e) => e.eventId)).toEqual([ids[3], ids[1]]);
      expect((await s().getCheckEvaluations("a", "rows", { partition: null })).map((e) => e.eventId)).toEqual([ids[4], ids[2], ids[0]]);
      expect(await s().getCheckEvaluations("a", "rows", { limit: 0 })).toEqual([]);
      expect(await s().getCheckEvaluations("a", "never")).toEqual([]);
    });

    it("stores an execution failure as not passed", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvent(evaluation("r", "a", "rows", { passed: false, data: { status: "EXECUTION_FAILED", description: "boom" } }));
      const [latest] = await s().getLatestCheckEvaluations(["a"]);
      expect(latest).toMatchObject({ status: "EXECUTION_FAILED", passed: false, description: "boom" });
    });

    it("refuses a malformed evaluation event and stores nothing of its batch", async () => {
      await s().createRun(queuedRecord("r"));
      const malformed = evaluation("r", "a", "rows", { data: { status: "MAYBE" as never } });
      const err = await caught(s().storeEvents([newEvent("r", "LOG"), malformed]));
      expectSluiceError(err, "STORAGE_ERROR", /ASSET_CHECK_EVALUATION event of run "r" is malformed: data\.status is "MAYBE"/);
      const noAsset = { ...evaluation("r", "a", "rows"), assetKey: null };
      expectSluiceError(await caught(s().storeEvent(noAsset)), "STORAGE_ERROR", /names no asset/);
      expect(await s().getEvents("r")).toEqual([]);
      expect(await s().getLatestCheckEvaluations()).toEqual([]);
    });

    it("wipes the evaluations and their events with the asset, and only its", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvents([
        evaluation("r", "a", "rows"),
        evaluation("r", "a", "rows", { partition: "p" }),
        evaluation("r", "b", "rows"),
      ]);
      await s().wipeAssets(["a"]);
      expect((await s().getLatestCheckEvaluations()).map((e) => e.assetKey)).toEqual(["b"]);
      expect(await s().getCheckEvaluations("a", "rows")).toEqual([]);
      expect((await s().getEvents("r")).map((e) => e.assetKey)).toEqual(["b"]);
    });
  });
}
