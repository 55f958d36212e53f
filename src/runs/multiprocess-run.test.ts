import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { SECRET_MASK } from "../definitions/secret-mask.js";
import { setStepProcessLauncher } from "../execution/step-process-launcher.js";
import { fixtureStepProcesses } from "../execution/testing/fixture-step-processes.js";
import { openPostgresStorage } from "../storage/postgres/postgres-storage.js";
import { EventType, RunStatus, type EventRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../storage/testing/postgres-test-schemas.js";
import { executeJob } from "./execute-job.js";
import { materializeAssets } from "./materialize-assets.js";
import defs from "./testing/multiprocess-defs.js";
import { storedValue } from "./testing/stored-value.js";
import { tempTarget } from "./testing/temp-target.js";

const defsFile = fileURLToPath(new URL("./testing/multiprocess-defs.ts", import.meta.url));

interface Target {
  storage: Storage;
  valuesDir: string;
  dir: string;
  dispose(): Promise<void>;
}

const schemas: string[] = [];
afterAll(async () => {
  await dropTestSchemas(schemas);
});

const backends: [string, () => Promise<Target>][] = [
  ["SQLite", tempTarget],
  [
    "Postgres",
    async () => {
      const schema = newTestSchemaName("multiprocess");
      schemas.push(schema);
      const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-mp-"));
      const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
      return {
        storage,
        dir,
        valuesDir: path.join(dir, "storage"),
        async dispose() {
          await storage.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(backends)("the multiprocess executor on %s", (_name, open) => {
  let target: Target;
  let launcher: ReturnType<typeof fixtureStepProcesses>;
  beforeEach(async () => {
    target = await open();
    launcher = fixtureStepProcesses(defsFile, { SLUICE_TEST_IO_DIR: path.join(target.dir, "json-files") });
    setStepProcessLauncher(defs, launcher);
  });
  afterEach(async () => {
    await target.dispose();
  });

  const events = async (runId: string, type?: EventType): Promise<EventRecord[]> => target.storage.getEvents(runId, type ? { types: [type] } : {});

  it("passes small and large values between steps that run in step processes", async () => {
    const result = await materializeAssets(target, defs, { selection: ["small", "large", "total"] });
    expect(result.failures).toEqual([]);
    expect(result.status).toBe(RunStatus.Success);
    // 2 * (0 + 1 + ... + 29999)
    expect(await storedValue(target, "total")).toBe(29_999 * 30_000);
    expect((await storedValue(target, "large")) as number[]).toHaveLength(30_000);
    const materialized = await events(result.runId, EventType.AssetMaterialization);
    const totalEvent = materialized.find((e) => e.assetKey === "total")!;
    const metadata = totalEvent.data.metadata as Record<string, { value: unknown }>;
    expect(metadata.count?.value).toBe(30_000);
    // The step ran in another process than this one, and than its upstream's (the test reads the pid it recorded).
    const upstreamPid = metadata.upstreamPid?.value as number;
    expect(upstreamPid).not.toBe(process.pid);
    const logs = (await events(result.runId, EventType.Log)).filter((e) => e.stepKey === "total");
    expect(logs.map((e) => e.message)).toEqual([expect.stringMatching(/^adding 30000 numbers in process \d+$/)]);
    expect(logs[0]!.message).not.toContain(`process ${process.pid}`);
    const order = (await events(result.runId)).map((e) => `${e.type}:${e.stepKey ?? ""}`);
    expect(order[0]).toBe("RUN_START:");
    expect(order.at(-1)).toBe("RUN_SUCCESS:");
    expect(order.indexOf("STEP_SUCCESS:large")).toBeLessThan(order.indexOf("STEP_START:total"));
    expect(order.indexOf("ASSET_MATERIALIZATION:total")).toBeLessThan(order.indexOf("STEP_SUCCESS:total"));
  });

  it("passes an op's output to the next op, and a partition's value to the same partition downstream", async () => {
    const jobRun = await executeJob(target, defs, "two_ops");
    expect(jobRun.failures).toEqual([]);
    expect(jobRun.succeeded).toEqual(["first", "second"]);
    const outputs = await events(jobRun.runId, EventType.StepOutput);
    expect(outputs.map((e) => e.stepKey)).toEqual(["first", "second"]);
    const second = await target.storage.getStoredValue("op", `${jobRun.runId}/second`, null);
    expect(JSON.parse(Buffer.from(second!.json!).toString("utf8"))).toBe(21);
    const partitioned = await materializeAssets(target, defs, { selection: ["regional", "regional_report"], partitionKey: "us" });
    expect(partitioned.failures).toEqual([]);
    expect(await storedValue(target, "regional_report", "us")).toBe("DATA OF US");
  });

  it("loads values with the project's own IO manager, set up in each step's process", async () => {
    const result = await materializeAssets(target, defs, { selection: ["custom_up", "custom_down"] });
    expect(result.status).toBe(RunStatus.Success);
    const up = (await events(result.runId, EventType.AssetMaterialization)).find((e) => e.assetKey === "custom_up")!;
    const writtenBy = (up.data.metadata as Record<string, { value: unknown }>).writtenBy?.value;
    expect(writtenBy).not.toBe(process.pid);
    const down = (await events(result.runId, EventType.AssetMaterialization)).find((e) => e.assetKey === "custom_down");
    expect(down).toBeDefined();
  });

  it("masks a secret that a step's process logs", async () => {
    process.env.SLUICE_TEST_MP_TOKEN = "mp-secret-4711";
    const result = await materializeAssets(target, defs, { selection: ["secretive"] });
    expect(result.status).toBe(RunStatus.Success);
    const logs = (await events(result.runId, EventType.Log)).filter((e) => e.stepKey === "secretive");
    expect(logs.map((e) => e.message)).toEqual([`token is ${SECRET_MASK}`]);
    // What the step prints to stdout goes out of its process masked too.
    await expect.poll(() => launcher.printed(), { timeout: 30_000 }).toContain(`printed token ${SECRET_MASK}`);
    expect(launcher.printed()).not.toContain("mp-secret-4711");
  });

  it("sets up a step's resources in its process, and tears them down after the step", async () => {
    const result = await materializeAssets(target, defs, { selection: ["uses_tracked"] });
    expect(result.status).toBe(RunStatus.Success);
    const all = await events(result.runId);
    const lines = all.filter((e) => e.stepKey === "resource:tracked").map((e) => e.message);
    const pid = await storedValue(target, "uses_tracked");
    expect(pid).not.toBe(process.pid);
    expect(lines).toEqual([`setup in ${pid}`, `teardown in ${pid}`]);
    const order = all.map((e) => (e.stepKey === "resource:tracked" ? e.message.split(" ")[0] : `${e.type}:${e.stepKey ?? ""}`));
    expect(order.indexOf("setup")).toBeLessThan(order.indexOf("STEP_START:uses_tracked"));
    expect(order.indexOf("teardown")).toBeGreaterThan(order.indexOf("STEP_SUCCESS:uses_tracked"));
  });

  it("retries a failed step as its retry policy says, and records both attempts", async () => {
    const result = await materializeAssets(target, defs, { selection: ["flaky"] });
    expect(result.status).toBe(RunStatus.Success);
    const steps = await target.storage.getStepStats(result.runId);
    expect(steps.map((s) => [s.key, s.status, s.attempts])).toEqual([["flaky", "SUCCESS", 2]]);
    const retry = await events(result.runId, EventType.StepUpForRetry);
    expect(retry.map((e) => e.message)).toEqual([expect.stringContaining("first attempt fails")]);
    expect(await storedValue(target, "flaky")).toBe(2);
  });

  it("fails only the step whose process exits, naming the exit code; its downstream is skipped", async () => {
    const result = await materializeAssets(target, defs, { selection: ["crash", "after_crash", "bystander"] });
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.failures.map((f) => f.stepKey)).toEqual(["crash"]);
    expect(result.failures[0]!.error.message).toContain('The process of step "crash" exited with code 3');
    expect(result.skipped).toEqual(["after_crash"]);
    expect(result.succeeded).toEqual(["bystander"]);
    const failure = (await events(result.runId, EventType.StepFailure))[0]!;
    expect(failure.stepKey).toBe("crash");
    expect(failure.assetKey).toBe("crash");
    expect(failure.message).toContain("exited with code 3");
  });

  it("fails a step whose function throws from a timer, as in process, without ending its process", async () => {
    const result = await materializeAssets(target, defs, { selection: ["stray_throw", "bystander"] });
    expect(result.status).toBe(RunStatus.Failure);
    expect(result.failures.map((f) => [f.stepKey, f.error.message])).toEqual([["stray_throw", "thrown from a timer"]]);
    expect(result.succeeded).toEqual(["bystander"]);
  });

  it("runs two CPU-bound steps at the same time", async () => {
    const result = await materializeAssets(target, defs, { selection: ["cpu_a", "cpu_b"] });
    expect(result.status).toBe(RunStatus.Success);
    const spans = new Map(
      (await events(result.runId, EventType.AssetMaterialization)).map((e) => {
        const m = e.data.metadata as Record<string, { value: number }>;
        return [e.assetKey, { start: m.startedAt!.value, end: m.endedAt!.value }];
      }),
    );
    const a = spans.get("cpu_a")!;
    const b = spans.get("cpu_b")!;
    // In one event loop the two loops could only run one after the other.
    expect(a.start).toBeLessThan(b.end);
    expect(b.start).toBeLessThan(a.end);
  });

  it("ends the run CANCELED when aborted, and leaves no step process alive", async () => {
    const stop = new AbortController();
    let pid: number | undefined;
    const result = await materializeAssets(target, defs, {
      selection: ["hang", "bystander"],
      signal: stop.signal,
      onEvent: (event) => {
        const match = event.stepKey === "hang" ? /^pid (\d+)$/.exec(event.message) : null;
        if (match) {
          pid = Number(match[1]);
          stop.abort();
        }
      },
    });
    expect(result.status).toBe(RunStatus.Canceled);
    expect(pid).toBeDefined();
    expect(alive(pid!)).toBe(false);
    expect((await target.storage.getRun(result.runId))?.status).toBe(RunStatus.Canceled);
    const failure = (await events(result.runId, EventType.StepFailure)).find((e) => e.stepKey === "hang");
    expect(failure?.message).toContain("was killed by signal SIGKILL after the run was canceled");
  });
});

describe("step processes that cannot load the definitions", () => {
  it("fail each step with the reason, and the run ends", async () => {
    const target = await tempTarget();
    try {
      setStepProcessLauncher(defs, fixtureStepProcesses(path.join(target.dir, "missing-defs.ts")));
      const result = await materializeAssets(target, defs, { selection: ["small", "large"] });
      expect(result.status).toBe(RunStatus.Failure);
      expect(result.failures.map((f) => f.stepKey)).toEqual(["small"]);
      expect(result.failures[0]!.error.message).toMatch(/^Step "small" could not start in a process of its own: .*missing-defs\.ts/);
      expect(result.skipped).toEqual(["large"]);
    } finally {
      await target.dispose();
    }
  });
});

describe("the multiprocess executor with definitions made in code", () => {
  it("runs the steps in this process, and says why in a warning", async () => {
    const target = await tempTarget();
    try {
      const where = asset({ key: "where", run: () => process.pid });
      const inCode = defineDefinitions({ assets: [where], executor: { kind: "multiprocess" } });
      const result = await materializeAssets(target, inCode);
      expect(result.status).toBe(RunStatus.Success);
      expect(result.outputOf("where")).toBe(process.pid);
      const warnings = (await target.storage.getEvents(result.runId, { types: [EventType.Log] })).filter((e) => e.level === "WARN");
      expect(warnings.map((e) => e.message)).toEqual([expect.stringContaining("these definitions were made in code (not loaded with -f or -m): the steps run in this process")]);
    } finally {
      await target.dispose();
    }
  });
});
