import { describe, expect, it } from "vitest";
import { computeStepStats } from "./step-stats.js";

describe("computeStepStats", () => {
  it("leaves out a resource's events, keeps steps in start order", () => {
    const stats = computeStepStats([
      { id: 1, type: "STEP_START", stepKey: "a", timestamp: 10 },
      { id: 2, type: "LOG", stepKey: "resource:site", timestamp: 11 },
      { id: 3, type: "STEP_SUCCESS", stepKey: "a", timestamp: 12 },
      { id: 4, type: "STEP_SKIPPED", stepKey: "c", timestamp: 13 },
      { id: 5, type: "STEP_START", stepKey: "b", timestamp: 14 },
      { id: 6, type: "STEP_FAILURE", stepKey: "b", timestamp: 15 },
    ]);
    expect(stats).toEqual([
      { key: "a", status: "SUCCESS", attempts: 1, startedAt: 10, endedAt: 12 },
      { key: "c", status: "SKIPPED", attempts: 0, startedAt: null, endedAt: 13 },
      { key: "b", status: "FAILURE", attempts: 1, startedAt: 14, endedAt: 15 },
    ]);
  });
});
