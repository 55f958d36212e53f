/**
 * Partitions end to end through the CLI: `materialize --partition` and `--partition-range`,
 * `job execute --partition`, what storage, `run show`, `run logs` and `asset partitions` then
 * report, and the errors (unknown keys, missing keys, mixed partitions, load-time mistakes).
 */
import { Instance } from "../../src/instance/instance.js";
import { storedValue } from "../../src/runs/testing/stored-value.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  cliJson,
  describeResult,
  fixture,
  lastLine,
  materializeOk,
  removeTempDirs,
  RUN_ID,
  runCli,
  runEvents,
  showRun,
  tempDir,
} from "./helpers.js";

const DEFS = fixture("partitions", "defs.ts");
const CHAIN = "group:ingest";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

interface PartitionsJson {
  assetKey: string;
  partitions: { type: string; count: number; firstKey: string };
  materialized: number;
  keys: { key: string; materialized: boolean; runId: string | null }[];
}

/** The asset's (partition's) value in the instance at `home`, as a downstream step would load it. */
async function stored(home: string, assetKey: string, partition: string | null = null): Promise<unknown> {
  const instance = await Instance.open({ home });
  try {
    return await storedValue(instance, assetKey, partition);
  } finally {
    await instance.close();
  }
}

describe("sluice materialize --partition", () => {
  const home = tempDir();
  const runIds: Record<string, string> = {};

  beforeAll(async () => {
    for (const day of ["2025-01-02", "2025-01-03"]) {
      runIds[day] = await materializeOk(["-f", DEFS, "--select", CHAIN, "--partition", day], { home });
    }
  });

  it("stores each partition's values under its key", async () => {
    expect(await stored(home, "raw/readings", "2025-01-02")).toEqual([
      { device: "a", value: 2 },
      { device: "b", value: 20 },
    ]);
    expect(await stored(home, "daily/summary", "2025-01-03")).toEqual({ day: "2025-01-03", total: 33 });
  });

  it("records the partition on the run (run show --json) and on its step events (run logs --json)", async () => {
    const run = await showRun(home, runIds["2025-01-03"]!);
    expect(run.status).toBe("SUCCESS");
    expect(run.partition).toBe("2025-01-03");
    expect(run.tags["sluice/partition"]).toBe("2025-01-03");
    const events = await runEvents(home, runIds["2025-01-03"]!);
    const materializations = events.filter((e) => e.type === "ASSET_MATERIALIZATION");
    expect(materializations.map((e) => [e.stepKey, e.partition])).toEqual([
      ["raw/readings", "2025-01-03"],
      ["daily/summary", "2025-01-03"],
    ]);
    const log = events.find((e) => e.type === "LOG" && e.stepKey === "raw/readings");
    expect(log?.message).toBe("reading 2025-01-03 from 2025-01-03T00:00:00.000Z to 2025-01-04T00:00:00.000Z");
    expect(log?.partition).toBe("2025-01-03");
  });

  it("shows which partitions are materialized (asset partitions)", async () => {
    const listing = await cliJson<PartitionsJson>(["asset", "partitions", "daily/summary", "-f", DEFS, "--json"], { home });
    expect(listing.partitions.type).toBe("time_window");
    expect(listing.partitions.firstKey).toBe("2025-01-01");
    expect(listing.materialized).toBe(2);
    expect(listing.keys.slice(0, 4)).toEqual([
      { key: "2025-01-01", status: "MISSING", materialized: false, runId: null, timestamp: null },
      expect.objectContaining({ key: "2025-01-02", status: "MATERIALIZED", materialized: true, runId: runIds["2025-01-02"] }),
      expect.objectContaining({ key: "2025-01-03", materialized: true, runId: runIds["2025-01-03"] }),
      expect.objectContaining({ key: "2025-01-04", materialized: false }),
    ]);
  });

  it("gives an unpartitioned downstream asset every materialized partition", async () => {
    const runId = await materializeOk(["-f", DEFS, "--select", "report"], { home });
    expect((await showRun(home, runId)).partition).toBeNull();
    expect(await stored(home, "report")).toEqual({ days: ["2025-01-02", "2025-01-03"], grandTotal: 22 + 33 });
  });

  it("describes static partitions small in asset partitions --json, and refuses an unpartitioned asset", async () => {
    const listing = await cliJson<PartitionsJson & { partitions: Record<string, unknown> }>(["asset", "partitions", "regions", "-f", DEFS, "--json"], { home });
    expect(listing.partitions).toEqual({ type: "static", keys: ["eu", "us"], count: 2 });
    expect(listing.keys.map((k) => [k.key, k.materialized])).toEqual([
      ["eu", false],
      ["us", false],
    ]);
    const unpartitioned = await runCli(["asset", "partitions", "report", "-f", DEFS], { home });
    expect(unpartitioned.code).toBe(2);
    expect(unpartitioned.stderr).toContain('Asset "report" is not partitioned.');
  });
});

describe("sluice materialize --partition-range", () => {
  it("runs one run per partition, in order, printing each run id", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", DEFS, "--select", CHAIN, "--partition-range", "2025-01-04...2025-01-06"], { home });
    expect(result.code, describeResult(result)).toBe(0);
    const ids = result.stdout.trim().split("\n");
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(RUN_ID);
    expect(await Promise.all(ids.map(async (id) => (await showRun(home, id)).partition))).toEqual(["2025-01-04", "2025-01-05", "2025-01-06"]);
    expect(result.stderr).toContain("Partition 2025-01-05 (2/3)");
    expect(result.stderr).toContain("Run SUCCESS (partition 2025-01-06)");
  });

  it("refuses a malformed or backwards range, and a range over unpartitioned assets", async () => {
    const home = tempDir();
    const malformed = await runCli(["materialize", "-f", DEFS, "--select", CHAIN, "--partition-range", "2025-01-04"], { home });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--partition-range "2025-01-04" is not START...END');
    const backwards = await runCli(["materialize", "-f", DEFS, "--select", CHAIN, "--partition-range", "2025-01-06...2025-01-04"], { home });
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain("is backwards");
    const unpartitioned = await runCli(["materialize", "-f", DEFS, "--select", "report", "--partition-range", "2025-01-01...2025-01-02"], { home });
    expect(unpartitioned.code).toBe(2);
    expect(unpartitioned.stderr).toContain("the selection has no partitioned assets");
  });
});

describe("sluice job execute --partition", () => {
  it("executes an asset job of partitioned assets for one partition, and requires one", async () => {
    const home = tempDir();
    const ok = await runCli(["job", "execute", "-f", DEFS, "-j", "daily_job", "--partition", "2025-01-07"], { home });
    expect(ok.code, describeResult(ok)).toBe(0);
    const run = await showRun(home, lastLine(ok.stdout));
    expect([run.jobName, run.partition, run.status]).toEqual(["daily_job", "2025-01-07", "SUCCESS"]);
    expect(await stored(home, "daily/summary", "2025-01-07")).toEqual({ day: "2025-01-07", total: 77 });

    const missing = await runCli(["job", "execute", "-f", DEFS, "-j", "daily_job"], { home });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Job "daily_job" materializes partitioned assets "raw/readings", "daily/summary" (daily partitions from "2025-01-01" (UTC)), so a run needs a partition key: pass --partition KEY');
  });
});

describe("sluice job launch --partition and schedules of partitioned jobs", () => {
  it("queues a run of the partition for the daemon", async () => {
    const home = tempDir();
    const launched = await runCli(["job", "launch", "-f", DEFS, "-j", "daily_job", "--partition", "2025-01-09"], { home });
    expect(launched.code, describeResult(launched)).toBe(0);
    const run = await showRun(home, lastLine(launched.stdout));
    expect([run.status, run.partition, run.tags["sluice/partition"]]).toEqual(["QUEUED", "2025-01-09", "2025-01-09"]);
    const bad = await runCli(["job", "launch", "-f", DEFS, "-j", "daily_job", "--partition", "tomorrow"], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Partition "tomorrow" is not a key of daily partitions from "2025-01-01" (UTC): keys are written YYYY-MM-DD');
  });

  it("lists a partitionedSchedule with the cron derived from the job's partitions", async () => {
    const schedules = await cliJson<{ name: string; cron: string; timezone: string; job: string }[]>(["schedule", "list", "-f", DEFS, "--json"], { home: tempDir() });
    expect(schedules).toEqual([expect.objectContaining({ name: "daily_job_schedule", cron: "15 2 * * *", timezone: "UTC", job: "daily_job" })]);
  });
});

describe("partition errors (exit 2, nothing recorded)", () => {
  const home = tempDir();

  it("an unknown key names it and shows the valid range", async () => {
    const result = await runCli(["materialize", "-f", DEFS, "--select", CHAIN, "--partition", "2024-12-31"], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Partition "2024-12-31" is before the first partition of daily partitions from "2025-01-01" \(UTC\)\. Valid keys run from "2025-01-01" to "\d{4}-\d{2}-\d{2}" \(\d+ partitions\)/);
    expect(result.stderr).toContain('(Partitioned: assets "raw/readings", "daily/summary".)');
    const badFormat = await runCli(["materialize", "-f", DEFS, "--select", "regions", "--partition", "asia"], { home });
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('Partition "asia" is not one of the 2 keys of static partitions ["eu", "us"]. Valid keys: "eu", "us".');
  });

  it("partitioned assets without --partition: names them and suggests the latest key", async () => {
    const result = await runCli(["materialize", "-f", DEFS, "--select", CHAIN], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Assets "raw\/readings", "daily\/summary" are partitioned .* so a run needs a partition key: pass --partition KEY .*e\.g\. the latest: --partition \d{4}-\d{2}-\d{2}/);
  });

  it("--partition for unpartitioned assets, and assets with different partitions in one run", async () => {
    const unpartitioned = await runCli(["materialize", "-f", DEFS, "--select", "report", "--partition", "2025-01-01"], { home });
    expect(unpartitioned.code).toBe(2);
    expect(unpartitioned.stderr).toContain('Partition "2025-01-01" was given, but asset "report" is not partitioned');
    const mixed = await runCli(["materialize", "-f", DEFS, "--select", "key:raw/readings or key:regions", "--partition", "eu"], { home });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('Assets "raw/readings" (daily partitions from "2025-01-01" (UTC)) and "regions" (static partitions ["eu", "us"]) have different partitions');
  });

  it("no run was recorded by any of them", async () => {
    expect(await cliJson<unknown[]>(["run", "list", "--json"], { home })).toEqual([]);
  });

  it("at load: an upstream with other partitions names both assets; a bad start date names the value and the line", async () => {
    const mismatch = await runCli(["asset", "list", "-f", fixture("partitions", "mismatch.ts")]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(
      'Asset "daily_events" (daily partitions from "2025-01-01" (UTC)) reads input "hourly" from asset "hourly_events" (hourly partitions from "2025-01-01-00:00" (UTC)), ' +
        'and each of its partitions reads several partitions of "hourly_events"',
    );
    expect(mismatch.stderr).toContain('ins: { hourly: { asset: "hourly_events", mapping: timeWindowMapping() } }');
    const badStart = await runCli(["asset", "list", "-f", fixture("partitions", "bad-start.ts")]);
    expect(badStart.code).toBe(2);
    expect(badStart.stderr).toContain('dailyPartitions: start "2025-02-30" is not a valid date. Write it as YYYY-MM-DD');
    expect(badStart.stderr).toContain("bad-start.ts:4");
  });
});
