import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset, type AssetDefinition } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { EventType } from "../storage/records.js";
import { countingTransactions } from "../storage/testing/counting-transactions.js";
import { materializeAssets } from "./materialize-assets.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

describe("commits of a run", () => {
  it("pays one transaction per step boundary on a chain: a step's success joins the next step's start", async () => {
    const steps = 30;
    const chain: AssetDefinition<number>[] = [asset({ key: "c0", run: () => 0 })];
    for (let i = 1; i < steps; i++) {
      const up = chain[i - 1]!;
      chain.push(asset({ key: `c${i}`, ins: { up }, run: ({ up: v }) => v + 1 }));
    }
    const { storage, transactions } = countingTransactions(target.storage);
    const result = await materializeAssets({ storage, valuesDir: target.valuesDir }, defineDefinitions({ assets: chain }));
    expect(result.success).toBe(true);
    expect(result.outputOf(`c${steps - 1}`)).toBe(steps - 1);
    // Every STEP_START after the first shares its transaction with the upstream's STEP_SUCCESS.
    const joined = transactions.filter((types) => types.includes(EventType.StepSuccess) && types.includes(EventType.StepStart));
    expect(joined).toHaveLength(steps - 1);
    expect(transactions.length).toBeLessThanOrEqual(steps + 3);
    const events = await target.storage.getEvents(result.runId);
    expect(events.filter((e) => e.type === EventType.StepStart)).toHaveLength(steps);
    expect(events.filter((e) => e.type === EventType.AssetMaterialization)).toHaveLength(steps);
  });
});
