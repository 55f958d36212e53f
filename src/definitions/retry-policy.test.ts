import { describe, expect, it } from "vitest";
import { retryDelayMs, retryPolicyProblem } from "./retry-policy.js";

describe("retryDelayMs (Dagster's rules)", () => {
  it("waits the base delay without backoff", () => {
    expect([1, 2, 3].map((n) => retryDelayMs({ maxRetries: 3, delayMs: 100 }, n))).toEqual([100, 100, 100]);
  });
  it("grows linearly: delay × attempt", () => {
    expect([1, 2, 3].map((n) => retryDelayMs({ maxRetries: 3, delayMs: 100, backoff: "linear" }, n))).toEqual([100, 200, 300]);
  });
  it("grows exponentially: delay × (2^attempt − 1)", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs({ maxRetries: 4, delayMs: 100, backoff: "exponential" }, n))).toEqual([100, 300, 700, 1500]);
  });
  it("applies full jitter (0..delay) and plus-minus jitter (delay ± delay/2)", () => {
    const policy = { maxRetries: 1, delayMs: 1000 } as const;
    expect(retryDelayMs({ ...policy, jitter: "full" }, 1, () => 0.25)).toBe(250);
    expect(retryDelayMs({ ...policy, jitter: "plus_minus" }, 1, () => 0)).toBe(500);
    expect(retryDelayMs({ ...policy, jitter: "plus_minus" }, 1, () => 1)).toBe(1500);
  });
  it("describes invalid policies", () => {
    expect(retryPolicyProblem({ maxRetries: 1.5 })).toContain("maxRetries");
    expect(retryPolicyProblem({ maxRetries: 1, delayMs: -1 })).toContain("delayMs");
    expect(retryPolicyProblem({ maxRetries: 1, backoff: "quadratic" as never })).toContain("backoff");
    expect(retryPolicyProblem({ maxRetries: 1, delayMs: 5, backoff: "linear", jitter: "full" })).toBeUndefined();
  });
});
