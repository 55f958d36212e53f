import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../../definitions/asset.js";
import { AutomationCondition as C } from "../../definitions/automation/automation-condition.js";
import { defineDefinitions } from "../../definitions/definitions.js";
import { EventType } from "../../storage/records.js";
import { tempTarget, type TempTarget } from "../testing/temp-target.js";
import { AutomationHarness } from "./testing/automation-harness.js";

const NOW = Date.UTC(2025, 0, 10, 12, 0);
const MINUTE = 60_000;
const run = () => 1;

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

/** a → b, both eager(), and a run of both that is under way (a not yet materialized). */
async function chainRunUnderWay(): Promise<{ h: AutomationHarness; runId: string }> {
  const a = asset({ key: "a", automation: C.eager(), run });
  const b = asset({ key: "b", ins: { a }, automation: C.eager(), run });
  const h = new AutomationHarness(target.storage, defineDefinitions({ assets: [a, b] }));
  expect((await h.evaluate(NOW)).requests).toEqual([{ assetKeys: ["a", "b"], partition: null }]);
  const runId = await h.queue(["a", "b"]);
  await target.storage.storeEvent({ runId, type: EventType.RunStart });
  expect((await h.evaluate(NOW + MINUTE)).requests).toEqual([]);
  // The evaluation that sees a's materialization comes while b is still in the run.
  await target.storage.storeEvent({ runId, type: EventType.StepStart, stepKey: "a", assetKey: "a", partition: null });
  await target.storage.storeEvent({ runId, type: EventType.AssetMaterialization, stepKey: "a", assetKey: "a", partition: null });
  expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toEqual([]);
  return { h, runId };
}

describe("eager(): an upstream updated by the run that also selected the asset", () => {
  it("does not request the asset again when its step then fails: that run handled the update", async () => {
    const { h, runId } = await chainRunUnderWay();
    await target.storage.storeEvent({ runId, type: EventType.StepStart, stepKey: "b", assetKey: "b", partition: null });
    await target.storage.storeEvent({ runId, type: EventType.StepFailure, stepKey: "b", assetKey: "b", partition: null });
    await target.storage.storeEvent({ runId, type: EventType.RunFailure });
    expect((await h.evaluate(NOW + 3 * MINUTE)).requests).toEqual([]);
    expect((await h.evaluate(NOW + 4 * MINUTE)).requests).toEqual([]);
    // A new update of a, by another run, is something new.
    await h.materialize(["a"]);
    expect((await h.evaluate(NOW + 5 * MINUTE)).requests).toEqual([{ assetKeys: ["b"], partition: null }]);
  });

  it("does not request it again after the run materialized both", async () => {
    const { h, runId } = await chainRunUnderWay();
    await target.storage.storeEvent({ runId, type: EventType.StepStart, stepKey: "b", assetKey: "b", partition: null });
    await target.storage.storeEvent({ runId, type: EventType.AssetMaterialization, stepKey: "b", assetKey: "b", partition: null });
    await target.storage.storeEvent({ runId, type: EventType.RunSuccess });
    expect((await h.evaluate(NOW + 3 * MINUTE)).requests).toEqual([]);
  });

  it("still requests it, once its run failed, for an upstream update another run made meanwhile", async () => {
    const { h, runId } = await chainRunUnderWay();
    await h.materialize(["a"]);
    expect((await h.evaluate(NOW + 3 * MINUTE)).requests).toEqual([]);
    await target.storage.storeEvent({ runId, type: EventType.StepStart, stepKey: "b", assetKey: "b", partition: null });
    await target.storage.storeEvent({ runId, type: EventType.StepFailure, stepKey: "b", assetKey: "b", partition: null });
    await target.storage.storeEvent({ runId, type: EventType.RunFailure });
    expect((await h.evaluate(NOW + 4 * MINUTE)).requests).toEqual([{ assetKeys: ["b"], partition: null }]);
  });
});
