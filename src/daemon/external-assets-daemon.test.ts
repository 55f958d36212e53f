import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { observableSourceAsset } from "../definitions/observable-source-asset.js";
import { schedule } from "../definitions/schedule.js";
import { assetSensor } from "../definitions/sensor.js";
import { assetSpec } from "../definitions/asset-spec.js";
import { reportMaterialization } from "../runs/report-materialization.js";
import { SENSOR_NAME_TAG } from "./run-requests.js";
import { SensorDaemon } from "./sensor-daemon.js";
import { executeRunRecord } from "../runs/execute-run-record.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { RUNLESS_RUN_ID, RunStatus, TickStatus } from "../storage/records.js";
import { SCHEDULE_NAME_TAG } from "./run-requests.js";
import { Scheduler } from "./scheduler.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

describe("a schedule of an asset job of observable source assets", () => {
  it("launches a run on each tick that records the data version seen then", async () => {
    let version = "rows-100";
    const table = observableSourceAsset({ key: "warehouse/orders", observe: () => ({ dataVersion: version, metadata: { checked: "max(updated_at)" } }) });
    const report = asset({ key: "report", deps: [table], run: () => 1 });
    const observeJob = assetJob({ name: "observe_sources", selection: [table] });
    const defs = defineDefinitions({
      assets: [table, report],
      jobs: [observeJob],
      schedules: [schedule({ name: "every_minute", cron: "* * * * *", job: observeJob, defaultStatus: "RUNNING" })],
    });
    let t = new Date("2025-01-01T00:00:30Z").getTime();
    const now = () => new Date(t);
    const scheduler = new Scheduler({ storage: target.storage, defs, now, startedAt: now() });

    const tickAndRun = async (at: string): Promise<void> => {
      t = new Date(at).getTime();
      await scheduler.tick();
      const [queued] = await target.storage.listRuns({ tags: { [SCHEDULE_NAME_TAG]: "every_minute" }, statuses: [RunStatus.Queued] });
      expect(queued?.selection).toEqual(["warehouse/orders"]);
      // What the run worker the launcher starts would do.
      await target.storage.claimRun(queued!.runId, "test");
      const result = await executeRunRecord(target, defs, (await target.storage.getRun(queued!.runId))!);
      expect(result.status).toBe(RunStatus.Success);
    };

    await tickAndRun("2025-01-01T00:01:00Z");
    version = "rows-120";
    await tickAndRun("2025-01-01T00:02:00Z");

    expect((await target.storage.listTicks("every_minute")).map((tick) => tick.status)).toEqual([TickStatus.Success, TickStatus.Success]);
    const latest = await target.storage.getLatestObservations();
    expect(latest.map((o) => [o.assetKey, o.dataVersion, o.metadata.checked?.value])).toEqual([["warehouse/orders", "rows-120", "max(updated_at)"]]);
    expect((await target.storage.getObservations("warehouse/orders")).map((e) => e.data.dataVersion)).toEqual(["rows-120", "rows-100"]);
    // Observing is not materializing: nothing was stored as the asset's value.
    expect(await target.storage.getAssetIndex()).toEqual([]);
  });
});

describe("an asset sensor on an external asset", () => {
  it("fires for a reported materialization, handing it over with the reserved run id", async () => {
    const feed = assetSpec({ key: "vendor/feed" });
    const clean = asset({ key: "clean", deps: [feed], run: () => 1 });
    const got: string[] = [];
    const watch = assetSensor({
      name: "on_feed",
      asset: feed,
      selection: "clean",
      defaultStatus: "RUNNING",
      minimumIntervalSeconds: 1,
      evaluate: (_ctx, event) => {
        got.push(event.runId);
        return { runKey: `feed-${event.eventId}` };
      },
    });
    const defs = defineDefinitions({ assets: [feed, clean], sensors: [watch] });
    const daemon = new SensorDaemon({ storage: target.storage, defs, now: () => new Date(), startedAt: new Date(Date.now() - 1000) });
    await reportMaterialization(target, { assetKey: "vendor/feed", definitions: defs });
    await daemon.tick();
    expect(got).toEqual([RUNLESS_RUN_ID]);
    const runs = await target.storage.listRuns({ tags: { [SENSOR_NAME_TAG]: "on_feed" } });
    expect(runs.map((r) => r.selection)).toEqual([["clean"]]);
  });
});
