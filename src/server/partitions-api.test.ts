import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { dailyPartitions, hourlyPartitions, multiPartitions, staticPartitions } from "../definitions/partitions.js";
import { partitionedSchedule } from "../definitions/schedule.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import type { TempTarget } from "../runs/testing/temp-target.js";
import { inProcessApp } from "./testing/in-process-app.js";
import type { createApp } from "./app.js";
import { snapshotOf } from "../instance/snapshot.js";

const days = dailyPartitions({ start: "2025-01-01" });
const events = asset({ key: "events", partitions: days, run: (_in, { partitionKey }) => ({ day: partitionKey }) });
const perDay = asset({ key: "per_day", partitions: days, ins: { events }, run: ({ events: e }) => e });
const everything = asset({ key: "everything", ins: { perDay }, run: ({ perDay: all }) => Object.keys(all) });
const hoursByDevice = multiPartitions({
  hour: hourlyPartitions({ start: "2015-01-01-00:00" }),
  device: staticPartitions(Array.from({ length: 300 }, (_, i) => `dev-${i}`)),
});
const readings = asset({ key: "readings", partitions: hoursByDevice, run: () => 1 });
const dailyJob = assetJob({ name: "daily_job", selection: [events, perDay] });
const defs = defineDefinitions({
  assets: [events, perDay, everything, readings],
  jobs: [dailyJob],
  schedules: [partitionedSchedule({ job: dailyJob, hourOfDay: 2 })],
});

describe("the snapshot shows partitions small", () => {
  const now = new Date("2025-01-05T12:00:00Z");
  const snap = snapshotOf(defs, now);

  it("gives each asset its partitions definition and count, null when unpartitioned", () => {
    expect(snap.assets.find((a) => a.key === "events")!.partitions).toEqual({
      type: "time_window",
      cadence: "daily",
      cron: "0 0 * * *",
      timezone: "UTC",
      fmt: "%Y-%m-%d",
      start: "2025-01-01T00:00:00.000Z",
      end: null,
      endOffset: 0,
      count: 4,
      firstKey: "2025-01-01",
      lastKey: "2025-01-04",
    });
    expect(snap.assets.find((a) => a.key === "everything")!.partitions).toBeNull();
    expect(snap.jobs.find((j) => j.name === "daily_job")!.partitions).toMatchObject({ type: "time_window", count: 4 });
  });

  it("shows a multi definition by its dimensions and counts, not its keys (2.6 million here)", () => {
    const multi = snap.assets.find((a) => a.key === "readings")!.partitions!;
    expect(multi.type).toBe("multi");
    expect(multi.count).toBe(87_780 * 300);
    if (multi.type !== "multi") throw new Error("unreachable");
    expect(multi.dimensions.map((d) => [d.name, d.type, d.count])).toEqual([
      ["device", "static", 300],
      ["hour", "time_window", 87_780],
    ]);
    expect(JSON.stringify(snap).length).toBeLessThan(40_000);
  });

  it("gives a partitioned schedule its derived cron", () => {
    expect(snap.schedules.find((s) => s.name === "daily_job_schedule")).toMatchObject({ cron: "0 2 * * *", timezone: "UTC", jobName: "daily_job" });
  });
});

describe("POST /api/runs with a partition", () => {
  let target: TempTarget;
  let app: ReturnType<typeof createApp>;
  beforeEach(async () => {
    ({ target, app } = await inProcessApp(defs));
  });
  afterEach(async () => {
    await target.dispose();
  });

  const post = (body: unknown) =>
    app.request("/api/runs", { method: "POST", headers: { host: "127.0.0.1:3000", "content-type": "application/json" }, body: JSON.stringify(body) });

  it("queues a run of the partition, with its tag", async () => {
    const res = await post({ job: "daily_job", partition: "2025-01-02" });
    expect(res.status).toBe(201);
    const { run } = (await res.json()) as { run: { partition: string; tags: Record<string, string>; status: string } };
    expect(run).toMatchObject({ partition: "2025-01-02", status: "QUEUED", tags: { "sluice/partition": "2025-01-02" } });
    const bySelection = await post({ selection: ["events"], partition: "2025-01-03" });
    expect(bySelection.status).toBe(201);
    expect((await target.storage.listRuns()).map((r) => r.partition).sort()).toEqual(["2025-01-02", "2025-01-03"]);
  });

  it("answers 400 PARTITION_ERROR at body.partition for a missing or unknown key, and creates no run", async () => {
    const missing = await post({ selection: ["events"] });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: { code: "PARTITION_ERROR", path: "body.partition", message: expect.stringContaining('Asset "events" is partitioned') },
    });
    const unknown = await post({ job: "daily_job", partition: "1999-01-01" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain('Partition "1999-01-01" is before the first partition');
    expect(await target.storage.listRuns()).toEqual([]);
  });

  it("GET /api/assets counts materialized partitions per asset", async () => {
    for (const day of ["2025-01-01", "2025-01-02"]) await materializeAssets(target, defs, { selection: ["events"], partitionKey: day });
    const res = await app.request("/api/assets", { headers: { host: "127.0.0.1:3000" } });
    const { assets } = (await res.json()) as { assets: { key: string; materializedPartitions: number; partitions: unknown }[] };
    const row = assets.find((a) => a.key === "events")!;
    expect(row.materializedPartitions).toBe(2);
    expect(row.partitions).toMatchObject({ type: "time_window", firstKey: "2025-01-01" });
  });
});
