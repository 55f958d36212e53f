/**
 * The run queue under `sluice daemon`: sluice.yaml `run_queue` limits how many runs are in
 * progress at once, globally and per tag; queued runs wait their turn, oldest first, and all run.
 *
 * Every test runs twice, on SQLite and on a fresh Postgres schema (Sandbox, STORAGE_BACKENDS).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/storage/records.js";
import { assertBuilt, listRuns, removeTempDirs, type RunJson } from "../cli/helpers.js";
import { IN_PROGRESS, Sandbox, waitFor, STORAGE_BACKENDS } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** How long each run's transform takes: long enough that unlimited runs would overlap. */
const STEP_MS = "3000";

/**
 * Samples the runs in progress every 50 ms until every run in `runIds` has finished; returns every
 * distinct set of run ids seen in progress together.
 */
async function watchQueue(box: Sandbox, runIds: string[]): Promise<string[][]> {
  const storage = await box.storage();
  const seen = new Map<string, string[]>();
  await waitFor(
    "every run to finish",
    async () => {
      const running = (await storage.listRuns({ statuses: [...IN_PROGRESS] as RunRecord["status"][] })).map((r) => r.runId).sort();
      seen.set(running.join(","), running);
      const finished = await Promise.all(runIds.map(async (id) => ["SUCCESS", "FAILURE", "CANCELED"].includes((await box.run(id)).status)));
      return finished.every(Boolean);
    },
    120_000,
    50,
  );
  return [...seen.values()];
}

/** Runs in the order they started; checks that none started before the previous one ended. */
function expectSerialized(runs: RunJson[]): void {
  const byStart = [...runs].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
  for (let i = 1; i < byStart.length; i++) {
    expect(Date.parse(byStart[i]!.startedAt!), `${byStart[i]!.runId} started before ${byStart[i - 1]!.runId} ended`).toBeGreaterThanOrEqual(
      Date.parse(byStart[i - 1]!.endedAt!),
    );
  }
}

describe.concurrent.each(STORAGE_BACKENDS)("run_queue limits in sluice.yaml (%s storage)", (backend) => {
  it("max_concurrent_runs: 1 — three queued runs run one at a time, oldest first, and all succeed", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: "run_queue:\n  max_concurrent_runs: 1\n" });
    onTestFinished(() => box.dispose());
    box.setFlag("sleep", STEP_MS);
    // All three are queued before the daemon starts: without the limit, one coordinator pass would start them all.
    const launched = await Promise.all([box.launch(), box.launch(), box.launch()]);
    await box.startDaemon();
    const together = await watchQueue(box, launched);

    expect(Math.max(...together.map((ids) => ids.length)), `runs seen in progress together: ${JSON.stringify(together)}`).toBe(1);
    const runs = (await listRuns(box.home)).filter((r) => launched.includes(r.runId));
    expect(runs.map((r) => r.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expectSerialized(runs);
    const byCreation = [...runs].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt)).map((r) => r.runId);
    const byStart = [...runs].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!)).map((r) => r.runId);
    expect(byStart, "queued runs start oldest first").toEqual(byCreation);
  });

  it("tag_concurrency_limits [{key: team, limit: 1}] — two runs tagged team=a are serialized; an untagged run is not held back", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: "run_queue:\n  tag_concurrency_limits:\n    - key: team\n      limit: 1\n" });
    onTestFinished(() => box.dispose());
    box.setFlag("sleep", STEP_MS);
    const [a1, a2, free] = await Promise.all([box.launch({ team: "a" }), box.launch({ team: "a" }), box.launch()]);
    await box.startDaemon();
    const together = await watchQueue(box, [a1!, a2!, free!]);

    const teamA = new Set([a1, a2]);
    const maxTeamA = Math.max(...together.map((ids) => ids.filter((id) => teamA.has(id)).length));
    expect(maxTeamA, `runs seen in progress together: ${JSON.stringify(together)}`).toBe(1);
    expect(
      together.some((ids) => ids.includes(free!) && ids.some((id) => teamA.has(id))),
      `the untagged run should have run beside a team=a run: ${JSON.stringify(together)}`,
    ).toBe(true);
    const runs = (await listRuns(box.home)).filter((r) => [a1, a2, free].includes(r.runId));
    expect(runs.map((r) => r.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expectSerialized(runs.filter((r) => teamA.has(r.runId)));
  });
});
