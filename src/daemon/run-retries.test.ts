import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import { REEXECUTION_TAG, RETRY_NUMBER_TAG } from "../runs/reexecution.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { RunStatus, type RunRecord } from "../storage/records.js";
import { MAX_RETRIES_TAG, RunRetries } from "./run-retries.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const up = asset({ key: "up", run: () => 1 });
const down = asset({
  key: "down",
  ins: { n: up },
  run: () => {
    throw new Error("down failed");
  },
});
const defs = defineDefinitions({ assets: [up, down] });

async function failedRun(tags: Record<string, string> = {}): Promise<string> {
  const result = await materializeAssets(target, defs, { tags });
  expect(result.status).toBe(RunStatus.Failure);
  return result.runId;
}

const childrenOf = (runId: string): Promise<RunRecord[]> => target.storage.listRuns({ parentRunIds: [runId] });

/** Ends a queued retry as if its worker had run it and it failed again. */
async function failQueued(run: RunRecord): Promise<void> {
  await target.storage.setRunStatus(run.runId, RunStatus.Failure);
}

describe("RunRetries", () => {
  it("re-executes a failed run from failure exactly once, tagged as attempt 2", async () => {
    const runId = await failedRun();
    const retries = new RunRetries({ storage: target.storage, maxRetries: 1 });
    await retries.tick();
    await retries.tick();
    await new RunRetries({ storage: target.storage, maxRetries: 1 }).tick(); // a restarted daemon
    const children = await childrenOf(runId);
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({
      status: RunStatus.Queued,
      parentRunId: runId,
      rootRunId: runId,
      selection: ["down"],
      tags: { [RETRY_NUMBER_TAG]: "2", [REEXECUTION_TAG]: "from_failure" },
    });
  });

  it("stops after max retries", async () => {
    const runId = await failedRun();
    const retries = new RunRetries({ storage: target.storage, maxRetries: 1 });
    await retries.tick();
    const [retry] = await childrenOf(runId);
    await failQueued(retry!);
    await retries.tick();
    await new RunRetries({ storage: target.storage, maxRetries: 1 }).tick();
    expect(await childrenOf(retry!.runId)).toEqual([]);
    expect(await target.storage.listRuns()).toHaveLength(2);
  });

  it("lets a run's sluice/max_retries tag allow more retries than the instance setting", async () => {
    const runId = await failedRun({ [MAX_RETRIES_TAG]: "2" });
    const retries = new RunRetries({ storage: target.storage, maxRetries: 0 });
    await retries.tick();
    const [second] = await childrenOf(runId);
    expect(second?.tags[RETRY_NUMBER_TAG]).toBe("2");
    await failQueued(second!);
    await retries.tick();
    const [third] = await childrenOf(second!.runId);
    expect(third?.tags).toMatchObject({ [RETRY_NUMBER_TAG]: "3", [MAX_RETRIES_TAG]: "2" });
    expect(third?.rootRunId).toBe(runId);
    await failQueued(third!);
    await retries.tick();
    expect(await childrenOf(third!.runId)).toEqual([]);
  });

  it("does not retry with max retries 0, nor canceled runs, nor runs already re-executed by hand", async () => {
    const plain = await failedRun();
    await new RunRetries({ storage: target.storage, maxRetries: 0 }).tick();
    expect(await childrenOf(plain)).toEqual([]);

    const canceled = await target.storage.createRun({ runId: "canceled-run", jobName: "__asset_job", selection: ["up"] });
    await target.storage.setRunStatus(canceled.runId, RunStatus.Canceled);
    const manual = await failedRun();
    await target.storage.createRun({ runId: "by-hand", jobName: "__asset_job", selection: ["down"], parentRunId: manual, rootRunId: manual, tags: { [REEXECUTION_TAG]: "from_failure" } });
    await new RunRetries({ storage: target.storage, maxRetries: 3 }).tick();
    expect(await childrenOf(canceled.runId)).toEqual([]);
    expect((await childrenOf(manual)).map((r) => r.runId)).toEqual(["by-hand"]);
    expect(await childrenOf(plain)).toHaveLength(1); // with retries on, the plain failure is retried
  });
});
