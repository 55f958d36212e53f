import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../../definitions/asset.js";
import { assetCheck } from "../../definitions/asset-check.js";
import { AutomationCondition as C } from "../../definitions/automation/automation-condition.js";
import { defineDefinitions } from "../../definitions/definitions.js";
import { observableSourceAsset } from "../../definitions/observable-source-asset.js";
import { EventType } from "../../storage/records.js";
import { RUNLESS_RUN_ID } from "../../storage/records.js";
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

describe("observable upstreams: only a new data version is an update", () => {
  const files = observableSourceAsset({ key: "files", observe: () => "v" });
  const load = asset({ key: "load", deps: [files], automation: C.eager(), run });

  async function observe(version: string): Promise<void> {
    await target.storage.storeEvent({ runId: RUNLESS_RUN_ID, type: EventType.AssetObservation, assetKey: "files", partition: null, data: { dataVersion: version } });
  }

  it("eager reacts to a changed data version, not to observations that repeat it", async () => {
    const h = new AutomationHarness(target.storage, defineDefinitions({ assets: [files, load] }));
    await observe("v1");
    await h.materialize(["load"]);
    expect((await h.evaluate(NOW)).requests).toEqual([]);

    await observe("v1");
    await observe("v1");
    expect((await h.evaluate(NOW + MINUTE)).requests, "the same version observed again is no update").toEqual([]);

    await observe("v2");
    expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toEqual([{ assetKeys: ["load"], partition: null }]);
    await h.materialize(["load"]);
    await observe("v2");
    expect((await h.evaluate(NOW + 3 * MINUTE)).requests).toEqual([]);
  });

  it("a version that changes and changes back within one interval is still an update", async () => {
    const h = new AutomationHarness(target.storage, defineDefinitions({ assets: [files, load] }));
    await observe("v1");
    await h.materialize(["load"]);
    await h.evaluate(NOW);
    await observe("v2");
    await observe("v1");
    expect((await h.evaluate(NOW + MINUTE)).requests).toHaveLength(1);
  });
});

describe("checksPassed({ blockingOnly })", () => {
  it("a failed WARN check of a non-blocking check holds up checksPassed() but not the blocking-only form", async () => {
    const make = (blockingOnly: boolean) => {
      const x = asset({ key: "x", run });
      const gated = asset({ key: "gated", deps: [x], automation: C.allDepsMatch(C.checksPassed({ blockingOnly })), run });
      const strict = assetCheck({ asset: x, name: "unique", blocking: true, run: () => ({ passed: true }) });
      const advisory = assetCheck({ asset: x, name: "lines", run: () => ({ passed: false, severity: "WARN" }) });
      return new AutomationHarness(target.storage, defineDefinitions({ assets: [x, gated], assetChecks: [strict, advisory] }));
    };
    const any = make(false);
    const runId = await any.materialize(["x"]);
    for (const [checkName, passed, severity] of [["unique", true, "ERROR"], ["lines", false, "WARN"]] as const) {
      await target.storage.storeEvent({
        runId,
        type: EventType.AssetCheckEvaluation,
        assetKey: "x",
        stepKey: `x:${checkName}`,
        data: { checkName, status: passed ? "PASSED" : "FAILED", passed, severity, description: null, metadata: {} },
      });
    }
    expect((await any.evaluate(NOW)).requests).toEqual([]);
    const blocking = make(true);
    const evaluation = await blocking.evaluate(NOW);
    expect(evaluation.requests).toEqual([{ assetKeys: ["gated"], partition: null }]);
    expect(JSON.stringify(evaluation.allEvaluations[0]!.tree)).toContain("blocking checks passed");
  });
});
