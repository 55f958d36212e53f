import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../definitions/errors.js";
import { EXECUTOR_TAG } from "../execution/executor-tag.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { EventType, RunStatus } from "../storage/records.js";
import { loadDefinitions } from "./load-definitions.js";

const defsFile = fileURLToPath(new URL("../runs/testing/multiprocess-defs.ts", import.meta.url));

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

/** The pid each step recorded in its log line or value, by the metadata the fixture's `total` adds. */
async function pidsOf(runId: string): Promise<{ total: number; upstream: number }> {
  const events = await target.storage.getEvents(runId, { types: [EventType.AssetMaterialization] });
  const metadata = events.find((e) => e.assetKey === "total")!.data.metadata as Record<string, { value: number }>;
  const log = (await target.storage.getEvents(runId, { types: [EventType.Log] })).find((e) => e.stepKey === "total")!;
  return { total: Number(/process (\d+)/.exec(log.message)![1]), upstream: metadata.upstreamPid!.value };
}

describe("step processes of a code location", () => {
  it("load the definitions file the run's definitions came from, and run its steps", async () => {
    const { defs } = await loadDefinitions({ file: defsFile });
    const result = await materializeAssets(target, defs, { selection: ["small", "large", "total"] });
    expect(result.failures).toEqual([]);
    expect(result.status).toBe(RunStatus.Success);
    const pids = await pidsOf(result.runId);
    expect(pids.total).not.toBe(process.pid);
    expect(pids.upstream).not.toBe(process.pid);
  });

  it("are not used when the run's executor tag says in_process, and a tag naming no executor is refused", async () => {
    const { defs } = await loadDefinitions({ file: defsFile });
    const result = await materializeAssets(target, defs, { selection: ["small", "large", "total"], tags: { [EXECUTOR_TAG]: "in_process" } });
    expect(result.status).toBe(RunStatus.Success);
    expect(await pidsOf(result.runId)).toEqual({ total: process.pid, upstream: process.pid });
    const refused = materializeAssets(target, defs, { selection: ["small"], tags: { [EXECUTOR_TAG]: "threads" } });
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow('Tag "sluice/executor" must be "in_process" or "multiprocess", got "threads".');
  });
});
