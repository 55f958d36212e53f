/**
 * A schedule or sensor function stuck in a synchronous endless loop (issue 11, item 15): `sluice
 * daemon` evaluates those functions in worker threads, stops a thread that overruns the evaluation
 * timeout, and records the tick as FAILURE naming the schedule or sensor and the timeout. Meanwhile
 * the daemon goes on: other sensors tick, the run coordinator launches queued runs. `sluice sensor
 * preview` of such a sensor ends too.
 *
 * Every test runs on SQLite and on a fresh Postgres schema (Sandbox, STORAGE_BACKENDS), one after
 * another: each keeps a core busy while its function loops.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TickStatus, type TickRecord } from "../../src/storage/records.js";
import type { Storage } from "../../src/storage/storage.js";
import { assertBuilt, REPO_ROOT, removeTempDirs } from "../cli/helpers.js";
import { Sandbox, STORAGE_BACKENDS, waitFor } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const LOOPING_DEFS = path.join(REPO_ROOT, "test", "fixtures", "daemon", "looping.ts");
const SETTINGS = "schedules_and_sensors:\n  evaluation_timeout_seconds: 2\n";
/**
 * How long after a function's loop began its FAILURE must be recorded: the 2 s timeout, the
 * watchdog's 1 s grace, stopping the thread, and slack for a loaded machine.
 */
const FAILURE_BOUND_MS = 10_000;

/** When the loops of `name` began (epoch ms), from the fixture's FIXTURE_DIR/loops.log. */
function loopStarts(box: Sandbox, name: string): number[] {
  const file = path.join(box.fixtureDir, "loops.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.split(" "))
    .filter(([who]) => who === name)
    .map(([, at]) => Number(at));
}

/** When the loop that a FAILURE tick recorded began: the last one started between `from` and the record. */
function loopStartOf(box: Sandbox, name: string, from: number, recordedAt: number): number {
  const start = loopStarts(box, name).filter((t) => t >= from && t <= recordedAt).at(-1);
  if (start === undefined) throw new Error(`no loop of ${name} began between ${from} and ${recordedAt}: ${JSON.stringify(loopStarts(box, name))}`);
  return start;
}

/** Ticks of an instigator, oldest first. */
async function ticksOf(storage: Storage, name: string): Promise<TickRecord[]> {
  return (await storage.listTicks(name, { limit: 100 })).reverse();
}

/** The evaluations of `steady` that started between `from` and `to` (epoch ms). */
async function steadyTicksBetween(storage: Storage, from: number, to: number): Promise<TickRecord[]> {
  return (await ticksOf(storage, "steady")).filter((t) => t.tickTime > from && t.tickTime < to);
}

describe.each(STORAGE_BACKENDS)("schedule and sensor functions that loop forever (%s storage)", (backend) => {
  it("a looping sensor's tick fails naming the timeout, again and again, while another sensor ticks and a queued run is launched", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: SETTINGS });
    onTestFinished(() => box.dispose());
    await box.cliOk(["sensor", "start", "spin", "-f", LOOPING_DEFS]);
    await box.cliOk(["sensor", "start", "steady", "-f", LOOPING_DEFS]);
    const storage = await box.storage();
    const daemon = await box.startDaemon({}, { defs: LOOPING_DEFS });

    // Two failures in a row: the second evaluation ran in a fresh thread, the first one's was stopped.
    const failures = await waitFor(
      "two FAILURE ticks of the looping sensor",
      async () => {
        const ticks = (await ticksOf(storage, "spin")).filter((t) => t.status === TickStatus.Failure);
        return ticks.length >= 2 ? ticks : undefined;
      },
      60_000,
      200,
    );
    for (const tick of failures) {
      expect(tick.error?.message).toMatch(/^Sensor "spin" did not finish within 2 s and kept its evaluation thread busy/);
      // tickTime: when the evaluation started; createdAt: when its FAILURE was recorded.
      const loopStart = loopStartOf(box, "spin", tick.tickTime, tick.createdAt);
      expect(tick.createdAt - loopStart, "time from the loop's start to the FAILURE").toBeLessThan(FAILURE_BOUND_MS);
      expect(tick.createdAt - loopStart, "the function looped for its timeout first").toBeGreaterThanOrEqual(2000);
    }
    const last = failures.at(-1)!;
    const during = await steadyTicksBetween(storage, loopStartOf(box, "spin", last.tickTime, last.createdAt), last.createdAt);
    expect(during.length, "`steady` evaluations while `spin` looped").toBeGreaterThanOrEqual(1);
    expect(during.every((t) => t.status === TickStatus.Skipped && t.skipReason === "steady v1")).toBe(true);

    // The run coordinator is not held up either.
    const runId = await box.launch();
    await box.waitForStatus(runId, ["SUCCESS"], 60_000);
    await waitFor("another FAILURE tick of the looping sensor after the run", async () => (await ticksOf(storage, "spin")).filter((t) => t.status === TickStatus.Failure).length > failures.length, 60_000, 200);
    expect(daemon.child.exitCode).toBeNull();
    expect(daemon.log()).toMatch(/Sensor "spin" failed: Sensor "spin" did not finish within 2 s/);
    await box.stopDaemon(daemon);
    expect((await daemon.done).code, "the daemon stops cleanly, its threads with it").toBe(0);
  });

  it("a looping schedule's tick fails naming the schedule and the timeout, while a sensor goes on ticking", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: SETTINGS });
    onTestFinished(() => box.dispose());
    await box.cliOk(["schedule", "start", "spin_schedule", "-f", LOOPING_DEFS]);
    await box.cliOk(["sensor", "start", "steady", "-f", LOOPING_DEFS]);
    // Started two minutes ago: a missed tick is due at once.
    await box.backdateInstigator("spin_schedule", 120_000);
    const storage = await box.storage();
    const daemon = await box.startDaemon({}, { defs: LOOPING_DEFS });

    const tick = await waitFor(
      "the FAILURE tick of the looping schedule",
      async () => (await ticksOf(storage, "spin_schedule")).find((t) => t.status === TickStatus.Failure),
      60_000,
      200,
    );
    expect(tick.error?.message).toMatch(/^Schedule "spin_schedule" \(tick [0-9T:.-]+Z\) did not finish within 2 s and kept its evaluation thread busy/);
    expect(tick.runIds).toEqual([]);
    // A schedule's tick is claimed (createdAt) before its function runs and finished (updatedAt) after.
    const loopStart = loopStartOf(box, "spin_schedule", tick.createdAt, tick.updatedAt);
    expect(tick.updatedAt - loopStart, "time from the loop's start to the FAILURE").toBeLessThan(FAILURE_BOUND_MS);
    const during = await steadyTicksBetween(storage, loopStart, tick.updatedAt);
    expect(during.length, "`steady` evaluations while `spin_schedule` looped").toBeGreaterThanOrEqual(1);
    expect(daemon.log()).toMatch(/Schedule "spin_schedule" \(tick [^)]*\) failed: .*did not finish within 2 s/);
    await box.stopDaemon(daemon);
  });

  it("sluice sensor preview of a looping sensor prints its FAILURE and exits", { timeout: 90_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: SETTINGS });
    onTestFinished(() => box.dispose());
    const started = Date.now();
    const result = await box.cli(["sensor", "preview", "spin", "-f", LOOPING_DEFS], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    const evaluation = JSON.parse(result.stdout) as { status: string; error: { message: string } | null };
    expect(evaluation.status).toBe(TickStatus.Failure);
    expect(evaluation.error?.message).toMatch(/^Sensor "spin" did not finish within 2 s/);
  });
});
