import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { dynamicPartitions, staticPartitions, multiPartitions } from "../definitions/partitions.js";
import { loadDynamicPartitions, withRequestedPartitions } from "./dynamic-partitions.js";
import { materializeAssets } from "./materialize-assets.js";
import { newRun } from "./new-run.js";
import type { Storage } from "../storage/storage.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

describe("loadDynamicPartitions", () => {
  it("reads the stored keys into every definition of each declared name, dimensions included", async () => {
    const tenantsA = dynamicPartitions("tenants");
    const tenantsB = dynamicPartitions("tenants");
    const files = dynamicPartitions("files");
    const defs = defineDefinitions({
      assets: [
        asset({ key: "a", partitions: tenantsA, run: () => 1 }),
        asset({ key: "b", partitions: tenantsB, run: () => 1 }),
        asset({ key: "c", partitions: multiPartitions({ file: files, region: staticPartitions(["eu"]) }), run: () => 1 }),
      ],
    });
    await target.storage.addDynamicPartitions("tenants", ["acme", "globex"]);
    await target.storage.addDynamicPartitions("files", ["f1"]);
    await loadDynamicPartitions(defs, target.storage);
    expect([tenantsA.keys(), tenantsB.keys(), files.keys()]).toEqual([["acme", "globex"], ["acme", "globex"], ["f1"]]);
    await target.storage.deleteDynamicPartitions("tenants", ["acme"]);
    await loadDynamicPartitions(defs, target.storage);
    expect(tenantsB.keys()).toEqual(["globex"]);
  });

  it("keeps the keys of the newest read when reads racing in one process finish out of order", async () => {
    const tenants = dynamicPartitions("tenants");
    const defs = defineDefinitions({ assets: [asset({ key: "a", partitions: tenants, run: () => 1 })] });
    const answers: ((keys: string[]) => void)[] = [];
    const slow = { getDynamicPartitions: () => new Promise<string[]>((resolve) => answers.push(resolve)) } as unknown as Storage;
    const older = loadDynamicPartitions(defs, slow);
    const newer = loadDynamicPartitions(defs, slow);
    answers[1]!(["acme", "globex"]);
    await newer;
    answers[0]!(["acme"]);
    await older;
    expect(tenants.keys()).toEqual(["acme", "globex"]);
  });

  it("lets materializeAssets run a stored key, and refuses a missing one before recording anything", async () => {
    const tenants = dynamicPartitions("tenants");
    const report = asset({ key: "report", partitions: tenants, run: (_in, { partitionKey }) => `report of ${partitionKey}` });
    const defs = defineDefinitions({ assets: [report] });
    await target.storage.addDynamicPartitions("tenants", ["acme"]);
    const result = await materializeAssets(target, defs, { partitionKey: "acme" });
    expect(result.success).toBe(true);
    expect(result.outputOf("report")).toBe("report of acme");
    await expect(materializeAssets(target, defs, { partitionKey: "initech" })).rejects.toMatchObject({
      code: "PARTITION_ERROR",
      message: 'Partition "initech" of dynamic partitions "tenants" does not exist; add it with `sluice partitions add tenants initech` (1 key exists: "acme"). (Partitioned: asset "report".)',
    });
    expect((await target.storage.listRuns()).map((r) => r.partition)).toEqual(["acme"]);
  });
});

describe("withRequestedPartitions", () => {
  it("checks runs against the keys as the requests leave them, then restores the stored keys", async () => {
    const tenants = dynamicPartitions("tenants");
    const defs = defineDefinitions({ assets: [asset({ key: "report", partitions: tenants, run: () => 1 })] });
    tenants.useKeys(["acme", "globex"]);
    const seen = withRequestedPartitions(
      defs,
      [
        { partitionsName: "tenants", add: ["initech", "acme"], remove: ["globex"] },
        { partitionsName: "tenants", add: ["umbrella"] },
      ],
      () => {
        newRun({ defs, target: {}, partition: "initech" });
        return tenants.keys();
      },
    );
    expect(seen).toEqual(["acme", "initech", "umbrella"]);
    expect(tenants.keys()).toEqual(["acme", "globex"]);
    expect(() => withRequestedPartitions(defs, [{ partitionsName: "tenants", remove: ["acme"] }], () => newRun({ defs, target: {}, partition: "acme" }))).toThrow(
      /Partition "acme" of dynamic partitions "tenants" does not exist/,
    );
    expect(tenants.keys()).toEqual(["acme", "globex"]);
  });
});
