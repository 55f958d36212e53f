/**
 * `sluice run list|show|logs` and `sluice asset list|wipe` against one instance with three runs,
 * and the progress `materialize` prints when stderr is not a terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  cliJson,
  describeResult,
  fixture,
  ISO_TIME,
  lastLine,
  listRuns,
  materializeOk,
  removeTempDirs,
  runCli,
  runEvents,
  tempDir,
  type CliResult,
  type EventJson,
  type RunJson,
} from "./helpers.js";

const PIPELINE = fixture("pipeline.ts");
const FAILING = fixture("failing.ts");
const PIPELINE_KEYS = ["raw/orders", "raw/customers", "clean/orders", "report/x", "report/y", "audit/heartbeat"];
const RUN_FIELDS = ["runId", "status", "jobName", "selection", "partition", "tags", "parentRunId", "createdAt", "startedAt", "endedAt"];

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const home = tempDir();
/** Oldest first: a full pipeline run, a failed run, a downstream-only run. */
let first: CliResult;
let runIds: { full: string; failed: string; downstream: string };

beforeAll(async () => {
  // CI unset and pipes for stdio: progress must detect the non-terminal on its own.
  first = await runCli(["materialize", "-f", PIPELINE], { home, env: { CI: undefined, FORCE_COLOR: undefined } });
  expect(first.code, describeResult(first)).toBe(0);
  const failed = await runCli(["materialize", "-f", FAILING], { home });
  expect(failed.code, describeResult(failed)).toBe(1);
  runIds = {
    full: lastLine(first.stdout),
    failed: lastLine(failed.stdout),
    downstream: await materializeOk(["-f", PIPELINE, "--select", "key:report/y"], { home }),
  };
});

describe("sluice run list", () => {
  it("--json prints one JSON array of runs, newest first, with the fields of run show", async () => {
    const result = await runCli(["run", "list", "--json"], { home });
    expect(result.code, describeResult(result)).toBe(0);
    // The whole of stdout is one document.
    const runs = JSON.parse(result.stdout) as RunJson[];
    expect(runs.map((r) => r.runId)).toEqual([runIds.downstream, runIds.failed, runIds.full]);
    expect(runs.map((r) => r.status)).toEqual(["SUCCESS", "FAILURE", "SUCCESS"]);
    for (const run of runs) {
      for (const field of RUN_FIELDS) expect(run, field).toHaveProperty(field);
      expect(run.jobName).toBe("__asset_job");
      expect(run.createdAt).toMatch(ISO_TIME);
      expect(run.endedAt).toMatch(ISO_TIME);
      expect(run.partition).toBeNull();
      expect(run.parentRunId).toBeNull();
    }
    expect(runs[0]!.selection).toEqual(["report/y"]);
    expect(Date.parse(runs[0]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(runs[1]!.createdAt));
  });

  it("filters with --status, --job and --limit", async () => {
    expect((await listRuns(home, ["--status", "FAILURE"])).map((r) => r.runId)).toEqual([runIds.failed]);
    expect((await listRuns(home, ["--status", "SUCCESS"])).map((r) => r.runId)).toEqual([runIds.downstream, runIds.full]);
    expect((await listRuns(home, ["--job", "__asset_job"])).map((r) => r.runId)).toEqual([runIds.downstream, runIds.failed, runIds.full]);
    expect(await listRuns(home, ["--job", "nightly_job"])).toEqual([]);
    expect((await listRuns(home, ["--limit", "1"])).map((r) => r.runId)).toEqual([runIds.downstream]);
  });

  it("without --json prints a table with the newest run first", async () => {
    const result = await runCli(["run", "list"], { home });
    expect(result.code, describeResult(result)).toBe(0);
    const order = [runIds.downstream, runIds.failed, runIds.full].map((id) => result.stdout.indexOf(id));
    expect(order.every((i) => i >= 0), result.stdout).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("rejects an unknown --status with exit 2", async () => {
    const result = await runCli(["run", "list", "--status", "DONE"], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain("DONE");
  });
});

describe("sluice run show / run logs", () => {
  it("run logs --json prints the events in order, each with timestamp, type, stepKey, level and message", async () => {
    const result = await runCli(["run", "logs", runIds.full, "--json"], { home });
    expect(result.code, describeResult(result)).toBe(0);
    const events = JSON.parse(result.stdout) as EventJson[];
    for (const event of events) {
      expect(event.timestamp).toMatch(ISO_TIME);
      expect(typeof event.type).toBe("string");
      expect(event).toHaveProperty("stepKey");
      expect(["DEBUG", "INFO", "WARN", "ERROR"]).toContain(event.level);
      expect(typeof event.message).toBe("string");
    }
    const times = events.map((e) => Date.parse(e.timestamp));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(events[0]!.type).toBe("RUN_START");
    expect(events.at(-1)!.type).toBe("RUN_SUCCESS");

    const at = (type: string, key: string): number => events.findIndex((e) => e.type === type && e.stepKey === key);
    for (const key of PIPELINE_KEYS) {
      expect(at("STEP_START", key), key).toBeGreaterThan(0);
      expect(at("ASSET_MATERIALIZATION", key), key).toBeGreaterThan(at("STEP_START", key));
      expect(at("STEP_SUCCESS", key), key).toBeGreaterThan(at("ASSET_MATERIALIZATION", key));
    }
    // A step starts only after its inputs succeeded.
    expect(at("STEP_START", "clean/orders")).toBeGreaterThan(at("STEP_SUCCESS", "raw/orders"));
    expect(at("STEP_START", "report/x")).toBeGreaterThan(at("STEP_SUCCESS", "raw/customers"));
    const log = events.find((e) => e.type === "LOG" && e.stepKey === "raw/orders");
    expect(log).toMatchObject({ level: "INFO", message: "making 3 orders labelled default-label" });
  });

  it("run logs without --json prints the failure with its stack and cause", async () => {
    const result = await runCli(["run", "logs", runIds.failed], { home });
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stdout).toContain("STEP_FAILURE");
    expect(result.stdout).toContain("BoomError: the boom asset exploded on 3 values");
    expect(result.stdout).toMatch(/\n\s+at .*failing\.ts/);
    expect(result.stdout).toContain("Caused by: RangeError: disk quota exceeded");
  });

  it.each([["show"], ["logs"]])("run %s of an unknown run id exits 2 naming the id", async (command) => {
    const result = await runCli(["run", command, "no-such-run", "--json"], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain("no-such-run");
    expect(result.stdout).toBe("");
  });
});

describe("sluice asset list", () => {
  interface AssetJson {
    key: string;
    group: string;
    deps: string[];
    tags: Record<string, string>;
    owners: string[];
    kinds: string[];
    description: string | null;
  }

  it("--json prints [{key, group, deps, tags, owners, kinds, description, kind}] in a topological order", async () => {
    const assets = await cliJson<AssetJson[]>(["asset", "list", "-f", PIPELINE, "--json"]);
    expect(assets.map((a) => a.key).sort()).toEqual([...PIPELINE_KEYS].sort());
    for (const [index, asset] of assets.entries()) {
      expect(Object.keys(asset).sort()).toEqual(["deps", "description", "group", "key", "kind", "kinds", "owners", "tags"]);
      for (const dep of asset.deps) {
        expect(assets.findIndex((a) => a.key === dep), `${dep} before ${asset.key}`).toBeLessThan(index);
      }
    }
    const byKey = new Map(assets.map((a) => [a.key, a]));
    expect(byKey.get("raw/orders")).toEqual({
      key: "raw/orders",
      group: "ingest",
      deps: [],
      tags: { tier: "bronze" },
      owners: ["team:data"],
      kinds: ["csv"],
      description: "Fake orders; how many comes from config.",
      kind: "materializable",
    });
    expect([...byKey.get("report/x")!.deps].sort()).toEqual(["clean/orders", "raw/customers"]);
    expect(byKey.get("audit/heartbeat")).toMatchObject({ group: "audit", deps: [], description: null });
  });

  it("prints the keys one per line, in the same order, and honours --select", async () => {
    const json = await cliJson<AssetJson[]>(["asset", "list", "-f", PIPELINE, "--json"]);
    const plain = await runCli(["asset", "list", "-f", PIPELINE]);
    expect(plain.code, describeResult(plain)).toBe(0);
    expect(plain.stdout).toBe(`${json.map((a) => a.key).join("\n")}\n`);
    const selected = await runCli(["asset", "list", "-f", PIPELINE, "--select", "+key:report/y"]);
    expect(selected.stdout.trimEnd().split("\n")).toEqual(["raw/orders", "clean/orders", "report/y"]);
  });
});

describe("materialize progress when stderr is not a terminal", () => {
  it("prints one plain line per event, with no cursor movement", () => {
    // Cursor up/down/column, erase line/screen, hide/show cursor: what a live display uses.
    expect(first.stderrRaw).not.toMatch(/\u001b\[\d*[ABCDEFGJKST]|\u001b\[\d*;\d*[Hf]|\u001b\[\?25[lh]/);
    const lines = first.stderr.split("\n");
    for (const type of ["STEP_START", "ASSET_MATERIALIZATION", "STEP_SUCCESS"]) {
      const matching = lines.filter((l) => new RegExp(`\\b${type}\\b`).test(l));
      expect(matching, type).toHaveLength(PIPELINE_KEYS.length);
      for (const key of PIPELINE_KEYS) expect(matching.filter((l) => l.includes(` ${key}`)), `${type} ${key}`).toHaveLength(1);
    }
    expect(lines.filter((l) => /\bRUN_START\b/.test(l))).toHaveLength(1);
    expect(lines.some((l) => l.includes("making 3 orders labelled default-label"))).toBe(true);
  });
});

describe("sluice asset wipe", () => {
  // Runs last: it forgets materializations the other tests rely on.
  it("forgets materializations: a downstream-only run then fails with never materialized", async () => {
    const wipe = await runCli(["asset", "wipe", "clean/orders"], { home });
    expect(wipe.code, describeResult(wipe)).toBe(0);
    const result = await runCli(["materialize", "-f", PIPELINE, "--select", "key:report/y"], { home });
    expect(result.code, describeResult(result)).toBe(1);
    expect(result.stderr).toMatch(/clean\/orders.*never been materialized/);
    const events = await runEvents(home, lastLine(result.stdout));
    const failure = events.find((e) => e.type === "STEP_FAILURE");
    expect(failure?.stepKey).toBe("report/y");
    expect(failure?.error?.message).toMatch(/never been materialized/);
  });
});
