import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { multiAsset } from "../definitions/multi-asset.js";
import { staticPartitions } from "../definitions/partitions/static-partitions.js";
import { launchBackfill } from "../runs/backfill-control.js";
import { executeRunRecord } from "../runs/execute-run-record.js";
import { BACKFILL_TAG } from "../runs/new-run.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { EventType, RunStatus } from "../storage/records.js";
import { BackfillDaemon } from "./backfill-daemon.js";

const regions = staticPartitions(["eu", "na", "apac"]);
const split = multiAsset({
  name: "split_sales",
  outs: { online: { key: "sales/online" }, stores: { key: "sales/stores" } },
  partitions: regions,
  run: (_inputs, { partitionKey }) => ({ online: `${partitionKey}-online`, stores: `${partitionKey}-stores` }),
});
const report = asset({ key: "sales/report", partitions: regions, ins: { online: split.assets.online }, run: ({ online }) => online.toUpperCase() });
const defs = defineDefinitions({ assets: [split, report] });

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

/** Ticks the daemon and executes every run it queues, until the backfill ends; returns its runs. */
async function runBackfill(selection: string[]): Promise<string> {
  const { backfill } = await launchBackfill(target.storage, { defs, target: { selection }, partitionSet: { kind: "all" }, launchedBy: "test" });
  const daemon = new BackfillDaemon({ storage: target.storage, defs });
  for (let i = 0; i < 10; i++) {
    await daemon.tick();
    const queued = await target.storage.listRuns({ statuses: [RunStatus.Queued], tags: { [BACKFILL_TAG]: backfill.backfillId } });
    for (const run of queued) {
      await target.storage.setRunStatus(run.runId, RunStatus.Starting);
      await executeRunRecord(target, defs, (await target.storage.getRun(run.runId))!);
    }
    if ((await target.storage.getBackfill(backfill.backfillId))?.status === "COMPLETED") return backfill.backfillId;
  }
  throw new Error(`backfill did not complete: ${JSON.stringify(await target.storage.getBackfill(backfill.backfillId))}`);
}

describe("backfill of a partitioned multi-asset", () => {
  it("keeps its outputs and their downstream asset in one group: one run per partition computes both outputs once", async () => {
    const id = await runBackfill(["sales/online", "sales/stores", "sales/report"]);
    const backfill = (await target.storage.getBackfill(id))!;
    expect(backfill.groups.map((g) => g.assetKeys)).toEqual([["sales/online", "sales/stores", "sales/report"]]);
    const runs = await target.storage.listRuns({ tags: { [BACKFILL_TAG]: id } });
    expect(runs.map((r) => r.partition).sort()).toEqual(["apac", "eu", "na"]);
    for (const run of runs) {
      expect(run.status).toBe(RunStatus.Success);
      expect((await target.storage.getStepStats(run.runId)).map((s) => s.key)).toEqual(["split_sales", "sales/report"]);
    }
    for (const key of ["sales/online", "sales/stores", "sales/report"]) {
      expect((await target.storage.getAssetIndex([key])).map((r) => r.partition).sort()).toEqual(["apac", "eu", "na"]);
    }
  });

  it("materializes both outputs when the backfill selects one (the multi-asset cannot subset)", async () => {
    const id = await runBackfill(["sales/stores"]);
    const runs = await target.storage.listRuns({ tags: { [BACKFILL_TAG]: id } });
    expect(runs).toHaveLength(3);
    const events = await target.storage.getEvents(runs[0]!.runId, { types: [EventType.AssetMaterialization] });
    expect(events.map((e) => e.assetKey)).toEqual(["sales/online", "sales/stores"]);
    expect((await target.storage.getAssetIndex(["sales/online"])).map((r) => r.partition).sort()).toEqual(["apac", "eu", "na"]);
  });
});
