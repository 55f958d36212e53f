import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions, type Definitions } from "../definitions/definitions.js";
import { output } from "../definitions/output.js";
import { dailyPartitions, dynamicPartitions, singleRun } from "../definitions/partitions.js";
import { RunStatus } from "../storage/records.js";
import { materializeAssets } from "./materialize-assets.js";
import { assetStaleness, describeStaleReason, staleAssetKeys, type AssetStaleness } from "./staleness.js";
import { tempTarget, type TempTarget } from "./testing/temp-target.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

async function run(defs: Definitions, selection: string[], partitionKey?: string): Promise<void> {
  const result = await materializeAssets(target, defs, { selection, ...(partitionKey ? { partitionKey } : {}) });
  expect(result.status).toBe(RunStatus.Success);
}

async function staleness(defs: Definitions): Promise<Record<string, { status: string; reasons: string[]; stalePartitions: (string | null)[] }>> {
  const all = await assetStaleness(defs, target.storage);
  const out: Record<string, { status: string; reasons: string[]; stalePartitions: (string | null)[] }> = {};
  for (const [key, s] of all as Map<string, AssetStaleness>) out[key] = { status: s.status, reasons: s.reasons.map(describeStaleReason), stalePartitions: s.stalePartitions };
  return out;
}

/** raw → clean → report; the code versions given are the assets'. */
function chain(versions: { raw?: string; clean?: string; report?: string } = {}, rawOutput: () => unknown = () => [1, 2, 3]): Definitions {
  const raw = asset({ key: "raw/orders", ...(versions.raw ? { codeVersion: versions.raw } : {}), run: rawOutput });
  const clean = asset({ key: "clean", ins: { raw }, ...(versions.clean ? { codeVersion: versions.clean } : {}), run: ({ raw: rows }) => rows });
  const report = asset({ key: "report", deps: [clean], ...(versions.report ? { codeVersion: versions.report } : {}), run: () => "ok" });
  return defineDefinitions({ assets: [raw, clean, report] });
}

describe("staleness", () => {
  it("says MISSING for assets never materialized, and UP_TO_DATE right after a run", async () => {
    const defs = chain({ clean: "v1" });
    expect((await staleness(defs)).clean).toEqual({ status: "MISSING", reasons: [], stalePartitions: [] });
    await run(defs, ["raw/orders", "clean", "report"]);
    const all = await staleness(defs);
    for (const key of ["raw/orders", "clean", "report"]) expect(all[key]!.status).toBe("UP_TO_DATE");
  });

  it("records data, code and input data versions on each materialization", async () => {
    const defs = chain({ raw: "r1", clean: "v1" });
    await run(defs, ["raw/orders", "clean"]);
    const [raw, clean] = await target.storage.getAssetIndex(["clean", "raw/orders"]).then((rows) => [rows.find((r) => r.assetKey === "raw/orders")!, rows.find((r) => r.assetKey === "clean")!]);
    expect(raw!.codeVersion).toBe("r1");
    expect(raw!.dataVersion).toMatch(/^[0-9a-f]{24}$/);
    expect(clean!.codeVersion).toBe("v1");
    expect(clean!.inputDataVersions).toEqual({ "raw/orders": raw!.dataVersion });
    const [event] = await target.storage.getMaterializations("clean", { limit: 1 });
    expect(event!.data).toMatchObject({ dataVersion: clean!.dataVersion, codeVersion: "v1", inputDataVersions: { "raw/orders": raw!.dataVersion } });
  });

  it("makes downstream assets stale when an unversioned upstream is materialized again, transitively", async () => {
    const defs = chain();
    await run(defs, ["raw/orders", "clean", "report"]);
    await run(defs, ["raw/orders"]);
    const all = await staleness(defs);
    expect(all["raw/orders"]!.status).toBe("UP_TO_DATE");
    expect(all.clean).toEqual({ status: "STALE", reasons: ["upstream raw/orders updated"], stalePartitions: [] });
    expect(all.report).toEqual({ status: "STALE", reasons: ["upstream clean is stale"], stalePartitions: [] });
    expect([...(await staleAssetKeys(defs, target.storage))].sort()).toEqual(["clean", "report"]);
    // Asked for one asset, the answer is the same, and covers it and its upstream assets only.
    const some = await assetStaleness(defs, target.storage, ["report"]);
    expect([...some.keys()].sort()).toEqual(["clean", "raw/orders", "report"]);
    expect(some.get("report")!.reasons).toEqual([{ kind: "upstream_stale", upstream: "clean" }]);
    expect([...(await assetStaleness(defs, target.storage, ["clean"])).keys()].sort()).toEqual(["clean", "raw/orders"]);
    await run(defs, ["clean", "report"]);
    expect(await staleAssetKeys(defs, target.storage)).toEqual(new Set());
  });

  it("keeps downstream assets up to date when a versioned upstream computes the same data again", async () => {
    const defs = chain({ raw: "r1", clean: "v1" });
    await run(defs, ["raw/orders", "clean"]);
    const before = (await target.storage.getAssetIndex(["raw/orders"]))[0]!.dataVersion;
    await run(defs, ["raw/orders"]);
    expect((await target.storage.getAssetIndex(["raw/orders"]))[0]!.dataVersion).toBe(before);
    expect((await staleness(defs)).clean!.status).toBe("UP_TO_DATE");
  });

  it("says which code version changed, and makes the assets downstream stale", async () => {
    await run(chain({ clean: "v1" }), ["raw/orders", "clean", "report"]);
    const changed = chain({ clean: "v2" });
    const all = await staleness(changed);
    expect(all["raw/orders"]!.status).toBe("UP_TO_DATE");
    expect(all.clean).toEqual({ status: "STALE", reasons: ["code version changed (v1 → v2)"], stalePartitions: [] });
    expect(all.report!.reasons).toEqual(["upstream clean is stale"]);
    // Adding a code version where there was none is a change too.
    expect((await staleness(chain({ clean: "v1", report: "r1" }))).report!.reasons).toEqual(["code version changed (none → r1)"]);
  });

  it("trusts the data version an asset gives: the same one again leaves downstream up to date", async () => {
    let version = "file-sha-1";
    const defs = chain({}, () => output([1], { dataVersion: version }));
    await run(defs, ["raw/orders", "clean"]);
    await run(defs, ["raw/orders"]);
    expect((await staleness(defs)).clean!.status).toBe("UP_TO_DATE");
    version = "file-sha-2";
    await run(defs, ["raw/orders"]);
    expect((await staleness(defs)).clean!.reasons).toEqual(["upstream raw/orders updated"]);
  });

  it("judges partitions one by one, through their partition mappings", async () => {
    const days = dailyPartitions({ start: "2025-01-01" });
    const events = asset({ key: "raw/events", partitions: days, run: (_in, ctx) => ctx.partitionKey });
    const daily = asset({ key: "daily", partitions: days, codeVersion: "d1", ins: { events }, run: ({ events: e }) => e });
    const summary = asset({ key: "summary", codeVersion: "s1", ins: { daily }, run: ({ daily: all }) => Object.keys(all).length });
    const defs = defineDefinitions({ assets: [events, daily, summary] });
    for (const day of ["2025-01-01", "2025-01-02"]) await run(defs, ["raw/events", "daily"], day);
    await run(defs, ["summary"]);
    expect(await staleAssetKeys(defs, target.storage)).toEqual(new Set());

    await run(defs, ["raw/events"], "2025-01-02");
    let all = await staleness(defs);
    expect(all.daily).toEqual({ status: "STALE", reasons: ["upstream raw/events updated"], stalePartitions: ["2025-01-02"] });
    // summary reads every partition of daily: one stale partition makes it stale.
    expect(all.summary).toEqual({ status: "STALE", reasons: ["upstream daily is stale"], stalePartitions: [] });

    // Materialized again, daily is up to date; its new data version is news for summary.
    await run(defs, ["daily"], "2025-01-02");
    all = await staleness(defs);
    expect(all.daily!.status).toBe("UP_TO_DATE");
    expect(all.summary!.status).toBe("STALE");
    expect(all.summary!.reasons).toEqual(["upstream daily updated"]);

    // A new partition of daily is new data for summary, which reads them all.
    await run(defs, ["summary"]);
    await run(defs, ["raw/events", "daily"], "2025-01-03");
    all = await staleness(defs);
    expect(all.daily!.status).toBe("UP_TO_DATE");
    expect(all.summary!.reasons).toEqual(["upstream daily updated"]);
  });

  it("records versions per partition when one run materializes a range", async () => {
    const days = dailyPartitions({ start: "2025-01-01" });
    const definitions = (eventsVersion: string) => {
      const events = asset({ key: "events", partitions: days, codeVersion: eventsVersion, backfillPolicy: singleRun(), run: (_in, ctx) => ctx.partitionKeysInRun.length });
      const rollup = asset({ key: "rollup", partitions: days, codeVersion: "r1", backfillPolicy: singleRun(), ins: { events }, run: ({ events: e }) => e });
      return defineDefinitions({ assets: [events, rollup] });
    };
    const defs = definitions("e1");
    const result = await materializeAssets(target, defs, { selection: ["events", "rollup"], partitionRange: { start: "2025-01-01", end: "2025-01-03" } });
    expect(result.status).toBe(RunStatus.Success);
    const rows = await target.storage.getAssetIndex(["events", "rollup"]);
    expect(rows.map((r) => [r.assetKey, r.partition])).toEqual([
      ["events", "2025-01-01"], ["events", "2025-01-02"], ["events", "2025-01-03"],
      ["rollup", "2025-01-01"], ["rollup", "2025-01-02"], ["rollup", "2025-01-03"],
    ]);
    // Each rollup partition read its own events partition, and says which version of it.
    for (const row of rows.filter((r) => r.assetKey === "rollup")) {
      expect(Object.keys(row.inputDataVersions!)).toEqual(["events"]);
      expect(row.codeVersion).toBe("r1");
    }
    const rollups = rows.filter((r) => r.assetKey === "rollup").map((r) => r.inputDataVersions!.events);
    expect(new Set(rollups).size).toBe(3);
    expect(await staleAssetKeys(defs, target.storage)).toEqual(new Set());
    // Versioned without inputs, events computes the same data version again: nothing goes stale.
    await run(defs, ["events"], "2025-01-02");
    expect(await staleAssetKeys(defs, target.storage)).toEqual(new Set());
    // With new code, its partition 2 is new data; its other partitions are stale, and so what reads them.
    const changed = definitions("e2");
    await run(changed, ["events"], "2025-01-02");
    const all = await staleness(changed);
    expect(all.events).toEqual({ status: "STALE", reasons: ["code version changed (e1 → e2)"], stalePartitions: ["2025-01-01", "2025-01-03"] });
    expect(all.rollup!.stalePartitions).toEqual(["2025-01-01", "2025-01-02", "2025-01-03"]);
    expect(all.rollup!.reasons.sort()).toEqual(["upstream events is stale", "upstream events updated"]);
  });

  it("judges dynamic partitions with their keys read from storage, in definitions loaded afresh", async () => {
    const definitions = () => {
      const tenants = dynamicPartitions("tenants");
      const raw = asset({ key: "raw", partitions: tenants, run: (_in, ctx) => ctx.partitionKey });
      const per = asset({ key: "per_tenant", partitions: tenants, ins: { raw }, run: ({ raw: r }) => r });
      return defineDefinitions({ assets: [raw, per] });
    };
    await target.storage.addDynamicPartitions("tenants", ["acme", "globex"]);
    const defs = definitions();
    for (const tenant of ["acme", "globex"]) await run(defs, ["raw", "per_tenant"], tenant);
    await run(defs, ["raw"], "globex");
    const all = await staleness(definitions());
    expect(all.raw!.status).toBe("UP_TO_DATE");
    expect(all.per_tenant).toEqual({ status: "STALE", reasons: ["upstream raw updated"], stalePartitions: ["globex"] });
  });
});
