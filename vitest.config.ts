import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts", "ui/src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most of the suite's time is spent waiting on child processes, servers, Chromium and Postgres,
    // not on the CPU: two test files at once even on two cores (vitest's default there is one)
    // halves the wall time. The tests wait on conditions, so the extra load only slows them.
    maxWorkers: Math.min(4, Math.max(2, availableParallelism() - 1)),
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", "json"],
    outputFile: { json: "test-artifacts/vitest.json" },
  },
});
