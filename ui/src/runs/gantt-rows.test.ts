import { describe, expect, it } from "vitest";
import type { EventJson, RunJson } from "../types";
import { ganttRows, offsetLabel, tickInterval } from "./gantt-rows";
import { eventMatches, RUN_STEP } from "./log-filter";
import { mergeEvents } from "./merge-events";

describe("Gantt rows and axis", () => {
  it("orders steps by start time, then the steps not started in the run's order", () => {
    const run = {
      selection: ["a", "b", "c", "d"],
      steps: [
        { key: "b", status: "SUCCESS", attempts: 1, startedAt: "2026-01-01T00:00:01.000Z", endedAt: "2026-01-01T00:00:02.000Z" },
        { key: "a", status: "IN_PROGRESS", attempts: 2, startedAt: "2026-01-01T00:00:00.500Z", endedAt: null },
        { key: "d", status: "SKIPPED", attempts: 0, startedAt: null, endedAt: "2026-01-01T00:00:03.000Z" },
      ],
    } as RunJson;
    const rows = ganttRows(run);
    expect(rows.map((r) => [r.key, r.status])).toEqual([
      ["a", "IN_PROGRESS"],
      ["b", "SUCCESS"],
      ["c", "PENDING"],
      ["d", "SKIPPED"],
    ]);
    expect(rows[0]).toMatchObject({ attempts: 2, start: Date.parse("2026-01-01T00:00:00.500Z"), end: null });
  });

  it("leaves out selected assets that a multi-asset's step computes", () => {
    const run = {
      selection: ["orders", "orders/paid"],
      steps: [{ key: "split_orders", status: "IN_PROGRESS", attempts: 1, startedAt: "2026-01-01T00:00:01.000Z", endedAt: null }],
    } as RunJson;
    expect(ganttRows(run, new Set(["orders/paid", "orders/open"])).map((r) => r.key)).toEqual(["split_orders", "orders"]);
  });

  it("picks round tick intervals, at most 8 ticks", () => {
    expect(tickInterval(33)).toBe(5);
    expect(tickInterval(7_000)).toBe(1000);
    expect(tickInterval(3_600_000)).toBe(600_000);
    for (const span of [1, 17, 999, 12_345, 86_400_000 * 3]) expect(span / tickInterval(span)).toBeLessThanOrEqual(8);
  });

  it("labels offsets in the unit that reads best", () => {
    expect([0, 250, 1500, 90_000, 5_400_000].map((ms) => offsetLabel(ms))).toEqual(["0", "+250 ms", "+1.5 s", "+1.5 min", "+1 h 30 min"]);
  });
});

const event = (id: number, over: Partial<EventJson> = {}): EventJson => ({
  id,
  runId: "r",
  timestamp: "2026-01-01T00:00:00.000Z",
  type: "LOG",
  stepKey: "clean/orders",
  assetKey: null,
  partition: null,
  level: "INFO",
  message: `message ${id}`,
  ...over,
});

describe("log filter", () => {
  const warn = event(1, { level: "WARN", message: "dropping order 1006" });
  const runStart = event(2, { type: "RUN_START", stepKey: null, message: "Started run" });
  it("filters by level, step (or the run's own events) and text in any case", () => {
    expect(eventMatches(warn, { levels: ["WARN"], step: null, query: "" })).toBe(true);
    expect(eventMatches(warn, { levels: ["ERROR"], step: null, query: "" })).toBe(false);
    expect(eventMatches(warn, { levels: [], step: "clean/orders", query: "ORDER 1006" })).toBe(true);
    expect(eventMatches(warn, { levels: [], step: "other", query: "" })).toBe(false);
    expect(eventMatches(runStart, { levels: [], step: RUN_STEP, query: "run_start" })).toBe(true);
    expect(eventMatches(warn, { levels: [], step: RUN_STEP, query: "" })).toBe(false);
  });
});

describe("mergeEvents", () => {
  it("appends newer events, and merges overlapping ones without duplicates, in id order", () => {
    const base = [event(1), event(3)];
    expect(mergeEvents(base, []).map((e) => e.id)).toEqual([1, 3]);
    expect(mergeEvents(base, [event(5), event(4), event(5)]).map((e) => e.id)).toEqual([1, 3, 4, 5]);
    expect(mergeEvents(base, [event(2), event(3), event(6)]).map((e) => e.id)).toEqual([1, 2, 3, 6]);
  });
});
