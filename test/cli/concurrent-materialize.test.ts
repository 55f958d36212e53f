/**
 * Ten `sluice materialize` processes at once against one SQLite instance: none may fail on a
 * locked database, and every run must be recorded whole.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  describeResult,
  fixture,
  lastLine,
  listRuns,
  materializeOk,
  removeTempDirs,
  runCli,
  runEvents,
  tempDir,
} from "./helpers.js";

const DEFS = fixture("many-assets.ts");
const PROCESSES = 10;

beforeAll(assertBuilt);
afterAll(removeTempDirs);

describe("concurrent materialize on one SQLite home", () => {
  it(`${PROCESSES} processes started at once all succeed and record complete runs`, { timeout: 120_000 }, async () => {
    // What one run records when it has the database to itself.
    const soloHome = tempDir();
    const soloRun = await materializeOk(["-f", DEFS], { home: soloHome });
    const soloEvents = await runEvents(soloHome, soloRun);
    expect(soloEvents.filter((e) => e.type === "STEP_SUCCESS")).toHaveLength(10);
    expect(soloEvents.filter((e) => e.type === "LOG").length).toBeGreaterThanOrEqual(10);

    const home = tempDir();
    const results = await Promise.all(
      Array.from({ length: PROCESSES }, () => runCli(["materialize", "-f", DEFS], { home, timeoutMs: 110_000 })),
    );
    for (const result of results) {
      expect(result.code, describeResult(result)).toBe(0);
      expect(result.stderr).not.toMatch(/database is locked|SQLITE_BUSY/i);
    }
    const printed = results.map((r) => lastLine(r.stdout));
    expect(new Set(printed).size).toBe(PROCESSES);

    const runs = await listRuns(home);
    expect(runs).toHaveLength(PROCESSES);
    expect(runs.map((r) => r.status)).toEqual(Array(PROCESSES).fill("SUCCESS"));
    expect(new Set(runs.map((r) => r.runId))).toEqual(new Set(printed));

    const counts = await Promise.all(runs.map(async (r) => (await runEvents(home, r.runId)).length));
    expect(counts).toEqual(Array(PROCESSES).fill(soloEvents.length));
  });
});
