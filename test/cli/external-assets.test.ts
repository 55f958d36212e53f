/**
 * External and observable assets through the CLI: `sluice asset report` (and what it refuses,
 * recording nothing), `sluice asset observe`, and `sluice materialize` leaving external assets out.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import { RUNLESS_RUN_ID } from "../../src/storage/records.js";
import { assertBuilt, cliJson, describeResult, fixture, lastLine, listRuns, removeTempDirs, runCli, tempDir } from "./helpers.js";

const DEFS = fixture("external", "defs.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

async function readStorage<T>(home: string, read: (storage: Awaited<ReturnType<typeof openSqliteStorage>>) => Promise<T>): Promise<T> {
  const storage = await openSqliteStorage(path.join(home, "sluice.db"));
  try {
    return await read(storage);
  } finally {
    await storage.close();
  }
}

describe("sluice asset report", () => {
  const home = tempDir();

  it("records a run-less materialization with its metadata, and no run", async () => {
    const result = await runCli(["asset", "report", "vendor/feed", "-f", DEFS, "--metadata", '{"rows": 120}', "--description", "nightly drop"], { home });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stderr).toContain('Reported a materialization of asset "vendor/feed".');
    const index = await readStorage(home, (s) => s.getAssetIndex(["vendor/feed"]));
    expect(index.map((r) => [r.runId, r.metadata.rows])).toEqual([[RUNLESS_RUN_ID, { type: "int", value: 120 }]]);
    expect(index[0]?.eventId).toBe(Number(lastLine(result.stdout)));
    expect(await listRuns(home)).toEqual([]);
  });

  it("reports a partition (--json), which `asset partitions` then shows materialized", async () => {
    const reported = await cliJson<{ partition: string }>(["asset", "report", "vendor/regional", "-f", DEFS, "--partition", "us", "--json"], { home });
    expect(reported.partition).toBe("us");
    const partitions = await cliJson<{ materialized: number; keys: { key: string; status: string; runId: string | null }[] }>(["asset", "partitions", "vendor/regional", "-f", DEFS, "--json"], { home });
    expect(partitions.materialized).toBe(1);
    expect(partitions.keys.find((k) => k.key === "us")).toMatchObject({ status: "MATERIALIZED", runId: RUNLESS_RUN_ID });
    const table = await runCli(["asset", "partitions", "vendor/regional", "-f", DEFS], { home });
    expect(table.stdout.split("\n").find((line) => line.startsWith("us"))).toMatch(/^us\s+MATERIALIZED\s+yes\s+\(reported\)/);
  });

  it("exits 2, recording nothing, for an unknown key, a partition the asset lacks, or bad metadata", async () => {
    const before = await readStorage(home, (s) => s.getAssetIndex());
    const cases: [string[], RegExp][] = [
      [["asset", "report", "nope"], /Asset "nope" is not defined, so there is nothing to report/],
      [["asset", "report", "vendor/regional", "--partition", "asia"], /asia/],
      [["asset", "report", "vendor/regional"], /is partitioned .*--partition KEY/],
      [["asset", "report", "vendor/feed", "--partition", "eu"], /is not partitioned/],
      [["asset", "report", "vendor/feed", "--metadata", "[1]"], /--metadata must be a JSON object/],
      // (A value over the size limit is longer than the OS lets one argument be: the HTTP test checks that.)
      [["asset", "report", "vendor/feed", "--metadata", `${'{"a":'.repeat(40)}1${"}".repeat(40)}`], /--metadata is nested more than 32 levels deep/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...args, "-f", DEFS], { home });
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await readStorage(home, (s) => s.getAssetIndex())).toEqual(before);
  });
});

describe("sluice asset observe and materialize", () => {
  const home = tempDir();
  const source = path.join(tempDir(), "source.txt");

  it("observes the observable source assets of the selection and prints their data versions", async () => {
    writeFileSync(source, "version-1\n");
    const result = await runCli(["asset", "observe", "-f", DEFS, "--select", "*"], { home, env: { SOURCE_FILE: source } });
    expect(result.code, describeResult(result)).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("src/file\tversion-1");
    const latest = await readStorage(home, (s) => s.getLatestObservations());
    expect(latest.map((o) => [o.assetKey, o.dataVersion, o.runId])).toEqual([["src/file", "version-1", lastLine(result.stdout)]]);
  });

  it("materializes around external assets, and refuses them alone with exit 2", async () => {
    writeFileSync(source, "version-2\n");
    const ok = await runCli(["materialize", "-f", DEFS, "--select", "+clean"], { home, env: { SOURCE_FILE: source } });
    expect(ok.code, describeResult(ok)).toBe(0);
    const runs = await listRuns(home);
    expect(runs[0]?.selection).toEqual(["src/file", "clean"]);
    const external = await runCli(["materialize", "-f", DEFS, "--select", "vendor/feed"], { home });
    expect(external.code).toBe(2);
    expect(external.stderr).toContain("is an external asset: Sluice cannot materialize it. Report its materializations with `sluice asset report vendor/feed`");
    const observable = await runCli(["materialize", "-f", DEFS, "--select", "src/file"], { home });
    expect(observable.code).toBe(2);
    expect(observable.stderr).toContain("sluice asset observe");
    const nothing = await runCli(["asset", "observe", "-f", DEFS, "--select", "clean"], { home });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('Asset "clean" is not an observable source asset');
    expect((await listRuns(home)).length).toBe(runs.length);
  });
});
