import { describe, expect, it } from "vitest";
import { asset } from "./asset.js";
import { assetSpec } from "./asset-spec.js";
import { defineDefinitions } from "./definitions.js";
import { DefinitionError, UsageError } from "./errors.js";
import { executableAssetKeys } from "./external-assets.js";
import { assetJob } from "./job.js";
import { observableSourceAsset } from "./observable-source-asset.js";
import { schedule } from "./schedule.js";
import { selectAssets } from "./selection/select-assets.js";
import { staticPartitions } from "./partitions/static-partitions.js";

const feed = assetSpec({ key: "vendor/feed", group: "ingest", kinds: ["s3"], description: "Dropped by the vendor nightly" });
const file = observableSourceAsset({ key: "src/file", group: "ingest", observe: () => "v1" });
const clean = asset({ key: "clean", deps: [feed, file], run: () => 1 });

describe("external and observable assets in definitions", () => {
  it("are nodes of the asset graph, with their deps, groups and kinds, that selection sees", () => {
    const defs = defineDefinitions({ assets: [feed, file, clean] });
    expect(defs.assetGraph.keys()).toEqual(["vendor/feed", "src/file", "clean"]);
    expect(defs.assetGraph.children("vendor/feed")).toEqual(["clean"]);
    expect(defs.assetGraph.get("vendor/feed")?.kinds).toEqual(["s3"]);
    expect(selectAssets("group:ingest", defs.assetGraph)).toEqual(["vendor/feed", "src/file"]);
    expect(selectAssets("+clean", defs.assetGraph)).toEqual(["vendor/feed", "src/file", "clean"]);
    expect(defs.assets.get("vendor/feed")?.assetKind).toBe("external");
    expect(defs.assets.get("src/file")?.assetKind).toBe("observable");
    expect(defs.assets.get("clean")?.assetKind).toBeUndefined();
  });

  it("an external spec may depend on other assets, partitioned ones too", () => {
    const parts = staticPartitions(["eu", "us"]);
    const raw = asset({ key: "raw", partitions: parts, run: () => 1 });
    const exported = assetSpec({ key: "export", deps: [raw], partitions: parts });
    const defs = defineDefinitions({ assets: [raw, exported] });
    expect(defs.assetGraph.parents("export")).toEqual(["raw"]);
    expect(defs.assets.get("export")?.partitions).toBe(parts);
  });

  it("refuses a key defined as an asset and as an external asset spec, naming both", () => {
    const twin = asset({ key: "vendor/feed", run: () => 1 });
    const err = (() => {
      try {
        defineDefinitions({ assets: [feed, twin] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as Error).message).toContain('Asset key "vendor/feed" is defined as an external asset spec and as an asset');
    expect((err as Error).message).toContain("assetSpec()");
    expect(() => defineDefinitions({ assets: [twin, file, observableSourceAsset({ key: "vendor/feed", observe: () => "x" })] })).toThrow(
      /defined as an asset and as an observable source asset/,
    );
  });

  it("refuses an input from an external or observable asset: name it in deps", () => {
    const reads = asset({ key: "reads", ins: { feed }, run: ({ feed: f }) => f });
    expect(() => defineDefinitions({ assets: [feed, reads] })).toThrow(
      'Asset "reads" takes input "feed" from "vendor/feed", which is an external asset: Sluice stores no value of it to pass. Name "vendor/feed" in deps instead',
    );
    const readsFile = asset({ key: "reads", ins: { f: "src/file" }, run: () => 1 });
    expect(() => defineDefinitions({ assets: [file, readsFile] })).toThrow(/which is an observable source asset/);
  });

  it("an asset job drops its external assets, and refuses to have only those", () => {
    const defs = defineDefinitions({ assets: [feed, file, clean], jobs: [assetJob({ name: "all", selection: "*" }), assetJob({ name: "observe_sources", selection: ["src/file"] })] });
    expect(defs.jobs.get("all")?.stepKeys).toEqual(["src/file", "clean"]);
    expect(defs.jobs.get("observe_sources")?.stepKeys).toEqual(["src/file"]);
    expect(() => defineDefinitions({ assets: [feed], jobs: [assetJob({ name: "feed_only", selection: ["vendor/feed"] })] })).toThrow(
      /Job "feed_only": selection \["vendor\/feed"\] matches only external assets \("vendor\/feed"\), which Sluice cannot materialize/,
    );
  });

  it("refuses a schedule whose selection holds only external or only observable assets, at load", () => {
    expect(() => defineDefinitions({ assets: [feed], schedules: [schedule({ name: "feed_daily", cron: "0 0 * * *", selection: "vendor/feed" })] })).toThrow(
      /Schedule "feed_daily": Asset "vendor\/feed" is an external asset: Sluice cannot materialize it/,
    );
    expect(() => defineDefinitions({ assets: [file], schedules: [schedule({ name: "file_hourly", cron: "0 * * * *", selection: "src/file" })] })).toThrow(
      /To observe observable source assets on a schedule, target an assetJob\(\) of them/,
    );
  });
});

describe("executableAssetKeys", () => {
  const assets = defineDefinitions({ assets: [feed, file, clean] }).assets;

  it("drops external assets from a materialization, keeping observable ones beside others", () => {
    expect(executableAssetKeys(assets, ["vendor/feed", "src/file", "clean"])).toEqual(["src/file", "clean"]);
  });

  it("refuses external assets alone, saying how to report them", () => {
    expect(() => executableAssetKeys(assets, ["vendor/feed"])).toThrow(UsageError);
    expect(() => executableAssetKeys(assets, ["vendor/feed"])).toThrow(
      'Asset "vendor/feed" is an external asset: Sluice cannot materialize it. Report its materializations with `sluice asset report vendor/feed`',
    );
  });

  it("refuses to materialize observable assets alone, saying how to observe them", () => {
    expect(() => executableAssetKeys(assets, ["vendor/feed", "src/file"])).toThrow(/Asset "src\/file" is an observable source asset: .*sluice asset observe --select "src\/file"/);
  });

  it("observe mode keeps only observable source assets, and refuses a selection without one", () => {
    expect(executableAssetKeys(assets, ["vendor/feed", "src/file", "clean"], "observe")).toEqual(["src/file"]);
    expect(() => executableAssetKeys(assets, ["clean"], "observe")).toThrow('Asset "clean" is not an observable source asset: there is nothing to observe.');
  });
});
