import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { multiAsset } from "../definitions/multi-asset.js";
import { observableSourceAsset } from "../definitions/observable-source-asset.js";
import { output } from "../definitions/output.js";
import { RunStatus } from "../storage/records.js";
import { materializeAssets } from "./materialize-assets.js";
import { observeAssets } from "./observe-assets.js";
import { assetStatusLookup } from "./asset-statuses.js";
import { assetStaleness, describeStaleReason } from "./staleness.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

// Staleness where it meets the other asset kinds: observable source assets (their data version is
// their latest observation's) and multi-assets (one step, several data versions).

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

async function reasonsOf(defs: Parameters<typeof assetStaleness>[0], key: string): Promise<{ status: string; reasons: string[] }> {
  const s = (await assetStaleness(defs, target.storage)).get(key)!;
  return { status: s.status, reasons: s.reasons.map(describeStaleReason) };
}

describe("staleness across asset kinds", () => {
  it("makes an asset stale when the observable source it depends on is observed with a new data version", async () => {
    let version = "v1";
    const source = observableSourceAsset({ key: "warehouse/orders", observe: () => version });
    const report = asset({ key: "report", deps: [source], codeVersion: "1", run: () => "ok" });
    const defs = defineDefinitions({ assets: [source, report] });

    expect((await observeAssets(target, defs)).status).toBe(RunStatus.Success);
    expect((await materializeAssets(target, defs, { selection: ["report"] })).status).toBe(RunStatus.Success);
    const [row] = await target.storage.getAssetIndex(["report"]);
    expect(row!.inputDataVersions).toEqual({ "warehouse/orders": "v1" });
    expect(await reasonsOf(defs, "report")).toEqual({ status: "UP_TO_DATE", reasons: [] });
    expect((await reasonsOf(defs, "warehouse/orders")).status).toBe("UP_TO_DATE");

    // The same version observed again changes nothing; a new one makes the report stale.
    await observeAssets(target, defs);
    expect((await reasonsOf(defs, "report")).status).toBe("UP_TO_DATE");
    version = "v2";
    await observeAssets(target, defs);
    expect(await reasonsOf(defs, "report")).toEqual({ status: "STALE", reasons: ["upstream warehouse/orders updated"] });

    // status:stale selects it (and only it), through the same lookup the CLI and the API use.
    const statusOf = await assetStatusLookup(defs, target.storage, ["stale"]);
    expect([...statusOf("stale")]).toEqual(["report"]);
    const refresh = await materializeAssets(target, defs, { selection: "status:stale" });
    expect((await target.storage.getRun(refresh.runId))!.selection).toEqual(["report"]);
    expect((await reasonsOf(defs, "report")).status).toBe("UP_TO_DATE");
  });

  it("records the observed version for a downstream asset observed in the same run", async () => {
    const source = observableSourceAsset({ key: "src", observe: () => "seen-7" });
    const report = asset({ key: "report", deps: [source], run: () => "ok" });
    const defs = defineDefinitions({ assets: [source, report] });
    expect((await materializeAssets(target, defs, { selection: ["src", "report"] })).status).toBe(RunStatus.Success);
    const [row] = await target.storage.getAssetIndex(["report"]);
    expect(row!.inputDataVersions).toEqual({ src: "seen-7" });
  });

  it("gives each output of a multi-asset its own data version, and downstream assets read the right one", async () => {
    const split = multiAsset({
      name: "split",
      outs: { a: { key: "a" }, b: { key: "b" } },
      run: () => ({ a: output(1, { dataVersion: "a-1" }), b: output(2, { dataVersion: "b-1" }) }),
    });
    const onA = asset({ key: "on_a", ins: { a: split.assets.a }, run: ({ a }) => a + 1 });
    const defs = defineDefinitions({ assets: [split, onA] });
    expect((await materializeAssets(target, defs, { selection: ["a", "b", "on_a"] })).status).toBe(RunStatus.Success);
    const rows = await target.storage.getAssetIndex(["a", "b", "on_a"]);
    const version = (key: string) => rows.find((r) => r.assetKey === key)!;
    expect(version("a").dataVersion).toBe("a-1");
    expect(version("b").dataVersion).toBe("b-1");
    expect(version("on_a").inputDataVersions).toEqual({ a: "a-1" });
    expect((await reasonsOf(defs, "on_a")).status).toBe("UP_TO_DATE");
  });
});
