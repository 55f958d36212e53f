/**
 * The backfill daemon on mapped partitions, backfill policies and dynamic partitions, with runs
 * executed for real by the in-process executor (claimed from the queue as a worker claims them).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions, type Definitions } from "../definitions/definitions.js";
import { multiRun, singleRun } from "../definitions/partitions/backfill-policy.js";
import { dynamicPartitions } from "../definitions/partitions/dynamic-partitions.js";
import { dailyPartitions, hourlyPartitions } from "../definitions/partitions/time-partition-factories.js";
import { timeWindowMapping } from "../definitions/partitions/time-window-mapping.js";
import { PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG } from "../execution/run-partition.js";
import { launchBackfill, retryFailedBackfill } from "../runs/backfill-control.js";
import type { BackfillRequest } from "../runs/backfill-request.js";
import { executeRunRecord } from "../runs/execute-run-record.js";
import { BACKFILL_TAG } from "../runs/new-run.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import type { BackfillRecord } from "../storage/backfill-records.js";
import type { RunRecord } from "../storage/records.js";
import { BackfillDaemon } from "./backfill-daemon.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const hours = hourlyPartitions({ start: "2024-01-01-00:00", end: "2024-01-11-00:00" });
const days = dailyPartitions({ start: "2024-01-01", end: "2024-01-11" });

/** An hourly asset (failing on `failAt`) and a daily one reading its day's hours. */
function hourlyToDaily(failAt?: string): Definitions {
  const events = asset({
    key: "events",
    partitions: hours,
    run: (_in, { partitionKey }) => {
      if (partitionKey === failAt) throw new Error(`no data for ${partitionKey}`);
      return 1;
    },
  });
  const daily = asset({
    key: "daily",
    partitions: days,
    ins: { hours: { asset: events, mapping: timeWindowMapping() } },
    run: ({ hours: h }) => Object.values(h).reduce((sum, n) => sum + n, 0),
  });
  return defineDefinitions({ assets: [events, daily] });
}

async function launch(defs: Definitions, selection: string | string[], partitionSet: BackfillRequest["partitionSet"]): Promise<string> {
  return (await launchBackfill(target.storage, { defs, target: { selection }, partitionSet, launchedBy: "test" })).backfill.backfillId;
}

const runsOf = async (id: string): Promise<RunRecord[]> => (await target.storage.listRuns({ tags: { [BACKFILL_TAG]: id } })).sort((a, b) => a.createdAt - b.createdAt);

/** Claims the queued runs (those `which` accepts) as a worker would, and executes them. */
async function work(defs: Definitions, which: (run: RunRecord) => boolean = () => true): Promise<number> {
  const queued = (await target.storage.listRuns({ statuses: ["QUEUED"] })).filter(which);
  for (const run of queued) {
    expect(await target.storage.claimRun(run.runId, "test")).toBe(true);
    await executeRunRecord(target, defs, (await target.storage.getRun(run.runId))!);
  }
  return queued.length;
}

/** Ticks the daemon and executes what it launches until the backfill has finished. */
async function drive(defs: Definitions, id: string, daemon = new BackfillDaemon({ storage: target.storage, defs })): Promise<BackfillRecord> {
  for (let i = 0; i < 50; i++) {
    await daemon.tick();
    const backfill = (await target.storage.getBackfill(id))!;
    if (backfill.status !== "REQUESTED") return backfill;
    await work(defs);
  }
  throw new Error(`backfill ${id} did not finish in 50 iterations`);
}

describe("backfill daemon across mapped partitions", () => {
  it("hourly → daily: 48 hourly runs, then each day once its 24 hours succeeded", async () => {
    const defs = hourlyToDaily();
    const id = await launch(defs, ["events", "daily"], { kind: "range", first: "2024-01-02-00:00", last: "2024-01-03-23:00" });
    const daemon = new BackfillDaemon({ storage: target.storage, defs });
    expect(await daemon.tick()).toBe(48);
    expect((await runsOf(id)).every((r) => r.selection.join() === "events")).toBe(true);
    // Only the first day's hours run: its day launches, the second waits for its hours.
    expect(await work(defs, (r) => r.partition!.startsWith("2024-01-02"))).toBe(24);
    expect(await daemon.tick()).toBe(1);
    expect((await runsOf(id)).filter((r) => r.selection[0] === "daily").map((r) => r.partition)).toEqual(["2024-01-02"]);
    const done = await drive(defs, id, daemon);
    expect(done.status).toBe("COMPLETED");
    const runs = await runsOf(id);
    expect(runs).toHaveLength(50);
    for (const day of runs.filter((r) => r.selection[0] === "daily")) {
      const itsHours = runs.filter((r) => r.selection[0] === "events" && r.partition!.startsWith(day.partition!));
      expect(itsHours).toHaveLength(24);
      expect(day.createdAt).toBeGreaterThanOrEqual(Math.max(...itsHours.map((r) => r.endedAt!)));
      expect(day.status).toBe("SUCCESS");
    }
    const daily = await target.storage.getAssetPartitionStatuses("daily");
    expect(daily.map((p) => [p.partition, p.status])).toEqual([
      ["2024-01-02", "MATERIALIZED"],
      ["2024-01-03", "MATERIALIZED"],
    ]);
    expect(await target.storage.countBackfillPartitions(id)).toMatchObject({ succeeded: 50 });
  });

  it("an upstream hour that fails fails its day with the reason; the other day completes", async () => {
    const defs = hourlyToDaily("2024-01-03-05:00");
    const id = await launch(defs, ["events", "daily"], { kind: "range", first: "2024-01-02-00:00", last: "2024-01-03-23:00" });
    const done = await drive(defs, id);
    expect(done).toMatchObject({ status: "FAILED", error: "2 partitions failed, 0 canceled, 48 succeeded." });
    const rows = await target.storage.getBackfillPartitions(id, { group: "daily" });
    expect(rows.map((p) => [p.partition, p.status, p.reason])).toEqual([
      ["2024-01-02", "succeeded", null],
      ["2024-01-03", "failed", 'upstream partition "2024-01-03-05:00" of group "events" failed'],
    ]);
    expect((await runsOf(id)).filter((r) => r.selection[0] === "daily").map((r) => r.partition)).toEqual(["2024-01-02"]);
  });
});

describe("backfill daemon with backfill policies", () => {
  const seen: string[][] = [];
  const rollup = asset({ key: "rollup", partitions: days, backfillPolicy: singleRun(), run: (_in, { partitionKeysInRun }) => (seen.push([...partitionKeysInRun]), partitionKeysInRun.length) });
  const chunked = asset({ key: "chunked", partitions: days, backfillPolicy: multiRun(4), run: (_in, { partitionKeysInRun }) => partitionKeysInRun.length });
  const defs = defineDefinitions({ assets: [rollup, chunked] });

  it("singleRun: 10 keys are one run over the range, with its tags, materializing each key", async () => {
    seen.length = 0;
    const id = await launch(defs, "rollup", { kind: "all" });
    expect((await drive(defs, id)).status).toBe("COMPLETED");
    const runs = await runsOf(id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "SUCCESS", partition: null, tags: { [PARTITION_RANGE_START_TAG]: "2024-01-01", [PARTITION_RANGE_END_TAG]: "2024-01-10" } });
    expect(seen).toEqual([days.keys()]);
    expect((await target.storage.getMaterializations("rollup")).map((e) => e.partition).sort()).toEqual(days.keys());
    expect((await target.storage.getBackfillPartitions(id)).every((p) => p.status === "succeeded" && p.runId === runs[0]!.runId)).toBe(true);
  });

  it("multiRun(4): 10 keys are 3 runs of consecutive keys; keys with a gap take separate runs", async () => {
    const id = await launch(defs, "chunked", { kind: "all" });
    expect((await drive(defs, id)).status).toBe("COMPLETED");
    const ranges = (await runsOf(id)).map((r) => [r.tags[PARTITION_RANGE_START_TAG], r.tags[PARTITION_RANGE_END_TAG]]).sort();
    expect(ranges).toEqual([
      ["2024-01-01", "2024-01-04"],
      ["2024-01-05", "2024-01-08"],
      ["2024-01-09", "2024-01-10"],
    ]);
    const gaps = await launch(defs, "rollup", { kind: "keys", keys: ["2024-01-01", "2024-01-02", "2024-01-05"] });
    expect((await drive(defs, gaps)).status).toBe("COMPLETED");
    expect((await runsOf(gaps)).map((r) => [r.tags[PARTITION_RANGE_START_TAG], r.tags[PARTITION_RANGE_END_TAG]]).sort()).toEqual([
      ["2024-01-01", "2024-01-02"],
      ["2024-01-05", "2024-01-05"],
    ]);
  });
});

describe("backfill daemon on dynamic partitions", () => {
  it("backfills the stored keys; a key removed before its launch fails that partition only", async () => {
    const tenants = dynamicPartitions("tenants");
    const report = asset({ key: "tenant_report", partitions: tenants, run: (_in, { partitionKey }) => ({ tenant: partitionKey }) });
    const defs = defineDefinitions({ assets: [report] });
    await target.storage.addDynamicPartitions("tenants", ["acme", "globex", "initech"]);
    const id = await launch(defs, "tenant_report", { kind: "all" });
    expect((await target.storage.getBackfill(id))?.partitionCount).toBe(3);
    await target.storage.deleteDynamicPartitions("tenants", ["globex"]);
    const done = await drive(defs, id);
    expect(done.status).toBe("FAILED");
    expect((await target.storage.getBackfillPartitions(id)).map((p) => [p.partition, p.status, p.reason])).toEqual([
      ["acme", "succeeded", null],
      ["globex", "failed", expect.stringMatching(/Partition "globex" of dynamic partitions "tenants" does not exist.*tenant_report/s)],
      ["initech", "succeeded", null],
    ]);
    expect((await runsOf(id)).map((r) => r.partition).sort()).toEqual(["acme", "initech"]);
    // Planning reads the stored keys too: an unknown one is refused with the keys that exist.
    await expect(launch(defs, "tenant_report", { kind: "keys", keys: ["umbrella"] })).rejects.toThrow(/"umbrella".*2 keys exist: "acme", "initech"/s);
  });
});

describe("retry-failed of a mapped backfill", () => {
  it("backfills again the root keys that the failed partitions read", async () => {
    const defs = hourlyToDaily("2024-01-03-05:00");
    const id = await launch(defs, ["events", "daily"], { kind: "range", first: "2024-01-02-00:00", last: "2024-01-03-23:00" });
    expect((await drive(defs, id)).status).toBe("FAILED");
    const { backfill } = await retryFailedBackfill(target.storage, hourlyToDaily(), id, "test");
    // The failed hour and its failed day: the day reads its 24 hours, so they are the roots' keys.
    expect(backfill.groups.map((g) => [g.name, g.partitionCount])).toEqual([
      ["events", 24],
      ["daily", 1],
    ]);
    expect((await drive(hourlyToDaily(), backfill.backfillId)).status).toBe("COMPLETED");
    expect((await target.storage.getAssetPartitionStatuses("daily")).map((p) => p.status)).toEqual(["MATERIALIZED", "MATERIALIZED"]);
  });
});
