/**
 * The crash-point harness (Dagster's test_scheduler_failure_recovery): the daemon SIGKILLs itself
 * at each point of a schedule tick (a hook the test passes to the daemon: see
 * fixtures/daemon/crashing-daemon.ts), is restarted without it, and the
 * tick ends with exactly one tick record and one run, whose ops ran once.
 *
 * Sensors have no crash point in the daemon (src/daemon/sensor-daemon.ts exposes none): their
 * test kills the daemon with SIGKILL at an arbitrary moment after its ticks, and checks that run
 * keys stay deduplicated across the restart; the one-transaction guarantee itself is the storage
 * contract's test of recordSensorTick.
 *
 * Backfills: the daemon dies at each point of a two-group backfill across a static mapping (a
 * partition's run created, a run launched, partitions updated from their runs, the backfill
 * finished), is restarted, and the backfill completes with every partition launched exactly once
 * (one run per group and partition tag, each partition's asset called once), each downstream
 * partition after the upstream partitions it reads.
 *
 * Every test runs twice, on SQLite and on a fresh Postgres schema (Sandbox, STORAGE_BACKENDS).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DaemonPoint } from "../../src/daemon/daemon-hooks.js";
import { TickStatus, type TickRecord } from "../../src/storage/records.js";
import { assertBuilt, listRuns, removeTempDirs } from "../cli/helpers.js";
import { BACKFILL_DEFS, DAEMON_DEFS, Sandbox, sleep, waitFor, STORAGE_BACKENDS } from "./helpers.js";

const SCHEDULE = "every_minute";
const SCHEDULE_NAME_TAG = "sluice/schedule_name";
const SENSOR = "pending_keys";
const RUN_KEY_TAG = "sluice/run_key";
const SCHEDULED_TIME_TAG = "sluice/scheduled_time";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** What storage must hold when the daemon has died at each point, before the restart. */
const AT_CRASH: Record<string, (tick: TickRecord) => void> = {
  tick_created: (tick) => {
    expect(tick.status).toBe(TickStatus.Started);
    expect(tick.runIds).toEqual([]);
  },
  run_created: (tick) => {
    expect(tick.status).toBe(TickStatus.Started);
    expect(tick.runIds).toHaveLength(1);
  },
  tick_finished: (tick) => {
    expect(tick.status).toBe(TickStatus.Success);
    expect(tick.runIds).toHaveLength(1);
  },
  run_launched: (tick) => {
    // The run coordinator is a loop of its own: it may claim and launch the run in the moment
    // between the run's creation and the tick's finish, so the tick may still be STARTED here
    // (the restarted daemon finishes it without creating another run).
    expect([TickStatus.Started, TickStatus.Success]).toContain(tick.status);
    expect(tick.runIds).toHaveLength(1);
  },
};

describe.concurrent.each(STORAGE_BACKENDS)("daemon killed by SIGKILL in the middle of a schedule tick, then restarted (%s storage)", (backend) => {
  for (const point of Object.keys(AT_CRASH)) {
    it(`crash at ${point}: exactly one tick and one run for the scheduled time, its ops run once`, { timeout: 150_000 }, async ({ onTestFinished }) => {
      const box = new Sandbox({ backend });
      onTestFinished(() => box.dispose());
      await box.cliOk(["schedule", "start", SCHEDULE, "-f", DAEMON_DEFS]);
      // Started 3 minutes ago: ticks are due now (only the latest missed one runs).
      await box.backdateInstigator(SCHEDULE, 3 * 60_000);

      const crashing = await box.startDaemon({}, { crashAt: point as DaemonPoint });
      const signal = await crashing.exited;
      expect(signal, `the daemon should have killed itself at ${point}:\n${crashing.log()}`).toBe("SIGKILL");

      const storage = await box.storage();
      const atCrash = await storage.listTicks(SCHEDULE);
      expect(atCrash, "one tick claimed before the crash").toHaveLength(1);
      const tickTime = atCrash[0]!.tickTime;
      AT_CRASH[point]!(atCrash[0]!);

      await box.startDaemon();
      // The tick's run, whichever daemon created it, runs to SUCCESS.
      const runId = await waitFor(
        "the tick's run to succeed",
        async () => {
          const [tick] = (await storage.listTicks(SCHEDULE)).filter((t) => t.tickTime === tickTime);
          const id = tick?.runIds[0];
          return id && (await box.run(id)).status === "SUCCESS" ? id : undefined;
        },
        100_000,
        200,
      );
      await Promise.all(box.daemons.map((d) => box.stopDaemon(d)));

      const ticks = await storage.listTicks(SCHEDULE);
      const forTime = ticks.filter((t) => t.tickTime === tickTime);
      expect(forTime, "exactly one tick for the scheduled time").toHaveLength(1);
      expect(forTime[0]!.status).toBe(TickStatus.Success);
      expect(forTime[0]!.runIds).toEqual([runId]);
      // A minute boundary may pass during the test: a later tick is legitimate, but no tick time twice.
      expect(new Set(ticks.map((t) => t.tickTime)).size).toBe(ticks.length);

      const scheduled = (await listRuns(box.home)).filter((r) => r.tags[SCHEDULE_NAME_TAG] === SCHEDULE);
      const ofTick = scheduled.filter((r) => r.tags[SCHEDULED_TIME_TAG] === new Date(tickTime).toISOString());
      expect(ofTick.map((r) => r.runId), "exactly one run for the scheduled time").toEqual([runId]);
      expect(ofTick[0]!.status).toBe("SUCCESS");
      // Every run in the instance belongs to a tick (nothing launched twice outside the ticks).
      expect(scheduled.map((r) => r.runId).sort()).toEqual(ticks.flatMap((t) => t.runIds).sort());

      expect(box.callsOf(runId)).toEqual(["extract", "transform", "load"]);
      const extracts = box.calls().filter((c) => c.op === "extract");
      expect(extracts.filter((c) => c.runId === runId), "extract ran once for the tick").toHaveLength(1);
      expect(extracts.length, "no run executed twice").toBe(new Set(extracts.map((c) => c.runId)).size);
    });
  }
});

describe.concurrent.each(STORAGE_BACKENDS)("daemon killed by SIGKILL while a sensor with run keys ticks, then restarted (%s storage)", (backend) => {
  it("each run key launches exactly one run, across the restart", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    box.setFlag("pending", "k1\nk2\n");
    await box.cliOk(["sensor", "start", SENSOR, "-f", DAEMON_DEFS]);
    const storage = await box.storage();
    const runsByKey = async (): Promise<Map<string, string[]>> => {
      const byKey = new Map<string, string[]>();
      for (const run of await storage.listRuns({})) {
        const key = run.tags[RUN_KEY_TAG];
        if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), run.runId]);
      }
      return byKey;
    };

    const first = await box.startDaemon();
    // Ticks after the runs were created see both keys as already run.
    await waitFor("a sensor tick that skipped k1 and k2", async () => (await storage.listTicks(SENSOR)).some((t) => t.skippedRunKeys.length === 2), 90_000, 200);
    first.child.kill("SIGKILL");
    await first.exited;

    box.setFlag("pending", "k1\nk2\nk3\n");
    await box.startDaemon();
    const k3 = await waitFor("the run of k3", async () => (await runsByKey()).get("k3")?.[0], 90_000, 200);
    await box.waitForStatus(k3, ["SUCCESS"], 90_000);
    // A few more ticks after the restart: none may launch k1, k2 or k3 again.
    const ticksNow = (await storage.listTicks(SENSOR)).length;
    await waitFor("two more sensor ticks", async () => (await storage.listTicks(SENSOR)).length >= ticksNow + 2, 30_000, 200);
    await sleep(500);
    await Promise.all(box.daemons.map((d) => box.stopDaemon(d)));

    const byKey = await runsByKey();
    expect([...byKey.keys()].sort()).toEqual(["k1", "k2", "k3"]);
    for (const [key, ids] of byKey) expect(ids, `runs of run key ${key}`).toHaveLength(1);
    const extracts = box.calls().filter((c) => c.op === "extract");
    expect(extracts.length, "no run executed twice").toBe(new Set(extracts.map((c) => c.runId)).size);
    for (const tick of await storage.listTicks(SENSOR)) expect(new Set(tick.runIds).size).toBe(tick.runIds.length);
  });
});

const BACKFILL_POINTS: DaemonPoint[] = ["backfill_run_created", "run_launched", "backfill_partitions_updated", "backfill_finished"];
const PARTITIONS = ["p1", "p2", "p3", "p4", "p5", "p6"];
const REGIONS = ["eu", "us"];
/** The backfill's (group, partition) rows, in its order. */
const ROWS = [...PARTITIONS.map((p) => ["regional", p]), ...REGIONS.map((r) => ["continental", r])];

describe.concurrent.each(STORAGE_BACKENDS)("daemon killed by SIGKILL in the middle of a backfill, then restarted (%s storage)", (backend) => {
  for (const point of BACKFILL_POINTS) {
    it(`crash at ${point}: the backfill completes with every partition launched exactly once`, { timeout: 150_000 }, async ({ onTestFinished }) => {
      const box = new Sandbox({ backend });
      onTestFinished(() => box.dispose());
      const launched = await box.cliOk(["backfill", "launch", "-f", BACKFILL_DEFS, "--select", "regional or continental", "--all"]);
      const backfillId = launched.stdout.trim().split("\n").pop()!;

      const crashing = await box.startDaemon({}, { defs: BACKFILL_DEFS, crashAt: point });
      const signal = await crashing.exited;
      expect(signal, `the daemon should have killed itself at ${point}:\n${crashing.log()}`).toBe("SIGKILL");

      const storage = await box.storage();
      await box.startDaemon({}, { defs: BACKFILL_DEFS });
      const done = await waitFor("the backfill to complete", async () => {
        const backfill = await storage.getBackfill(backfillId);
        return backfill?.status === "COMPLETED" || backfill?.status === "FAILED" ? backfill : undefined;
      }, 120_000, 200);
      await Promise.all(box.daemons.map((d) => box.stopDaemon(d)));
      expect(done.status, JSON.stringify(await storage.getBackfillPartitions(backfillId))).toBe("COMPLETED");
      expect(done.groups.map((g) => [g.name, g.upstream, g.partitionCount])).toEqual([
        ["regional", [], 6],
        ["continental", ["regional"], 2],
      ]);

      const runs = await storage.listRuns({ tags: { "sluice/backfill": backfillId } });
      const byRow = new Map<string, string[]>();
      for (const run of runs) {
        const row = `${run.selection.join()}:${run.tags["sluice/partition"]!}`;
        byRow.set(row, [...(byRow.get(row) ?? []), run.runId]);
      }
      expect([...byRow.keys()].sort()).toEqual(ROWS.map(([g, p]) => `${g}:${p}`).sort());
      for (const [row, ids] of byRow) expect(ids, `runs of ${row}`).toHaveLength(1);
      expect(runs.every((r) => r.status === "SUCCESS")).toBe(true);
      // A region's run was created once the runs of its three partitions had ended.
      for (const region of runs.filter((r) => r.selection[0] === "continental")) {
        const reads = runs.filter((r) => r.selection[0] === "regional" && (region.partition === "eu" ? ["p1", "p2", "p3"] : ["p4", "p5", "p6"]).includes(r.partition!));
        expect(reads).toHaveLength(3);
        for (const up of reads) expect(region.createdAt).toBeGreaterThanOrEqual(up.endedAt!);
      }
      const partitions = await storage.getBackfillPartitions(backfillId);
      expect(partitions.map((p) => [p.group, p.partition, p.status])).toEqual(ROWS.map(([g, p]) => [g, p, "succeeded"]));
      expect(new Set(partitions.map((p) => p.runId))).toEqual(new Set(runs.map((r) => r.runId)));
      for (const [op, count] of [["regional", PARTITIONS.length], ["continental", REGIONS.length]] as const) {
        const calls = box.calls().filter((c) => c.op === op);
        expect(calls.length, `each partition of ${op} ran once`).toBe(count);
        expect(new Set(calls.map((c) => c.runId)).size).toBe(count);
      }
    });
  }
});
