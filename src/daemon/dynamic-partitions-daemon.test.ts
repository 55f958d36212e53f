import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { assetJob } from "../definitions/job.js";
import { dailyPartitions, dynamicPartitions, multiPartitions } from "../definitions/partitions.js";
import { partitionedSchedule, schedule } from "../definitions/schedule.js";
import { sensor, type SensorReturn } from "../definitions/sensor.js";
import { executeRunRecord } from "../runs/execute-run-record.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { RunStatus, TickStatus, type TickRecord } from "../storage/records.js";
import { SCHEDULE_NAME_TAG, SENSOR_NAME_TAG } from "./run-requests.js";
import { Scheduler } from "./scheduler.js";
import { evaluateSensorOnce, SensorDaemon } from "./sensor-daemon.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const tenants = dynamicPartitions("tenants");
const tenantReport = asset({ key: "tenant_report", partitions: tenants, run: (_in, { partitionKey }) => ({ tenant: partitionKey }) });
const reportJob = assetJob({ name: "report_job", selection: [tenantReport] });

/** Definitions with one RUNNING sensor on report_job whose answers the test sets. */
function withSensor(answer: () => unknown) {
  return defineDefinitions({
    assets: [tenantReport],
    jobs: [reportJob],
    sensors: [sensor({ name: "provisioning", job: reportJob, defaultStatus: "RUNNING", evaluate: () => answer() as SensorReturn })],
  });
}

async function lastTick(): Promise<TickRecord> {
  const [tick] = await target.storage.listTicks("provisioning", { limit: 1 });
  if (!tick) throw new Error("no tick");
  return tick;
}

describe("sensors with dynamicPartitionsRequests", () => {
  it("add a key and launch its run in the same tick; the run executes that partition", async () => {
    await target.storage.addDynamicPartitions("tenants", ["globex"]);
    const defs = withSensor(() => ({
      dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["acme"] }],
      runRequests: [{ partitionKey: "acme", runKey: "acme" }, { partitionKey: "globex", runKey: "globex" }],
    }));
    await new SensorDaemon({ storage: target.storage, defs }).tick();
    expect((await lastTick()).status).toBe(TickStatus.Success);
    expect(await target.storage.getDynamicPartitions("tenants")).toEqual(["globex", "acme"]);
    const runs = await target.storage.listRuns({ tags: { [SENSOR_NAME_TAG]: "provisioning" } });
    expect(runs.map((r) => r.partition).sort()).toEqual(["acme", "globex"]);
    const acme = runs.find((r) => r.partition === "acme")!;
    expect(acme.tags["sluice/partition"]).toBe("acme");
    await target.storage.claimRun(acme.runId, "test");
    const result = await executeRunRecord(target, defs, (await target.storage.getRun(acme.runId))!);
    expect(result.status).toBe(RunStatus.Success);
    expect(result.outputOf("tenant_report")).toEqual({ tenant: "acme" });
  });

  it("a tick that only changes keys succeeds; a removed key's run is refused in the same tick", async () => {
    await target.storage.addDynamicPartitions("tenants", ["acme", "globex"]);
    let answer: unknown = { dynamicPartitionsRequests: [{ partitionsName: "tenants", remove: ["globex"], add: ["initech"] }] };
    const defs = withSensor(() => answer);
    const evaluation = await evaluateSensorOnce(target.storage, defs, defs.sensors.get("provisioning")!, null);
    expect(evaluation).toMatchObject({ status: TickStatus.Success, requests: [], dynamicPartitionsRequests: [{ partitionsName: "tenants", remove: ["globex"], add: ["initech"] }] });
    // A preview writes nothing.
    expect(await target.storage.getDynamicPartitions("tenants")).toEqual(["acme", "globex"]);
    await new SensorDaemon({ storage: target.storage, defs }).tick();
    expect(await target.storage.getDynamicPartitions("tenants")).toEqual(["acme", "initech"]);

    answer = { dynamicPartitionsRequests: [{ partitionsName: "tenants", remove: ["acme"] }], runRequests: [{ partitionKey: "acme" }] };
    const refused = await evaluateSensorOnce(target.storage, defs, defs.sensors.get("provisioning")!, null);
    expect(refused.status).toBe(TickStatus.Failure);
    expect(refused.error!.message).toContain('Partition "acme" of dynamic partitions "tenants" does not exist; add it with `sluice partitions add tenants acme` (1 key exists: "initech")');
    // The check of the tick's keys does not leak into the definitions: they still hold the stored keys.
    expect(tenants.keys()).toEqual(["acme", "initech"]);
  });

  it("fail the tick and store none of its keys when one of its runs cannot be created", async () => {
    const defs = withSensor(() => ({
      dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["acme"] }],
      runRequests: [{ partitionKey: "acme" }, { partitionKey: "ghost" }],
    }));
    await new SensorDaemon({ storage: target.storage, defs }).tick();
    const tick = await lastTick();
    expect(tick.status).toBe(TickStatus.Failure);
    expect(tick.error!.message).toContain('Partition "ghost" of dynamic partitions "tenants" does not exist; add it with `sluice partitions add tenants ghost` (1 key exists: "acme")');
    expect(tick.runIds).toEqual([]);
    expect(await target.storage.getDynamicPartitions("tenants")).toEqual([]);
    expect(await target.storage.listRuns()).toEqual([]);
  });

  it("fail the tick for a malformed request, an undeclared name or a bad key, naming it", async () => {
    const cases: [unknown, string][] = [
      [{ dynamicPartitionsRequests: { partitionsName: "tenants" } }, "returned dynamicPartitionsRequests that is an object; give [{ partitionsName, add?: [keys], remove?: [keys] }]"],
      [{ dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["a"], extra: 1 }] }, 'returned dynamicPartitionsRequests[0] with "extra"'],
      [{ dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["a", 2] }] }, "returned dynamicPartitionsRequests[0] whose add[1] is number 2; partition keys are strings."],
      [{ dynamicPartitionsRequests: [{ partitionsName: "tenant", add: ["a"] }] }, 'Dynamic partitions "tenant" are not declared in these definitions: the declared dynamic partitions are "tenants".'],
      [{ dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["a|b"] }] }, 'dynamicPartitionsRequests[0].add[0]: key "a|b" of dynamic partitions "tenants" contains "|"'],
      [{ dynamicPartitionsRequest: [] }, 'returned an object with "dynamicPartitionsRequest"'],
    ];
    for (const [answer, message] of cases) {
      const defs = withSensor(() => answer);
      const evaluation = await evaluateSensorOnce(target.storage, defs, defs.sensors.get("provisioning")!, null);
      expect(evaluation.status).toBe(TickStatus.Failure);
      expect(evaluation.error!.message).toContain(message);
    }
    expect(await target.storage.getDynamicPartitions("tenants")).toEqual([]);
  });
});

describe("schedules of dynamic partitions", () => {
  it("partitionedSchedule refuses them at load, saying why", () => {
    let message = "";
    try {
      defineDefinitions({ assets: [tenantReport], jobs: [reportJob], schedules: [partitionedSchedule({ job: reportJob })] });
    } catch (err) {
      expect((err as { code?: string }).code).toBe("DEFINITION_ERROR");
      message = (err as Error).message;
    }
    expect(message).toContain('Schedule "report_job_schedule" is a partitioned schedule, but its job has dynamic partitions "tenants", whose keys are added at run time');
    const byDayAndTenant = asset({ key: "by_day", partitions: multiPartitions({ date: dailyPartitions({ start: "2025-01-01" }), tenant: tenants }), run: () => 1 });
    const byDayJob = assetJob({ name: "by_day_job", selection: [byDayAndTenant] });
    expect(() => defineDefinitions({ assets: [byDayAndTenant], jobs: [byDayJob], schedules: [partitionedSchedule({ job: byDayJob })] })).toThrow(/whose keys are added at run time/);
  });

  it("a plain schedule runs every stored key at each tick (the keys as of the tick)", async () => {
    const defs = defineDefinitions({
      assets: [tenantReport],
      jobs: [reportJob],
      schedules: [schedule({ name: "nightly_reports", cron: "0 0 * * *", job: reportJob, defaultStatus: "RUNNING" })],
    });
    let t = new Date("2025-01-01T12:00:00Z").getTime();
    const scheduler = new Scheduler({ storage: target.storage, defs, now: () => new Date(t), startedAt: new Date(t) });
    await target.storage.addDynamicPartitions("tenants", ["acme", "globex"]);
    t = new Date("2025-01-02T00:00:05Z").getTime();
    await scheduler.tick();
    const runs = await target.storage.listRuns({ tags: { [SCHEDULE_NAME_TAG]: "nightly_reports" } });
    expect(runs.map((r) => r.partition).sort()).toEqual(["acme", "globex"]);
  });
});

describe("runs of a key removed after they were queued", () => {
  it("fail before any step, naming the key", async () => {
    const defs = withSensor(() => ({ dynamicPartitionsRequests: [{ partitionsName: "tenants", add: ["acme"] }], runRequests: [{ partitionKey: "acme" }] }));
    await new SensorDaemon({ storage: target.storage, defs }).tick();
    const [run] = await target.storage.listRuns();
    await target.storage.deleteDynamicPartitions("tenants", ["acme"]);
    await target.storage.claimRun(run!.runId, "test");
    const result = await executeRunRecord(target, defs, (await target.storage.getRun(run!.runId))!);
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.runError!.message).toContain('Partition "acme" of dynamic partitions "tenants" does not exist');
  });
});
