import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { dailyPartitions, hourlyPartitions, multiPartitions, staticPartitions } from "../definitions/partitions.js";
import { partitionedSchedule, schedule } from "../definitions/schedule.js";
import { sensor } from "../definitions/sensor.js";
import { executeRunRecord } from "../runs/execute-run-record.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { RunStatus, TickStatus, type RunRecord } from "../storage/records.js";
import { SCHEDULE_NAME_TAG } from "./run-requests.js";
import { Scheduler } from "./scheduler.js";
import { SensorDaemon } from "./sensor-daemon.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

function clock(iso: string): { now: () => Date; set: (iso: string) => void } {
  let t = new Date(iso).getTime();
  return { now: () => new Date(t), set: (next) => void (t = new Date(next).getTime()) };
}

async function runsOf(name: string): Promise<RunRecord[]> {
  return (await target.storage.listRuns({ tags: { [SCHEDULE_NAME_TAG]: name } })).reverse();
}

function definitionError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe("DEFINITION_ERROR");
    return (err as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

const hours = hourlyPartitions({ start: "2025-01-01-00:00", timezone: "Europe/Berlin" });
const readings = asset({ key: "readings", partitions: hours, run: (_in, { partitionKey }) => ({ hour: partitionKey }) });
const hourlyJob = assetJob({ name: "hourly_job", selection: [readings] });

describe("schedules of partitioned jobs", () => {
  it("a plain schedule on an hourly-partitioned job runs the hour that ended before each tick (time zone included)", async () => {
    const c = clock("2025-03-01T09:00:30Z");
    const defs = defineDefinitions({
      assets: [readings],
      jobs: [hourlyJob],
      schedules: [schedule({ name: "hourly_at_5", cron: "5 * * * *", job: hourlyJob, defaultStatus: "RUNNING" })],
    });
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.set("2025-03-01T09:05:00Z");
    await scheduler.tick();
    c.set("2025-03-01T10:05:00Z");
    await scheduler.tick();
    const runs = await runsOf("hourly_at_5");
    // 09:05 UTC is 10:05 in Berlin: the last complete hour is 09:00-10:00 local.
    expect(runs.map((r) => r.partition)).toEqual(["2025-03-01-09:00", "2025-03-01-10:00"]);
    expect(runs[0]!.tags["sluice/partition"]).toBe("2025-03-01-09:00");
    // The queued run executes that partition.
    await target.storage.claimRun(runs[0]!.runId, "test");
    const result = await executeRunRecord(target, defs, (await target.storage.getRun(runs[0]!.runId))!);
    expect(result.status).toBe(RunStatus.Success);
    expect(result.outputOf("readings")).toEqual({ hour: "2025-03-01-09:00" });
  });

  it("partitionedSchedule derives its cron from the partitions and runs yesterday's partition at 01:30", async () => {
    const days = dailyPartitions({ start: "2025-01-01", timezone: "America/New_York" });
    const events = asset({ key: "events", partitions: days, run: () => 1 });
    const daily = assetJob({ name: "daily_events", selection: [events] });
    const defs = defineDefinitions({
      assets: [events],
      jobs: [daily],
      schedules: [partitionedSchedule({ job: daily, hourOfDay: 1, minuteOfHour: 30, defaultStatus: "RUNNING" })],
    });
    const resolved = defs.schedules.get("daily_events_schedule")!;
    expect([...resolved.cron.expressions, resolved.cron.timezone]).toEqual(["30 1 * * *", "America/New_York"]);
    const c = clock("2025-03-09T00:00:00Z");
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.set("2025-03-10T05:30:00Z"); // 01:30 EDT on March 10
    await scheduler.tick();
    expect((await runsOf("daily_events_schedule")).map((r) => r.partition)).toEqual(["2025-03-09"]);
  });

  it("an execute function sees the default partition and may pick another; skips when no partition has ended", async () => {
    const seen: (string | null)[] = [];
    const defs = defineDefinitions({
      assets: [readings],
      jobs: [hourlyJob],
      schedules: [
        schedule({
          name: "two_hours_back",
          cron: "0 * * * *",
          job: hourlyJob,
          defaultStatus: "RUNNING",
          execute: ({ partitionKey }) => {
            seen.push(partitionKey);
            return partitionKey === null ? undefined : { partitionKey: hours.keyAt(new Date(hours.timeWindow(partitionKey).start.getTime() - 3_600_000)) };
          },
        }),
      ],
    });
    const c = clock("2024-12-31T22:30:00Z");
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.set("2024-12-31T23:00:00Z"); // midnight in Berlin: no hour of 2025 has ended
    await scheduler.tick();
    c.set("2025-01-01T01:00:00Z"); // 02:00 in Berlin
    await scheduler.tick();
    expect(seen).toEqual([null, "2025-01-01-01:00"]);
    expect((await runsOf("two_hours_back")).map((r) => r.partition)).toEqual(["2025-01-01-00:00"]);
    const ticks = await target.storage.listTicks("two_hours_back");
    expect(ticks.at(-1)!.status).toBe(TickStatus.Skipped);
    expect(ticks.at(-1)!.skipReason).toContain('no partition of hourly partitions from "2025-01-01-00:00" (Europe/Berlin) has ended by 2024-12-31T23:00:00.000Z');
  });

  it("a tick whose request names a partition that does not exist fails, naming it", async () => {
    const defs = defineDefinitions({
      assets: [readings],
      jobs: [hourlyJob],
      schedules: [schedule({ name: "bad_key", cron: "0 * * * *", job: hourlyJob, defaultStatus: "RUNNING", execute: () => ({ partitionKey: "2030-01-01-00:00" }) })],
    });
    const c = clock("2025-01-02T00:30:00Z");
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.set("2025-01-02T01:00:00Z");
    await scheduler.tick();
    const [tick] = await target.storage.listTicks("bad_key");
    expect(tick!.status).toBe(TickStatus.Failure);
    expect(tick!.error!.message).toContain('Partition "2030-01-01-00:00" does not exist yet');
    expect(await runsOf("bad_key")).toEqual([]);
  });

  it("refuses at load what a tick cannot do: partitionedSchedule without time windows, offsets a cadence has no use for", () => {
    const regions = asset({ key: "regions", partitions: staticPartitions(["eu", "us"]), run: () => 1 });
    const regionJob = assetJob({ name: "region_job", selection: [regions] });
    expect(definitionError(() => defineDefinitions({ assets: [regions], jobs: [regionJob], schedules: [partitionedSchedule({ job: regionJob })] }))).toContain(
      'Schedule "region_job_schedule" is a partitioned schedule, but its job has static partitions ["eu", "us"]',
    );
    expect(definitionError(() => defineDefinitions({ assets: [readings], jobs: [hourlyJob], schedules: [partitionedSchedule({ job: hourlyJob, hourOfDay: 3 })] }))).toContain(
      'Schedule "hourly_job_schedule": hourOfDay does not apply to hourly partitions',
    );
  });

  it("launches one run per static partition at each tick, or only the partitions execute asks for", async () => {
    const regions = asset({ key: "regions", partitions: staticPartitions(["eu", "us", "apac"]), run: () => 1 });
    const regionJob = assetJob({ name: "region_job", selection: [regions] });
    const defs = defineDefinitions({
      assets: [regions],
      jobs: [regionJob],
      schedules: [
        schedule({ name: "all_regions", cron: "0 0 * * *", job: regionJob, defaultStatus: "RUNNING" }),
        schedule({
          name: "two_regions",
          cron: "0 0 * * *",
          job: regionJob,
          defaultStatus: "RUNNING",
          execute: () => [{ partitionKey: "eu", runKey: "eu" }, { partitionKey: "us", runKey: "us" }, { partitionKey: "eu", runKey: "eu" }],
        }),
      ],
    });
    const c = clock("2025-01-01T12:00:00Z");
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.set("2025-01-02T00:00:05Z");
    await scheduler.tick();
    const [allTick] = await target.storage.listTicks("all_regions");
    expect(allTick!.status).toBe(TickStatus.Success);
    expect(allTick!.runIds).toHaveLength(3);
    expect((await runsOf("all_regions")).map((r) => r.partition).sort()).toEqual(["apac", "eu", "us"]);
    // Requests with the same run key are one run.
    expect((await runsOf("two_regions")).map((r) => r.partition).sort()).toEqual(["eu", "us"]);
  });

  it("runs the last complete day for every device of a day-by-device partitioned job", async () => {
    const byDayAndDevice = multiPartitions({ date: dailyPartitions({ start: "2025-01-01" }), device: staticPartitions(["dev-1", "dev-2"]) });
    const files = asset({ key: "device_files", partitions: byDayAndDevice, run: () => 1 });
    const filesJob = assetJob({ name: "files_job", selection: [files] });
    const defs = defineDefinitions({
      assets: [files],
      jobs: [filesJob],
      schedules: [schedule({ name: "nightly_files", cron: "0 1 * * *", job: filesJob, defaultStatus: "RUNNING" })],
    });
    const c = clock("2025-01-03T00:30:00Z");
    const scheduler = new Scheduler({ storage: target.storage, defs, now: c.now, startedAt: c.now() });
    c.set("2025-01-03T01:00:10Z");
    await scheduler.tick();
    expect((await runsOf("nightly_files")).map((r) => r.partition).sort()).toEqual(["2025-01-02|dev-1", "2025-01-02|dev-2"]);
  });
});

describe("sensors requesting partitions", () => {
  it("launch one run per requested partition, and fail the tick for a partitioned target without a key", async () => {
    const byDayAndDevice = multiPartitions({ date: dailyPartitions({ start: "2025-01-01" }), device: staticPartitions(["dev-1", "dev-2"]) });
    const files = asset({ key: "files", partitions: byDayAndDevice, run: (_in, { partitionKeys }) => partitionKeys });
    const filesJob = assetJob({ name: "files_job", selection: [files] });
    let requests: { partitionKey?: string }[] = [{ partitionKey: "2025-01-01|dev-1" }, { partitionKey: "2025-01-01|dev-2" }];
    const defs = defineDefinitions({
      assets: [files],
      jobs: [filesJob],
      sensors: [sensor({ name: "new_files", job: filesJob, defaultStatus: "RUNNING", evaluate: () => requests })],
    });
    const daemon = new SensorDaemon({ storage: target.storage, defs, now: () => new Date("2025-01-05T00:00:00Z") });
    await daemon.tick();
    const runs = await target.storage.listRuns({ jobName: "files_job" });
    expect(runs.map((r) => r.partition).sort()).toEqual(["2025-01-01|dev-1", "2025-01-01|dev-2"]);
    expect(runs[0]!.tags["sluice/partition/device"]).toMatch(/^dev-[12]$/);

    requests = [{}];
    const later = new SensorDaemon({ storage: target.storage, defs, now: () => new Date("2025-01-05T01:00:00Z") });
    await later.tick();
    const [tick] = await target.storage.listTicks("new_files", { limit: 1 });
    expect(tick!.status).toBe(TickStatus.Failure);
    expect(tick!.error!.message).toContain('Job "files_job" materializes partitioned asset "files"');
  });
});
