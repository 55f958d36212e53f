/**
 * Backfills end to end through the CLI: `sluice backfill launch` records one, `sluice daemon`
 * executes it (one run per partition through the run queue), `backfill list|show|cancel|resume|
 * retry-failed` follow it; every bad input exits 2 with the assets, the key and the valid range,
 * and records nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../daemon/helpers.js";
import { assertBuilt, cliJson, describeResult, fixture, lastLine, listRuns, removeTempDirs, runCli, startCli, tempDir } from "./helpers.js";

const DEFS = fixture("partitions", "defs.ts");
const MAPPED = fixture("mapped-partitions", "defs.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

interface BackfillJson {
  backfillId: string;
  groups: { name: string; assetKeys: string[]; upstream: string[]; partitionCount: number; runCount: number }[];
  status: string;
  partitionCount: number;
  runCount: number;
  tags: Record<string, string>;
  error: string | null;
  counts: Record<string, number>;
  target: { kind: string; assetKeys: string[] };
}

interface ShowJson {
  backfill: BackfillJson;
  partitions: { group: string; partition: string; status: string; runId: string | null; runStatus: string | null; reason: string | null }[];
}

describe("sluice backfill", () => {
  const home = tempDir();
  const show = (id: string): Promise<ShowJson> => cliJson<ShowJson>(["backfill", "show", id, "--json"], { home });
  let backfillId: string;

  beforeAll(async () => {
    const result = await runCli(["backfill", "launch", "-f", DEFS, "--select", "group:ingest", "--partitions", "2025-01-02...2025-01-04", "--tag", "team=data"], { home });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stderr).toMatch(/Backfill of 3 partitions \(2025-01-02 to 2025-01-04\), 3 runs; the daemon will launch them/);
    backfillId = lastLine(result.stdout);
  }, 60_000);

  it("records the backfill, REQUESTED with pending partitions, until a daemon runs it", async () => {
    const { backfill, partitions } = await show(backfillId);
    expect(backfill).toMatchObject({ backfillId, status: "REQUESTED", partitionCount: 3, runCount: 3, tags: { team: "data" }, target: { kind: "assets", assetKeys: ["raw/readings", "daily/summary"] } });
    expect(partitions.map((p) => [p.partition, p.status])).toEqual([
      ["2025-01-02", "pending"],
      ["2025-01-03", "pending"],
      ["2025-01-04", "pending"],
    ]);
    expect(await listRuns(home)).toEqual([]);
  });

  it("is executed by the daemon: one successful run per partition, tagged with the backfill, then COMPLETED", { timeout: 120_000 }, async () => {
    const daemon = startCli(["daemon", "-f", DEFS], { home, timeoutMs: 110_000 });
    try {
      await daemon.waitForStderr("started:");
      const done = await waitFor("the backfill to complete", async () => {
        const s = await show(backfillId);
        return s.backfill.status === "COMPLETED" ? s : undefined;
      }, 100_000, 300);
      expect(done.backfill.counts).toMatchObject({ succeeded: 3, failed: 0, pending: 0, launched: 0 });
      expect(done.partitions.every((p) => p.status === "succeeded" && p.runStatus === "SUCCESS")).toBe(true);
      const runs = (await listRuns(home)).filter((r) => r.tags["sluice/backfill"] === backfillId);
      expect(runs.map((r) => r.partition).sort()).toEqual(["2025-01-02", "2025-01-03", "2025-01-04"]);
      for (const run of runs) expect(run.tags).toMatchObject({ team: "data", "sluice/partition": run.partition });
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.done;
    }
    const list = await cliJson<BackfillJson[]>(["backfill", "list", "--json"], { home });
    expect(list.map((b) => [b.backfillId, b.status])).toEqual([[backfillId, "COMPLETED"]]);
    // A completed backfill cannot be canceled, resumed or retried.
    for (const action of ["cancel", "resume", "retry-failed"]) {
      const result = await runCli(["backfill", action, backfillId, "-f", DEFS], { home });
      expect(result.code, `${action}: ${describeResult(result)}`).toBe(2);
      expect(result.stderr).toMatch(/already finished|only a FAILED or CANCELED|no failed or canceled partition/);
    }
  });

  it("backfills --missing partitions (not materialized for some selected asset), and cancels", async () => {
    const launched = await cliJson<BackfillJson>(["backfill", "launch", "-f", DEFS, "--select", "group:ingest", "--missing", "--json"], { home });
    const all = await cliJson<BackfillJson>(["backfill", "launch", "-f", DEFS, "--select", "regions", "--all", "--json"], { home });
    expect(all.partitionCount).toBe(2);
    const { partitions } = await show(launched.backfillId);
    expect(partitions.map((p) => p.partition).slice(0, 2)).toEqual(["2025-01-01", "2025-01-05"]);
    expect(partitions.some((p) => ["2025-01-02", "2025-01-03", "2025-01-04"].includes(p.partition))).toBe(false);
    const canceled = await cliJson<BackfillJson>(["backfill", "cancel", launched.backfillId, "--json"], { home });
    expect(canceled.status).toBe("CANCELING");
  });

  it("refuses bad input with exit 2, naming the assets, the key and the valid range, and records nothing", async () => {
    const before = await cliJson<BackfillJson[]>(["backfill", "list", "--json"], { home });
    const cases: [string[], RegExp][] = [
      [["--select", "group:ingest", "--partitions", "2024-12-31...2025-01-03"], /selection "group:ingest".*"2024-12-31".*Valid partitions: "2025-01-01" to "\d{4}-\d{2}-\d{2}"/s],
      [["--select", "group:ingest", "--partitions", "2025-01-05...2025-01-02"], /reversed: "2025-01-05" comes after "2025-01-02"/],
      [["--select", "group:ingest", "--partitions", "2025-01-05..."], /not a range START...END/],
      [["--select", "regions", "--partitions", "eu,mars"], /"mars".*Valid partitions: "eu" to "us"/s],
      [["--select", "regions or group:ingest", "--all"], /"raw\/readings" \(daily partitions.*"regions" \(static.*neither reads the other.*Backfill them separately/s],
      [["--select", "report", "--all"], /no partitioned asset/],
      [["--select", "group:ingest", "--all", "--missing"], /exactly one of --partitions/],
      [["--partitions", "eu"], /either --select EXPR or --job NAME/],
      [["--select", "regions", "--all", "--tag", "novalue"], /--tag "novalue" is not KEY=VALUE/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["backfill", "launch", "-f", DEFS, ...args], { home });
      expect(result.code, `${args.join(" ")}: ${describeResult(result)}`).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(message);
      expect(result.stdout).toBe("");
    }
    expect(await cliJson<BackfillJson[]>(["backfill", "list", "--json"], { home })).toEqual(before);
    const unknown = await runCli(["backfill", "show", "nope"], { home });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Backfill "nope" was not found/);
  });
});

describe("sluice backfill across mapped partitions", () => {
  const home = tempDir();

  it("launches groups in dependency order, shows each group's counts, and refuses roots with different partitions", { timeout: 150_000 }, async () => {
    const launched = await runCli(["backfill", "launch", "-f", MAPPED, "--select", "readings or daily_totals or daily_report", "--partitions", "2025-01-02-00:00...2025-01-03-18:00"], { home });
    expect(launched.code, describeResult(launched)).toBe(0);
    expect(launched.stderr).toMatch(/Backfill of 10 partitions \(2025-01-02-00:00 to 2025-01-03-18:00\), 10 runs/);
    expect(launched.stderr).toMatch(/group readings \(readings\): 8 partitions \(2025-01-02-00:00 to 2025-01-03-18:00\), 8 runs/);
    expect(launched.stderr).toMatch(/group daily_totals \(daily_totals, daily_report\): 2 partitions \(2025-01-02 to 2025-01-03\), 2 runs, after readings/);
    const id = lastLine(launched.stdout);
    const daemon = startCli(["daemon", "-f", MAPPED], { home, timeoutMs: 140_000 });
    let done: ShowJson;
    try {
      await daemon.waitForStderr("started:");
      done = await waitFor("the mapped backfill to complete", async () => {
        const s = await cliJson<ShowJson>(["backfill", "show", id, "--json"], { home });
        return s.backfill.status === "COMPLETED" || s.backfill.status === "FAILED" ? s : undefined;
      }, 130_000, 300);
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.done;
    }
    expect(done.backfill.status, JSON.stringify(done.partitions)).toBe("COMPLETED");
    expect(done.backfill.groups.map((g) => [g.name, g.assetKeys, g.upstream, g.partitionCount, g.runCount])).toEqual([
      ["readings", ["readings"], [], 8, 8],
      ["daily_totals", ["daily_totals", "daily_report"], ["readings"], 2, 2],
    ]);
    // Each day's run was created after its four readings' runs ended.
    const runs = (await listRuns(home)).filter((r) => r.tags["sluice/backfill"] === id);
    expect(runs).toHaveLength(10);
    for (const day of runs.filter((r) => r.selection.includes("daily_totals"))) {
      const upstream = runs.filter((r) => r.selection.includes("readings") && r.partition!.startsWith(day.partition!));
      expect(upstream).toHaveLength(4);
      for (const up of upstream) expect(Date.parse(day.createdAt)).toBeGreaterThanOrEqual(Date.parse(up.endedAt!));
    }
    const shown = await runCli(["backfill", "show", id], { home });
    expect(shown.code, describeResult(shown)).toBe(0);
    expect(shown.stdout).toMatch(/group readings \(readings\): 8 partitions; pending 0, launched 0, succeeded 8, failed 0, canceled 0/);
    expect(shown.stdout).toMatch(/group daily_totals \(daily_totals, daily_report; after readings\): 2 partitions; pending 0, launched 0, succeeded 2, failed 0, canceled 0/);
    expect(shown.stdout).toMatch(/daily_totals:2025-01-03\s+succeeded/);

    const single = await cliJson<BackfillJson>(["backfill", "launch", "-f", MAPPED, "--select", "rollup", "--partitions", "2025-01-01...2025-01-30", "--json"], { home });
    expect([single.partitionCount, single.runCount]).toEqual([30, 1]);
    const before = await cliJson<BackfillJson[]>(["backfill", "list", "--json"], { home });
    const cases: [string[], RegExp][] = [
      [["--select", "readings or rollup", "--all"], /"readings" \(time-window partitions.*"rollup" \(daily partitions.*Backfill them separately/s],
      [["--select", "readings+", "--partitions", "2099-01-01-00:00...2099-01-01-06:00"], /"2099-01-01-00:00".*Valid partitions: "2025-01-01-00:00" to/s],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["backfill", "launch", "-f", MAPPED, ...args], { home });
      expect(result.code, `${args.join(" ")}: ${describeResult(result)}`).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(message);
    }
    expect(await cliJson<BackfillJson[]>(["backfill", "list", "--json"], { home })).toEqual(before);
  });
});
