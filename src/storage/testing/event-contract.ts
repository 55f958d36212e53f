import { describe, expect, it } from "vitest";
import type { EventRecord, NewEvent } from "../records.js";
import type { Storage } from "../storage.js";
import {
  caught,
  expectSluiceError,
  freezeTime,
  newEvent,
  queuedRecord,
  type StorageFixture,
} from "./contract-helpers.js";

/** Contract of the event log: storeEvent(s), run status through events, reads, step stats. */
export function describeEventContract(s: StorageFixture): void {
  describe("events", () => {
    it("stores an event with defaults and returns it as getEvents reads it", async () => {
      await s().createRun(queuedRecord("r"));
      freezeTime(42_000);
      const stored = await s().storeEvent(newEvent("r", "LOG"));
      expect(stored).toEqual({
        id: expect.any(Number),
        runId: "r",
        type: "LOG",
        timestamp: 42_000,
        stepKey: null,
        assetKey: null,
        partition: null,
        level: "INFO",
        message: "",
        data: {},
      });
      expect(await s().getEvents("r")).toEqual([stored]);
    });

    it("keeps every given field, nested data included", async () => {
      await s().createRun(queuedRecord("r"));
      const event: NewEvent = {
        runId: "r",
        type: "STEP_FAILURE",
        timestamp: 123,
        stepKey: "daily_totals",
        assetKey: "daily_totals",
        partition: "2024-01-01",
        level: "ERROR",
        message: "boom — ünïcode ✓",
        data: {
          attempt: 2,
          error: {
            className: "TypeError",
            message: "x is undefined",
            stack: "TypeError: x\n    at y",
            code: "E1",
            cause: { className: "Error", message: "inner", stack: null, cause: null },
          },
          custom: { list: [1, "two", null], flag: true },
        },
      };
      const stored = await s().storeEvent(event);
      expect(stored).toEqual({ id: stored.id, ...event });
      expect(await s().getEvents("r")).toEqual([stored]);
    });

    it("moves the run's status and times with RUN_* events", async () => {
      for (const [type, status] of [
        ["RUN_SUCCESS", "SUCCESS"],
        ["RUN_FAILURE", "FAILURE"],
        ["RUN_CANCELED", "CANCELED"],
      ] as const) {
        const runId = `run-${status}`;
        freezeTime(1_000);
        await s().createRun(queuedRecord(runId));
        freezeTime(2_000);
        await s().storeEvent(newEvent(runId, "RUN_ENQUEUED"));
        expect(await s().getRun(runId)).toMatchObject({ status: "QUEUED", startedAt: null });
        await s().storeEvent(newEvent(runId, "RUN_START", { timestamp: 2_500 }));
        expect(await s().getRun(runId)).toMatchObject({
          status: "STARTED",
          startedAt: 2_500,
          endedAt: null,
          updatedAt: 2_000,
        });
        freezeTime(4_000);
        await s().storeEvent(newEvent(runId, type, { timestamp: 3_500 }));
        expect(await s().getRun(runId)).toMatchObject({
          status,
          startedAt: 2_500,
          endedAt: 3_500,
          createdAt: 1_000,
          updatedAt: 4_000,
        });
      }
    });

    it("throws RunNotFoundError for an event of an unknown run, and stores nothing", async () => {
      await s().createRun(queuedRecord("real"));
      const err = await caught(s().storeEvent(newEvent("ghost", "LOG")));
      expectSluiceError(err, "RUN_NOT_FOUND", /Run "ghost" was not found/);
      expect((err as { runId?: string }).runId).toBe("ghost");
      const lifecycle = await caught(s().storeEvent(newEvent("ghost", "RUN_START")));
      expectSluiceError(lifecycle, "RUN_NOT_FOUND", /ghost/);
      expect(await s().getEvents("ghost")).toEqual([]);
      expect(await s().getEvents("real")).toEqual([]);
    });

    it("stores a batch in order, with increasing ids and every side effect", async () => {
      await s().createRun(queuedRecord("r"));
      const stored = await s().storeEvents([
        newEvent("r", "RUN_START", { timestamp: 10 }),
        newEvent("r", "STEP_START", { stepKey: "a", timestamp: 11 }),
        newEvent("r", "ASSET_MATERIALIZATION", { stepKey: "a", assetKey: "a", timestamp: 12 }),
        newEvent("r", "STEP_SUCCESS", { stepKey: "a", timestamp: 13 }),
        newEvent("r", "RUN_SUCCESS", { timestamp: 14 }),
      ]);
      expect(stored.map((e) => e.type)).toEqual([
        "RUN_START",
        "STEP_START",
        "ASSET_MATERIALIZATION",
        "STEP_SUCCESS",
        "RUN_SUCCESS",
      ]);
      expectIncreasing(stored.map((e) => e.id));
      expect(await s().getEvents("r")).toEqual(stored);
      expect(await s().getRun("r")).toMatchObject({ status: "SUCCESS", startedAt: 10, endedAt: 14 });
      expect((await s().getAssetIndex(["a"]))[0]?.eventId).toBe(stored[2]!.id);
      expect(await s().storeEvents([])).toEqual([]);
    });

    it("stores nothing of a batch when one of its runs is unknown", async () => {
      await s().createRun(queuedRecord("r"));
      const err = await caught(
        s().storeEvents([
          newEvent("r", "RUN_START"),
          newEvent("r", "ASSET_MATERIALIZATION", { assetKey: "a" }),
          newEvent("ghost", "LOG"),
        ]),
      );
      expectSluiceError(err, "RUN_NOT_FOUND", /Run "ghost" was not found/);
      expect(await s().getEvents("r")).toEqual([]);
      expect((await s().getRun("r"))?.status).toBe("QUEUED");
      expect(await s().getAssetIndex()).toEqual([]);
    });

    it("reads a run's events in write order, tails after an id, filters types and limits", async () => {
      await s().createRun(queuedRecord("r"));
      await s().createRun(queuedRecord("other"));
      const stored: EventRecord[] = [];
      for (let i = 0; i < 6; i++) {
        const type = i % 2 === 0 ? "LOG" : "STEP_START";
        stored.push(await s().storeEvent(newEvent("r", type, { message: `m${i}`, stepKey: "s" })));
        await s().storeEvent(newEvent("other", "LOG"));
      }
      const ids = stored.map((e) => e.id);
      expectIncreasing(ids);
      expect((await s().getEvents("r")).map((e) => e.id)).toEqual(ids);
      expect((await s().getEvents("r", { afterId: ids[2] })).map((e) => e.id)).toEqual(ids.slice(3));
      expect(await s().getEvents("r", { afterId: ids[5] })).toEqual([]);
      expect((await s().getEvents("r", { types: ["STEP_START"] })).map((e) => e.message)).toEqual([
        "m1",
        "m3",
        "m5",
      ]);
      expect((await s().getEvents("r", { types: ["LOG", "STEP_START"] })).length).toBe(6);
      expect(await s().getEvents("r", { types: [] })).toEqual([]);
      expect((await s().getEvents("r", { limit: 2 })).map((e) => e.id)).toEqual(ids.slice(0, 2));
      const tail = await s().getEvents("r", { afterId: ids[0], types: ["LOG"], limit: 1 });
      expect(tail.map((e) => e.message)).toEqual(["m2"]);
      expect(await s().getEvents("nope")).toEqual([]);
    });

    it("tails events across runs in write order, by type and asset key", async () => {
      await s().createRun(queuedRecord("r1"));
      await s().createRun(queuedRecord("r2"));
      const stored = await s().storeEvents([
        newEvent("r1", "RUN_START"),
        newEvent("r2", "RUN_START"),
        newEvent("r1", "ASSET_MATERIALIZATION", { assetKey: "a" }),
        newEvent("r2", "ASSET_MATERIALIZATION", { assetKey: "b" }),
        newEvent("r2", "LOG", { assetKey: "a" }),
        newEvent("r1", "RUN_SUCCESS"),
        newEvent("r2", "ASSET_MATERIALIZATION", { assetKey: "a" }),
        newEvent("r2", "RUN_FAILURE"),
      ]);
      const id = (i: number) => stored[i]!.id;
      const across = async (query: Parameters<Storage["getEventsAcrossRuns"]>[0]) =>
        (await s().getEventsAcrossRuns(query)).map((e) => e.id);
      expect(await s().getEventsAcrossRuns({})).toEqual(stored);
      expect(await across({ afterId: id(3) })).toEqual([id(4), id(5), id(6), id(7)]);
      expect(await across({ afterId: id(7) })).toEqual([]);
      expect(await across({ types: ["RUN_SUCCESS", "RUN_FAILURE"] })).toEqual([id(5), id(7)]);
      expect(await across({ assetKeys: ["a"] })).toEqual([id(2), id(4), id(6)]);
      const materializedA = { types: ["ASSET_MATERIALIZATION" as const], assetKeys: ["a"] };
      expect(await across(materializedA)).toEqual([id(2), id(6)]);
      expect(await across({ ...materializedA, afterId: id(2) })).toEqual([id(6)]);
      expect(await across({ assetKeys: ["a", "b"], limit: 2 })).toEqual([id(2), id(3)]);
      // A tailer pages with afterId = the last id it saw.
      const pages: number[][] = [];
      let cursor = 0;
      for (;;) {
        const page = await across({ afterId: cursor, limit: 3 });
        if (page.length === 0) break;
        pages.push(page);
        cursor = page[page.length - 1]!;
      }
      expect(pages.flat()).toEqual(stored.map((e) => e.id));
      expect(await s().getEventsAcrossRuns({ types: [] })).toEqual([]);
      expect(await s().getEventsAcrossRuns({ assetKeys: [] })).toEqual([]);
      expect(await s().getEventsAcrossRuns({ limit: 0 })).toEqual([]);
    });

    it("keeps every event of 200 concurrent storeEvent calls", async () => {
      await s().createRun(queuedRecord("r"));
      const stored = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          s().storeEvent(
            newEvent("r", i % 10 === 0 ? "ASSET_MATERIALIZATION" : "LOG", {
              message: String(i),
              assetKey: `asset-${i % 3}`,
            }),
          ),
        ),
      );
      const read = await s().getEvents("r");
      expect(read.length).toBe(200);
      expect(new Set(stored.map((e) => e.id)).size).toBe(200);
      const sortedIds = (events: EventRecord[]) => events.map((e) => e.id).sort((a, b) => a - b);
      expect(sortedIds(read)).toEqual(sortedIds(stored));
      expect(new Set(read.map((e) => e.message))).toEqual(new Set(stored.map((e) => e.message)));
      expectIncreasing(read.map((e) => e.id));
      // The index points at the newest materialization of each key, whatever the interleaving.
      for (const entry of await s().getAssetIndex()) {
        const newest = read
          .filter((e) => e.type === "ASSET_MATERIALIZATION" && e.assetKey === entry.assetKey)
          .at(-1);
        expect(entry.eventId).toBe(newest?.id);
      }
    });

    it("lets a reader tailing by id (afterId = last seen) see every event written concurrently by two storages", async () => {
      // Ids must become visible in order: if id 8 were readable before id 7 committed, a tailer
      // that read 8 would ask for events after 8 and never see 7 (live updates, sensors).
      const other = await s.openAnother();
      await s().createRun(queuedRecord("a"));
      await s().createRun(queuedRecord("b"));
      const writers = [s(), other, s(), other].map(async (storage, w) => {
        const ids: number[] = [];
        for (let i = 0; i < 40; i++) {
          const batch = Array.from({ length: 1 + (i % 3) }, () => newEvent(w % 2 === 0 ? "a" : "b", "LOG"));
          ids.push(...(await storage.storeEvents(batch)).map((e) => e.id));
        }
        return ids;
      });
      let writing = true;
      const written = Promise.all(writers).finally(() => (writing = false));
      const seen: number[] = [];
      let afterId = 0;
      for (;;) {
        // Read after the writers finished: one more read to an empty page catches up on the rest.
        const finished = !writing;
        const page = await other.getEventsAcrossRuns({ afterId, limit: 50 });
        seen.push(...page.map((e) => e.id));
        afterId = page.at(-1)?.id ?? afterId;
        if (finished && page.length === 0) break;
      }
      const all = (await written).flat().sort((a, b) => a - b);
      expect(all.length).toBe(4 * 79);
      expect(seen).toEqual(all);
    });
  });

  describe("step stats", () => {
    it("derives status, attempts and times per step, in the order steps first started", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvents([
        newEvent("r", "RUN_START", { timestamp: 1 }),
        newEvent("r", "LOG", { stepKey: "late", timestamp: 2, message: "logged before it started" }),
        newEvent("r", "STEP_START", { stepKey: "b", timestamp: 3 }),
        newEvent("r", "STEP_START", { stepKey: "late", timestamp: 4 }),
        newEvent("r", "STEP_UP_FOR_RETRY", { stepKey: "b", timestamp: 5 }),
        newEvent("r", "STEP_START", { stepKey: "b", timestamp: 6 }),
        newEvent("r", "ASSET_MATERIALIZATION", { stepKey: "b", assetKey: "b", timestamp: 7 }),
        newEvent("r", "STEP_SUCCESS", { stepKey: "b", timestamp: 8 }),
        newEvent("r", "STEP_FAILURE", { stepKey: "late", timestamp: 9 }),
        newEvent("r", "STEP_SKIPPED", { stepKey: "skipped", timestamp: 10 }),
        newEvent("r", "STEP_START", { stepKey: "retrying", timestamp: 11 }),
        newEvent("r", "STEP_UP_FOR_RETRY", { stepKey: "retrying", timestamp: 12 }),
        newEvent("r", "STEP_START", { stepKey: "running", timestamp: 13 }),
        newEvent("r", "LOG", { stepKey: "only-logged", timestamp: 14 }),
      ]);
      expect(await s().getStepStats("r")).toEqual([
        { key: "b", status: "SUCCESS", attempts: 2, startedAt: 3, endedAt: 8 },
        { key: "late", status: "FAILURE", attempts: 1, startedAt: 4, endedAt: 9 },
        { key: "skipped", status: "SKIPPED", attempts: 0, startedAt: null, endedAt: 10 },
        { key: "retrying", status: "UP_FOR_RETRY", attempts: 1, startedAt: 11, endedAt: null },
        { key: "running", status: "IN_PROGRESS", attempts: 1, startedAt: 13, endedAt: null },
        { key: "only-logged", status: "PENDING", attempts: 0, startedAt: null, endedAt: null },
      ]);
    });

    it("reopens a failed step that starts again", async () => {
      await s().createRun(queuedRecord("r"));
      await s().storeEvents([
        newEvent("r", "STEP_START", { stepKey: "a", timestamp: 1 }),
        newEvent("r", "STEP_FAILURE", { stepKey: "a", timestamp: 2 }),
        newEvent("r", "STEP_START", { stepKey: "a", timestamp: 3 }),
      ]);
      expect(await s().getStepStats("r")).toEqual([
        { key: "a", status: "IN_PROGRESS", attempts: 2, startedAt: 1, endedAt: null },
      ]);
      expect(await s().getStepStats("nope")).toEqual([]);
    });
  });
}

function expectIncreasing(ids: number[]): void {
  for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
}
