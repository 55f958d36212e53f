/**
 * `sluice materialize` end to end: exit codes, the run id on stdout, what `run show` / `run logs`
 * then report, selections, failures, retries, config and env vars, secrets.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  describeResult,
  filesContaining,
  fixture,
  ISO_TIME,
  lastLine,
  listRuns,
  materializeOk,
  removeTempDirs,
  RUN_ID,
  runCli,
  runEvents,
  showRun,
  startCli,
  tempDir,
  type CliResult,
  type EventJson,
} from "./helpers.js";

const PIPELINE = fixture("pipeline.ts");
const FAILING = fixture("failing.ts");
const RETRY = fixture("retry.ts");
const SECRETS = fixture("secrets.ts");
const CANCEL = fixture("cancel.ts");

const PIPELINE_KEYS = ["raw/orders", "raw/customers", "clean/orders", "report/x", "report/y", "audit/heartbeat"];

beforeAll(assertBuilt);
afterAll(removeTempDirs);

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

function opsConfig(key: string, config: Record<string, unknown>): string {
  return JSON.stringify({ ops: { [key]: { config } } });
}

function eventsOf(events: EventJson[], type: string, stepKey?: string): EventJson[] {
  return events.filter((e) => e.type === type && (stepKey === undefined || e.stepKey === stepKey));
}

describe("sluice materialize: success", () => {
  it("exits 0, prints the run id last, and run show reports SUCCESS with every step succeeding on attempt 1", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE], { home });
    expect(result.code, describeResult(result)).toBe(0);
    const runId = lastLine(result.stdout);
    expect(runId).toMatch(RUN_ID);

    const run = await showRun(home, runId);
    expect(run.runId).toBe(runId);
    expect(run.status).toBe("SUCCESS");
    expect(run.jobName).toBe("__asset_job");
    expect(sorted(run.selection)).toEqual(sorted(PIPELINE_KEYS));
    for (const time of [run.createdAt, run.startedAt, run.endedAt]) expect(time).toMatch(ISO_TIME);
    expect(Date.parse(run.endedAt!)).toBeGreaterThanOrEqual(Date.parse(run.startedAt!));

    const steps = run.steps!;
    expect(sorted(steps.map((s) => s.key))).toEqual(sorted(PIPELINE_KEYS));
    for (const step of steps) {
      expect(step, step.key).toMatchObject({ status: "SUCCESS", attempts: 1 });
      expect(step.startedAt, step.key).toMatch(ISO_TIME);
      expect(step.endedAt, step.key).toMatch(ISO_TIME);
      expect(Date.parse(step.endedAt!)).toBeGreaterThanOrEqual(Date.parse(step.startedAt!));
      expect(Date.parse(step.startedAt!)).toBeGreaterThanOrEqual(Date.parse(run.startedAt!));
      expect(Date.parse(step.endedAt!)).toBeLessThanOrEqual(Date.parse(run.endedAt!));
    }
  });
});

describe("sluice materialize --select", () => {
  const home = tempDir();
  // Upstream values must exist for selections that start mid-graph.
  beforeAll(() => materializeOk(["-f", PIPELINE], { home }));

  it.each([
    ["group:ingest+", ["raw/orders", "raw/customers", "clean/orders", "report/x", "report/y"]],
    ["key:raw/*", ["raw/orders", "raw/customers"]],
    ["+key:report/x", ["raw/orders", "raw/customers", "clean/orders", "report/x"]],
    ["group:transform+ and not key:report/y", ["clean/orders", "report/x"]],
    ["report/x or audit/heartbeat", ["report/x", "audit/heartbeat"]],
  ])("%s runs exactly the selected steps", async (selection, expected) => {
    const runId = await materializeOk(["-f", PIPELINE, "--select", selection], { home });
    const run = await showRun(home, runId);
    expect(run.status).toBe("SUCCESS");
    expect(sorted(run.selection)).toEqual(sorted(expected));
    expect(sorted(run.steps!.map((s) => s.key))).toEqual(sorted(expected));
    const started = eventsOf(await runEvents(home, runId), "STEP_START").map((e) => e.stepKey!);
    expect(sorted(started)).toEqual(sorted(expected));
  });
});

describe("sluice materialize: a step that throws", () => {
  const home = tempDir();
  let result: CliResult;
  let runId: string;
  let events: EventJson[];

  beforeAll(async () => {
    result = await runCli(["materialize", "-f", FAILING], { home });
    runId = lastLine(result.stdout);
    events = await runEvents(home, runId);
  });

  it("exits 1 and still prints the run id", () => {
    expect(result.code, describeResult(result)).toBe(1);
    expect(runId).toMatch(RUN_ID);
  });

  it("records a STEP_FAILURE with the error class, message, stack and cause", () => {
    const [failure, ...more] = eventsOf(events, "STEP_FAILURE");
    expect(more).toEqual([]);
    expect(failure?.stepKey).toBe("boom");
    expect(failure?.level).toBe("ERROR");
    expect(failure?.error?.className).toBe("BoomError");
    expect(failure?.error?.message).toBe("the boom asset exploded on 3 values");
    expect(failure?.error?.stack).toContain("the boom asset exploded");
    expect(failure?.error?.stack).toMatch(/\n\s+at /);
    expect(failure?.error?.stack).toContain("failing.ts");
    expect(failure?.error?.cause).toMatchObject({ className: "RangeError", message: "disk quota exceeded" });
  });

  it("skips the failed step's downstream steps and runs the independent branch", async () => {
    expect(sorted(eventsOf(events, "STEP_SKIPPED").map((e) => e.stepKey!))).toEqual(["boom/child", "boom/grandchild"]);
    expect(eventsOf(events, "STEP_START", "boom/child")).toEqual([]);
    const run = await showRun(home, runId);
    expect(run.status).toBe("FAILURE");
    const status = Object.fromEntries(run.steps!.map((s) => [s.key, s.status]));
    expect(status).toMatchObject({
      source: "SUCCESS",
      boom: "FAILURE",
      side: "SUCCESS",
      "side/child": "SUCCESS",
    });
    expect(eventsOf(events, "ASSET_MATERIALIZATION", "side/child")).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("RUN_FAILURE");
  });

  it("names the failed step and its error on stderr", () => {
    const line = result.stderr.split("\n").find((l) => l.includes("the boom asset exploded") && /\bboom\b/.test(l));
    expect(line, result.stderr).toBeDefined();
    expect(result.stderr).toContain("BoomError");
  });
});

describe("sluice materialize: retries", () => {
  it("retries a step that fails once: exit 0, 2 attempts, a STEP_UP_FOR_RETRY event", async () => {
    const home = tempDir();
    const counterFile = path.join(tempDir(), "calls.txt");
    const runId = await materializeOk(["-f", RETRY, "--select", "key:flaky+", "-c", opsConfig("flaky", { counterFile })], { home });
    const run = await showRun(home, runId);
    expect(run.status).toBe("SUCCESS");
    const flaky = run.steps!.find((s) => s.key === "flaky");
    expect(flaky).toMatchObject({ status: "SUCCESS", attempts: 2 });
    expect(run.steps!.find((s) => s.key === "flaky/downstream")).toMatchObject({ status: "SUCCESS", attempts: 1 });

    const events = await runEvents(home, runId);
    const retries = eventsOf(events, "STEP_UP_FOR_RETRY", "flaky");
    expect(retries).toHaveLength(1);
    expect(retries[0]?.error?.message).toContain("transient failure on attempt 1");
    expect(eventsOf(events, "STEP_START", "flaky")).toHaveLength(2);
    expect(eventsOf(events, "STEP_FAILURE")).toEqual([]);
  });

  it("gives up after maxRetries: exit 1, 1 + maxRetries attempts, then one STEP_FAILURE", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", RETRY, "--select", "key:always_fails"], { home });
    expect(result.code, describeResult(result)).toBe(1);
    const runId = lastLine(result.stdout);
    const run = await showRun(home, runId);
    expect(run.status).toBe("FAILURE");
    expect(run.steps).toEqual([expect.objectContaining({ key: "always_fails", status: "FAILURE", attempts: 3 })]);
    const events = await runEvents(home, runId);
    expect(eventsOf(events, "STEP_UP_FOR_RETRY")).toHaveLength(2);
    const failures = eventsOf(events, "STEP_FAILURE");
    expect(failures).toHaveLength(1);
    expect(failures[0]?.error?.message).toBe("still broken on attempt 3");
  });
});

describe("sluice materialize: config", () => {
  it("exits 2 naming the config path when config fails its schema, and creates no run", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "-c", opsConfig("raw/orders", { count: "three" })], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain("ops.raw/orders.config.count");
    expect(await listRuns(home)).toEqual([]);
  });

  it("exits 2 naming the path of a key the asset's config does not have (not the default silently), and creates no run", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "-c", opsConfig("raw/orders", { count: 2, lable: "typo" })], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain('ops.raw/orders.config.lable: unknown key "lable" (did you mean "label"?); known keys here: count, label');
    expect(await listRuns(home)).toEqual([]);
  });

  it("exits 2 when -c names an asset that does not exist, and creates no run", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "-c", opsConfig("raw/ordrs", { count: 2 })], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain("raw/ordrs");
    expect(await listRuns(home)).toEqual([]);
  });

  it("exits 2 when -c is neither valid JSON nor a file", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "-c", '{"ops": {"raw/orders": '], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toMatch(/-c .*JSON/);
    expect(await listRuns(home)).toEqual([]);
  });

  it("exits 2 naming a -c file that does not exist", async () => {
    const missing = path.join(tempDir(), "prod.yaml");
    const result = await runCli(["materialize", "-f", PIPELINE, "-c", missing], { home: tempDir() });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain(missing);
  });

  it.each([
    ["empty", "", "is empty"],
    ["a directory", ".", "is a directory"],
    ["a device that never ends", "/dev/zero", "is not a regular file"],
  ])("exits 2 at once, without a stack trace, when -c is %s", async (_what, arg, message) => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "-c", arg], { home, timeoutMs: 30_000 });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain(`-c ${arg === "" ? '""' : arg}`);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(await listRuns(home)).toEqual([]);
  });

  it("exits 2 when --tags is not a JSON object of strings", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "--tags", '{"team": 1}'], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain("--tags");
    expect(await listRuns(home)).toEqual([]);
  });

  describe("several -c flags and --tags", () => {
    const home = tempDir();
    let runId: string;
    let events: EventJson[];

    beforeAll(async () => {
      const yamlFile = path.join(tempDir(), "override.yaml");
      writeFileSync(yamlFile, "ops:\n  raw/orders:\n    config:\n      label: from-yaml\n");
      runId = await materializeOk(
        [
          "-f", PIPELINE,
          "--select", "key:raw/orders",
          "-c", opsConfig("raw/orders", { count: 5, label: "from-json" }),
          "-c", yamlFile,
          "--tags", '{"team":"data"}',
        ],
        { home },
      );
      events = await runEvents(home, runId);
    });

    it("merges them in order: the YAML file overrides one field, the JSON string keeps the other", () => {
      const [materialization] = eventsOf(events, "ASSET_MATERIALIZATION", "raw/orders");
      expect(materialization?.metadata?.label).toEqual({ type: "text", value: "from-yaml" });
      expect(materialization?.metadata?.["sluice/row_count"]).toEqual({ type: "int", value: 5 });
    });

    it("records --tags on the run", async () => {
      const run = await showRun(home, runId);
      expect(run.tags).toEqual({ team: "data" });
    });
  });
});

describe("sluice materialize: environment variables", () => {
  it.each([
    ["EnvVar() in resource config", SECRETS, [], "SLUICE_TEST_API_TOKEN"],
    [
      '{"env": ...} in resource run config',
      SECRETS,
      ["-c", JSON.stringify({ resources: { api: { config: { region: { env: "SLUICE_TEST_MISSING_REGION" } } } } })],
      "SLUICE_TEST_MISSING_REGION",
    ],
    [
      '{"env": ...} in asset run config',
      PIPELINE,
      ["-c", opsConfig("raw/orders", { label: { env: "SLUICE_TEST_MISSING_LABEL" } })],
      "SLUICE_TEST_MISSING_LABEL",
    ],
  ])("exits 2 naming a missing variable used via %s, and creates no run", async (_how, file, extra, variable) => {
    const home = tempDir();
    const env = { SLUICE_TEST_API_TOKEN: variable === "SLUICE_TEST_API_TOKEN" ? undefined : "tok-123456", [variable]: undefined };
    const result = await runCli(["materialize", "-f", file, ...extra], { home, env });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain(variable);
    expect(await listRuns(home)).toEqual([]);
  });

  it("reads {\"env\": VAR} in asset run config when the variable is set: a secret unless told otherwise", async () => {
    const home = tempDir();
    const env = { SLUICE_TEST_LABEL: "label-from-env" };
    const readable = await materializeOk(
      ["-f", PIPELINE, "--select", "key:raw/orders", "-c", opsConfig("raw/orders", { label: { env: "SLUICE_TEST_LABEL", secret: false } })],
      { home, env },
    );
    const [shown] = eventsOf(await runEvents(home, readable), "ASSET_MATERIALIZATION", "raw/orders");
    expect(shown?.metadata?.label).toEqual({ type: "text", value: "label-from-env" });
    // By default the value is a secret: the asset gets it, what is stored shows the mask.
    const secret = await materializeOk(
      ["-f", PIPELINE, "--select", "key:raw/orders", "-c", opsConfig("raw/orders", { label: { env: "SLUICE_TEST_LABEL" } })],
      { home, env },
    );
    const [masked] = eventsOf(await runEvents(home, secret), "ASSET_MATERIALIZATION", "raw/orders");
    expect(masked?.metadata?.label).toEqual({ type: "text", value: "********" });
  });

  describe("a secret that user code logs", () => {
    const SECRET = "s3cr3t-value-123";
    const OTHER_SECRET = "an0ther-s3cret-456";
    const home = tempDir();
    /** The four runs: logged via EnvVar(), logged via {"env"}, thrown by an asset, thrown by a resource. */
    const results: CliResult[] = [];
    const runIds: string[] = [];

    beforeAll(async () => {
      // Once through EnvVar() in Definitions, once through {"env": ...} in run config.
      const env = { SLUICE_TEST_API_TOKEN: SECRET, SLUICE_TEST_OTHER_TOKEN: OTHER_SECRET };
      const viaEnvVar = await runCli(["materialize", "-f", SECRETS, "--select", "key:uses/secret"], { home, env });
      const viaRunConfig = await runCli(
        [
          "materialize", "-f", SECRETS, "--select", "key:uses/secret",
          "-c", JSON.stringify({ resources: { api: { config: { token: { env: "SLUICE_TEST_OTHER_TOKEN" } } } } }),
        ],
        { home, env },
      );
      const inError = await runCli(["materialize", "-f", SECRETS, "--select", 'key:"leaks/in-error"'], { home, env });
      const resourceFails = await runCli(["materialize", "-f", SECRETS, "--select", "key:uses/db"], { home, env });
      for (const [result, code] of [[viaEnvVar, 0], [viaRunConfig, 0], [inError, 1], [resourceFails, 1]] as const) {
        expect(result.code, describeResult(result)).toBe(code);
        runIds.push(lastLine(result.stdout));
        results.push(result);
      }
    });

    it("is logged, but masked, in run logs --json", async () => {
      for (const runId of runIds.slice(0, 2)) {
        const events = await runEvents(home, runId);
        const logLine = eventsOf(events, "LOG", "uses/secret").find((e) => e.message.startsWith("calling the API with token"));
        expect(logLine, JSON.stringify(events, null, 1)).toBeDefined();
        const text = JSON.stringify(events);
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(OTHER_SECRET);
      }
    });

    it("is masked in the error message and stack of a failed step", async () => {
      const events = await runEvents(home, runIds[2]!);
      const [failure] = eventsOf(events, "STEP_FAILURE", "leaks/in-error");
      expect(failure?.error?.message).toMatch(/^401 Unauthorized for token /);
      expect(failure?.error?.stack).toMatch(/401 Unauthorized for token /);
      expect(JSON.stringify(events)).not.toContain(SECRET);
    });

    it("is masked when a resource fails to set up: exit 1, the run fails naming the resource", async () => {
      const events = await runEvents(home, runIds[3]!);
      const failure = events.at(-1);
      expect(failure?.type).toBe("RUN_FAILURE");
      expect(failure?.message).toContain('"db"');
      expect(failure?.message).toContain("login failed for password ");
      expect(JSON.stringify(events)).not.toContain(SECRET);
      expect(results[3]!.stderr).toContain('Resource "db" failed to set up');
      expect((await showRun(home, runIds[3]!)).status).toBe("FAILURE");
    });

    it("appears neither in run show --json, run list --json, nor the command's own output", async () => {
      const shown = JSON.stringify(await Promise.all(runIds.map((id) => showRun(home, id))));
      const listed = JSON.stringify(await listRuns(home));
      for (const text of [shown, listed, ...results.flatMap((r) => [r.stdout, r.stderrRaw])]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(OTHER_SECRET);
      }
    });

    it("is in no file under SLUICE_HOME (database and stored values)", () => {
      expect(filesContaining(home, SECRET)).toEqual([]);
      expect(filesContaining(home, OTHER_SECRET)).toEqual([]);
      // The check reads real files: the database and the stored value of uses/secret.
      expect(filesContaining(home, "calling the API with token").length).toBeGreaterThan(0);
      expect(filesContaining(home, "401 Unauthorized for token").length).toBeGreaterThan(0);
      expect(filesContaining(home, '{"called":true}').length).toBeGreaterThan(0);
    });
  });
});

describe("sluice materialize: inputs from earlier runs", () => {
  it("a downstream-only selection loads its input from the value stored by an earlier run", async () => {
    const home = tempDir();
    await materializeOk(["-f", PIPELINE, "-c", opsConfig("raw/orders", { count: 5 })], { home });
    const runId = await materializeOk(["-f", PIPELINE, "--select", "key:report/y"], { home });
    const run = await showRun(home, runId);
    expect(run.steps!.map((s) => s.key)).toEqual(["report/y"]);
    const [materialization] = eventsOf(await runEvents(home, runId), "ASSET_MATERIALIZATION", "report/y");
    // 5 orders of 10, 20, 30, 40, 50 (the first run's config); recomputing with defaults would give 3.
    expect(materialization?.metadata?.orders_seen).toEqual({ type: "int", value: 5 });
    expect(materialization?.metadata?.total).toEqual({ type: "int", value: 150 });
  });

  it("exits 1 naming both assets when the upstream asset was never materialized", async () => {
    const home = tempDir();
    const result = await runCli(["materialize", "-f", PIPELINE, "--select", "key:report/y"], { home });
    expect(result.code, describeResult(result)).toBe(1);
    const runId = lastLine(result.stdout);
    const [failure] = eventsOf(await runEvents(home, runId), "STEP_FAILURE", "report/y");
    const message = failure?.error?.message ?? "";
    expect(message).toContain("report/y");
    expect(message).toContain("clean/orders");
    expect(message).toMatch(/never been materialized/);
    expect(result.stderr).toMatch(/clean\/orders.*never been materialized/);
    expect((await showRun(home, runId)).status).toBe("FAILURE");
  });
});

describe("sluice materialize: cancel", () => {
  it("Ctrl-C cancels the run: exit 1, status CANCELED, downstream steps never start", async () => {
    const home = tempDir();
    const running = startCli(["materialize", "-f", CANCEL], { home });
    await running.waitForStderr("waiting step is waiting");
    running.child.kill("SIGINT");
    const result = await running.done;
    expect(result.code, describeResult(result)).toBe(1);
    const runId = lastLine(result.stdout);
    const run = await showRun(home, runId);
    expect(run.status).toBe("CANCELED");
    const events = await runEvents(home, runId);
    expect(eventsOf(events, "STEP_START", "waiting/after")).toEqual([]);
    expect(eventsOf(events, "ASSET_MATERIALIZATION")).toEqual([]);
    expect(events.at(-1)?.type).toBe("RUN_CANCELED");
  });
});

describe("sluice materialize: where the instance lives", () => {
  it("--home wins over SLUICE_HOME", async () => {
    const fromEnv = tempDir();
    const fromFlag = tempDir();
    const runId = await materializeOk(["-f", PIPELINE, "--select", "key:raw/customers", "--home", fromFlag], { home: fromEnv });
    expect((await listRuns(fromFlag)).map((r) => r.runId)).toEqual([runId]);
    expect(await listRuns(fromEnv)).toEqual([]);
  });

  it("without --home or SLUICE_HOME, uses ./.sluice in the working directory", async () => {
    const project = tempDir("sluice-project-");
    const result = await runCli(["materialize", "-f", PIPELINE, "--select", "key:raw/customers"], { cwd: project });
    expect(result.code, describeResult(result)).toBe(0);
    expect(existsSync(path.join(project, ".sluice"))).toBe(true);
    const listed = await runCli(["run", "list", "--json"], { cwd: project });
    expect((JSON.parse(listed.stdout) as { runId: string }[]).map((r) => r.runId)).toEqual([lastLine(result.stdout)]);
  });
});
