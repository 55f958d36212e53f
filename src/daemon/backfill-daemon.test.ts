import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { staticPartitions } from "../definitions/partitions/static-partitions.js";
import { cancelBackfill, launchBackfill, resumeBackfill } from "../runs/backfill-control.js";
import { BACKFILL_TAG } from "../runs/new-run.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { PARTITION_TAG } from "../execution/run-partition.js";
import type { EventType, RunRecord } from "../storage/records.js";
import { BackfillDaemon } from "./backfill-daemon.js";

const keys = staticPartitions(["k1", "k2", "k3", "k4", "k5"]);
const up = asset({ key: "up", partitions: keys, run: () => 1 });
const down = asset({ key: "down", partitions: keys, ins: { up }, run: ({ up: u }) => u });
const defs = defineDefinitions({ assets: [up, down] });

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const launch = async (partitions: string[] = ["k1", "k2", "k3", "k4", "k5"]) =>
  (await launchBackfill(target.storage, { defs, target: { selection: "*" }, partitionSet: { kind: "keys", keys: partitions }, tags: { team: "data" }, launchedBy: "test" })).backfill.backfillId;

const runsOf = (backfillId: string): Promise<RunRecord[]> => target.storage.listRuns({ tags: { [BACKFILL_TAG]: backfillId } });

/** Ends a run as its worker would. */
async function finish(runId: string, type: EventType = "RUN_SUCCESS"): Promise<void> {
  await target.storage.storeEvent({ runId, type: "RUN_START" });
  await target.storage.storeEvent({ runId, type });
}

describe("backfill daemon", () => {
  it("launches one QUEUED run per partition through the queue, within its bounds, then completes", async () => {
    const id = await launch();
    const daemon = new BackfillDaemon({ storage: target.storage, defs, launchBatchSize: 2, maxQueuedRuns: 3 });
    expect(await daemon.tick()).toBe(2);
    // At most 3 of its runs wait in the queue: one more now.
    expect(await daemon.tick()).toBe(1);
    expect(await daemon.tick()).toBe(0);
    const runs = await runsOf(id);
    expect(runs.map((r) => r.partition).sort()).toEqual(["k1", "k2", "k3"]);
    for (const run of runs) {
      expect(run).toMatchObject({ status: "QUEUED", selection: ["up", "down"], tags: { team: "data", [BACKFILL_TAG]: id, [PARTITION_TAG]: run.partition } });
    }
    await target.storage.setRunStatus(runs[0]!.runId, "STARTED");
    expect(await daemon.tick()).toBe(1);
    for (const run of await runsOf(id)) await finish(run.runId);
    while ((await daemon.tick()) > 0) for (const run of await target.storage.listRuns({ statuses: ["QUEUED"] })) await finish(run.runId);
    await daemon.tick();
    expect((await target.storage.getBackfill(id))?.status).toBe("COMPLETED");
    expect(await target.storage.countBackfillPartitions(id)).toMatchObject({ succeeded: 5, pending: 0, launched: 0 });
    expect(new Set((await runsOf(id)).map((r) => r.partition)).size).toBe(5);
    expect(await runsOf(id)).toHaveLength(5);
  });

  it("fails the backfill when a partition's run fails; resume relaunches only what did not succeed", async () => {
    const id = await launch(["k1", "k2"]);
    const daemon = new BackfillDaemon({ storage: target.storage, defs });
    await daemon.tick();
    const [first, second] = (await runsOf(id)).sort((a, b) => a.partition!.localeCompare(b.partition!));
    await finish(first!.runId);
    await finish(second!.runId, "RUN_FAILURE");
    await daemon.tick();
    const failed = await target.storage.getBackfill(id);
    expect(failed).toMatchObject({ status: "FAILED", error: "1 partition failed, 0 canceled, 1 succeeded." });
    expect((await target.storage.getBackfillPartitions(id)).map((p) => [p.partition, p.status, p.runStatus])).toEqual([
      ["k1", "succeeded", "SUCCESS"],
      ["k2", "failed", "FAILURE"],
    ]);
    expect((await resumeBackfill(target.storage, id)).resumedPartitions).toBe(1);
    await daemon.tick();
    const relaunched = (await runsOf(id)).filter((r) => r.status === "QUEUED");
    expect(relaunched.map((r) => r.partition)).toEqual(["k2"]);
    await finish(relaunched[0]!.runId);
    await daemon.tick();
    expect((await target.storage.getBackfill(id))?.status).toBe("COMPLETED");
  });

  it("on cancel launches nothing more, lets runs in flight finish, then is CANCELED", async () => {
    const id = await launch();
    const daemon = new BackfillDaemon({ storage: target.storage, defs, launchBatchSize: 2 });
    await daemon.tick();
    await cancelBackfill(target.storage, id);
    await daemon.tick();
    expect(await runsOf(id)).toHaveLength(2);
    expect((await target.storage.getBackfill(id))?.status).toBe("CANCELING");
    for (const run of await runsOf(id)) await finish(run.runId);
    await daemon.tick();
    expect((await target.storage.getBackfill(id))?.status).toBe("CANCELED");
    expect(await target.storage.countBackfillPartitions(id)).toMatchObject({ succeeded: 2, canceled: 3, pending: 0 });
    await expect(cancelBackfill(target.storage, id)).rejects.toThrow(/already finished \(CANCELED\)/);
  });

  it("launches a group's partition once its upstream group's partition succeeded, and fails it when that failed", async () => {
    // Two groups, as partition mappings will make them: `down` waits for `up` of the same key.
    const s = target.storage;
    await s.createBackfill({
      backfillId: "bf",
      target: { kind: "assets", selection: "*", assetKeys: ["up", "down"] },
      groups: [
        { name: "up", assetKeys: ["up"], upstream: [], partitionKeys: ["k1", "k2"] },
        { name: "down", assetKeys: ["down"], upstream: ["up"], partitionKeys: ["k1", "k2"] },
      ],
      partitionSet: { kind: "keys", keys: ["k1", "k2"] },
      launchedBy: "test",
    });
    const daemon = new BackfillDaemon({ storage: s, defs });
    await daemon.tick();
    const ups = await runsOf("bf");
    expect(ups.map((r) => [r.selection, r.partition]).sort()).toEqual([[["up"], "k1"], [["up"], "k2"]]);
    const byKey = new Map(ups.map((r) => [r.partition, r.runId]));
    await finish(byKey.get("k1")!, "RUN_FAILURE");
    await finish(byKey.get("k2")!);
    await daemon.tick();
    const downs = (await runsOf("bf")).filter((r) => r.selection[0] === "down");
    expect(downs.map((r) => r.partition)).toEqual(["k2"]);
    const rows = await s.getBackfillPartitions("bf", { group: "down" });
    expect(rows.map((p) => [p.partition, p.status, p.reason])).toEqual([
      ["k1", "failed", 'upstream partition "k1" of group "up" failed'],
      ["k2", "launched", null],
    ]);
    await finish(downs[0]!.runId);
    await daemon.tick();
    expect((await s.getBackfill("bf"))?.status).toBe("FAILED");
  });
});
