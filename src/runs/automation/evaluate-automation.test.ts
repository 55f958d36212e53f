import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset, type AssetDefinition } from "../../definitions/asset.js";
import { assetCheck } from "../../definitions/asset-check.js";
import { AutomationCondition as C } from "../../definitions/automation/automation-condition.js";
import { defineDefinitions } from "../../definitions/definitions.js";
import { multiAsset } from "../../definitions/multi-asset.js";
import { dynamicPartitions } from "../../definitions/partitions/dynamic-partitions.js";
import { staticPartitions } from "../../definitions/partitions/static-partitions.js";
import { PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG } from "../../execution/run-partition.js";
import { dailyPartitions } from "../../definitions/partitions/time-partition-factories.js";
import { openPostgresStorage } from "../../storage/postgres/postgres-storage.js";
import { EventType } from "../../storage/records.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../../storage/testing/postgres-test-schemas.js";
import { tempTarget, type TempTarget } from "../testing/temp-target.js";
import { AutomationHarness } from "./testing/automation-harness.js";

const NOW = Date.UTC(2025, 0, 10, 12, 0);
const MINUTE = 60_000;

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const run = () => 1;
function chain(automation: (key: string) => C | undefined = () => C.eager()): AssetDefinition[] {
  const a = asset({ key: "a", run });
  const b = asset({ key: "b", ins: { a }, automation: automation("b"), run });
  const c = asset({ key: "c", ins: { b }, automation: automation("c"), run });
  return [a, b, c];
}
function harness(assets: readonly AssetDefinition[], extra: Parameters<typeof defineDefinitions>[0] = {}): AutomationHarness {
  return new AutomationHarness(target.storage, defineDefinitions({ assets, ...extra }));
}
/** One asset "x" (downstream of "up") with `condition`, on a storage of its own: what each evaluation requests. */
async function probe(condition: C, setup: (h: AutomationHarness) => Promise<void> = async () => {}, evaluations = 1): Promise<string[][]> {
  const own = await tempTarget();
  try {
    const up = asset({ key: "up", run });
    const h = new AutomationHarness(own.storage, defineDefinitions({ assets: [up, asset({ key: "x", deps: [up], automation: condition, run })] }));
    await setup(h);
    const out: string[][] = [];
    for (let i = 0; i < evaluations; i++) out.push((await h.evaluate(NOW + i * MINUTE)).requests.flatMap((r) => r.assetKeys));
    return out;
  } finally {
    await own.dispose();
  }
}

describe("evaluateAutomation: eager", () => {
  it("requests a whole missing chain in one run, then nothing until something changes", async () => {
    const h = harness(chain());
    const first = await h.evaluate(NOW);
    // "a" has no condition: "b" and "c" wait for it (any deps missing).
    expect(first.requests).toEqual([]);
    expect(first.cursor).toEqual({ evaluationId: 1, evaluatedAt: NOW, lastEventId: 0 });

    await h.materialize(["a"]);
    const second = await h.evaluate(NOW + MINUTE);
    expect(second.requests).toEqual([{ assetKeys: ["b", "c"], partition: null }]);
    expect(second.evaluationId).toBe(2);
    expect(second.cursor.lastEventId).toBe(await target.storage.getLatestEventId());
    const third = await h.evaluate(NOW + 2 * MINUTE);
    expect(third.requests).toEqual([]);
    // newly_requested is true at the third, false again at the fourth: both kept; a fifth keeps none.
    expect(third.evaluations.map((e) => e.assetKey)).toEqual(["b", "c"]);
    expect((await h.evaluate(NOW + 3 * MINUTE)).evaluations.map((e) => e.assetKey)).toEqual(["b", "c"]);
    const fifth = await h.evaluate(NOW + 4 * MINUTE);
    expect(fifth.evaluations).toEqual([]);
    expect(fifth.allEvaluations.map((e) => e.assetKey)).toEqual(["b", "c"]);
    expect(fifth.assetStates).toEqual([]);
  });

  it("requests the chain in one run when an upstream is newly materialized", async () => {
    const h = harness(chain());
    await h.materialize(["a", "b", "c"]);
    expect((await h.evaluate(NOW)).requests).toEqual([]);
    await h.materialize(["a"]);
    const evaluation = await h.evaluate(NOW + MINUTE);
    expect(evaluation.requests).toEqual([{ assetKeys: ["b", "c"], partition: null }]);
    const c = evaluation.allEvaluations.find((e) => e.assetKey === "c")!;
    expect(c.tree.label).toBe("eager");
    expect(c.requestedKeys).toEqual([""]);
    expect(JSON.stringify(c.tree)).toContain("any_deps_updated");
    expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toEqual([]);
  });

  it("does not request again after a failed run until an upstream updates", async () => {
    const h = harness(chain());
    await h.materialize(["a", "b", "c"]);
    await h.evaluate(NOW);
    await h.materialize(["a"]);
    expect((await h.evaluate(NOW + MINUTE)).requests).toHaveLength(1);
    await h.fail("b");
    expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toEqual([]);
    expect((await h.evaluate(NOW + 3 * MINUTE)).requests).toEqual([]);
    await h.materialize(["a"]);
    expect((await h.evaluate(NOW + 4 * MINUTE)).requests).toEqual([{ assetKeys: ["b", "c"], partition: null }]);
  });

  it("waits while the asset or an upstream is in progress", async () => {
    const h = harness(chain());
    await h.materialize(["a", "b", "c"]);
    await h.evaluate(NOW);
    await h.materialize(["a"]);
    const running = await h.queue(["b"]);
    // "b" is in a queued run: neither it nor "c" (its upstream in progress) is requested.
    expect((await h.evaluate(NOW + MINUTE)).requests).toEqual([]);
    await target.storage.setRunStatus(running, "CANCELED");
    // Still triggered (since last handled): requested once nothing is in progress.
    expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toEqual([{ assetKeys: ["b", "c"], partition: null }]);
  });
});

describe("evaluateAutomation: onCron and onMissing", () => {
  const HOURLY = "0 * * * *";
  it("requests once after each tick, once every dep was updated since it", async () => {
    const h = harness(chain(() => C.onCron(HOURLY)));
    const tick = Date.UTC(2025, 0, 10, 13, 0);
    await h.materialize(["a", "b", "c"], null, tick - 30 * MINUTE);
    await h.evaluate(tick - 10 * MINUTE);
    // Before the tick: nothing.
    expect((await h.evaluate(tick - MINUTE)).requests).toEqual([]);
    // After it, "a" is older than the tick: "b" waits (and "c" for "b").
    expect((await h.evaluate(tick + MINUTE)).requests).toEqual([]);
    await h.materialize(["a"], null, tick + 2 * MINUTE);
    expect((await h.evaluate(tick + 3 * MINUTE)).requests).toEqual([{ assetKeys: ["b", "c"], partition: null }]);
    expect((await h.evaluate(tick + 4 * MINUTE)).requests).toEqual([]);
  });

  it("requests a missing asset once, when its deps are there", async () => {
    const h = harness(chain(() => C.onMissing()));
    expect((await h.evaluate(NOW)).requests).toEqual([]);
    await h.materialize(["a"]);
    expect((await h.evaluate(NOW + MINUTE)).requests).toEqual([{ assetKeys: ["b", "c"], partition: null }]);
    expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toEqual([]);
  });
});

describe("evaluateAutomation: partitions", () => {
  it("requests only the missing keys of static partitions, one run per key", async () => {
    const regions = staticPartitions(["eu", "us", "apac"]);
    const up = asset({ key: "up", partitions: regions, run });
    const down = asset({ key: "down", ins: { up }, partitions: regions, automation: C.eager(), run });
    const h = harness([up, down]);
    for (const k of ["eu", "us", "apac"]) await h.materialize(["up"], k);
    await h.materialize(["down"], "us");
    const evaluation = await h.evaluate(NOW);
    expect(evaluation.requests).toEqual([
      { assetKeys: ["down"], partition: "eu" },
      { assetKeys: ["down"], partition: "apac" },
    ]);
    const tree = evaluation.allEvaluations[0]!.tree;
    expect([tree.candidateCount, tree.trueCount, tree.trueKeys]).toEqual([3, 2, ["eu", "apac"]]);
  });

  it("requests only the latest daily window by default, more with a lookback", async () => {
    const days = dailyPartitions({ start: "2025-01-01" });
    const daily = asset({ key: "daily", partitions: days, automation: C.eager(), run });
    const h = harness([daily]);
    // At NOW (Jan 10, noon) the latest complete window is Jan 9.
    expect((await h.evaluate(NOW)).requests).toEqual([{ assetKeys: ["daily"], partition: "2025-01-09" }]);

    const withLookback = asset({
      key: "daily",
      partitions: days,
      automation: C.and(C.inLatestTimeWindow("2d"), C.missing().newlyTrue()),
      run,
    });
    const other = harness([withLookback]);
    const requested = (await other.evaluate(NOW + 1)).requests.map((r) => r.partition);
    expect(requested).toEqual(["2025-01-07", "2025-01-08", "2025-01-09"]);
  });

  it("requests an upstream and its downstream partition in one run", async () => {
    const days = dailyPartitions({ start: "2025-01-01" });
    const up = asset({ key: "up", partitions: days, automation: C.eager(), run });
    const down = asset({ key: "down", ins: { up }, partitions: days, automation: C.eager(), run });
    const h = harness([up, down]);
    expect((await h.evaluate(NOW)).requests).toEqual([{ assetKeys: ["up", "down"], partition: "2025-01-09" }]);
  });
});

describe("evaluateAutomation: partitions from storage and runs", () => {
  it("reads dynamic partition keys from storage, and counts range runs and multi-asset steps as in progress", async () => {
    const tenants = dynamicPartitions("tenants");
    const h = harness([asset({ key: "t", partitions: tenants, automation: C.missing().and(C.not(C.inProgress())), run })]);
    expect((await h.evaluate(NOW)).requests).toEqual([]);
    await target.storage.addDynamicPartitions("tenants", ["acme", "globex", "initech"]);
    await h.queue(["t"], null, { [PARTITION_RANGE_START_TAG]: "acme", [PARTITION_RANGE_END_TAG]: "globex" });
    expect((await h.evaluate(NOW + MINUTE)).requests).toEqual([{ assetKeys: ["t"], partition: "initech" }]);

    const m = multiAsset({ name: "m", outs: { one: { key: "one", automation: C.inProgress() } }, run: () => ({ one: 1 }) });
    const multi = new AutomationHarness(target.storage, defineDefinitions({ assets: [m] }));
    await multi.queue(["m"]);
    expect((await multi.evaluate(NOW)).requests).toEqual([{ assetKeys: ["one"], partition: null }]);
  });
});

describe("evaluateAutomation: state", () => {
  it("carries since and newly_true from one evaluation to the next", async () => {
    // True from an update of "up" until "x" is materialized.
    const condition = C.anyDepsMatch(C.newlyUpdated()).since(C.newlyUpdated());
    const h = harness([asset({ key: "up", run }), asset({ key: "x", deps: ["up"], automation: condition, run })]);
    await h.evaluate(NOW);
    await h.materialize(["up"]);
    expect((await h.evaluate(NOW + MINUTE)).requests).toHaveLength(1);
    expect(h.states.get("x")!.nodes).toEqual({ "0": [""] });
    expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toHaveLength(1);
    await h.materialize(["x"]);
    expect((await h.evaluate(NOW + 3 * MINUTE)).requests).toEqual([]);
    expect(h.states.get("x")!.nodes).toEqual({});

    // newly_true: true at the evaluation where its child became true only.
    const newly = harness([asset({ key: "y", automation: C.missing().newlyTrue(), run })]);
    expect((await newly.evaluate(NOW)).requests).toHaveLength(1);
    expect((await newly.evaluate(NOW + MINUTE)).requests).toEqual([]);
  });

  it("starts over when the condition is edited, and drops the states of assets without one", async () => {
    const h = harness([asset({ key: "y", automation: C.missing().newlyTrue(), run })]);
    expect((await h.evaluate(NOW)).requests).toHaveLength(1);
    expect((await h.evaluate(NOW + MINUTE)).requests).toEqual([]);
    h.defs = defineDefinitions({ assets: [asset({ key: "y", automation: C.missing().newlyTrue().withLabel("edited"), run })] });
    const edited = await h.evaluate(NOW + 2 * MINUTE);
    expect(edited.requests).toHaveLength(1);
    h.defs = defineDefinitions({ assets: [asset({ key: "y", run })] });
    expect((await h.evaluate(NOW + 3 * MINUTE)).deleteAssetStates).toEqual(["y"]);
    expect(h.states.size).toBe(0);
  });
});

describe("evaluateAutomation: primitives", () => {
  it("missing, newly_updated, initial_evaluation", async () => {
    expect(await probe(C.missing(), async () => {}, 2)).toEqual([["x"], ["x"]]);
    expect(await probe(C.initialEvaluation(), async () => {}, 2)).toEqual([["x"], []]);
    // No cursor: nothing is newly updated; then what was materialized after the previous evaluation.
    const h = harness([asset({ key: "x", automation: C.newlyUpdated(), run })]);
    await h.materialize(["x"]);
    expect((await h.evaluate(NOW)).requests).toEqual([]);
    await h.materialize(["x"]);
    expect((await h.evaluate(NOW + MINUTE)).requests).toHaveLength(1);
    expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toEqual([]);
  });

  it("newly_requested, will_be_requested, in_progress, execution_failed", async () => {
    // Requested at one evaluation out of two.
    expect(await probe(C.not(C.newlyRequested()), async () => {}, 3)).toEqual([["x"], [], ["x"]]);
    expect(await probe(C.anyDepsMatch(C.willBeRequested()))).toEqual([[]]);
    const up = asset({ key: "up", automation: C.missing(), run });
    const h = harness([up, asset({ key: "x", deps: [up], automation: C.anyDepsMatch(C.willBeRequested()), run })]);
    expect((await h.evaluate(NOW)).requests).toEqual([{ assetKeys: ["up", "x"], partition: null }]);

    expect(await probe(C.inProgress(), async (p) => void (await p.queue(["x"])))).toEqual([["x"]]);
    expect(await probe(C.inProgress(), async (p) => void (await p.queue(["up"])))).toEqual([[]]);
    expect(await probe(C.anyDepsInProgress(), async (p) => void (await p.queue(["up"])))).toEqual([["x"]]);
    expect(await probe(C.executionFailed(), async (p) => void (await p.fail("x")))).toEqual([["x"]]);
    expect(await probe(C.executionFailed(), async (p) => void (await p.materialize(["x"])))).toEqual([[]]);
  });

  it("checks_passed", async () => {
    const x = asset({ key: "x", automation: C.checksPassed(), run });
    const check = assetCheck({ asset: x, name: "rows", run: () => ({ passed: true }) });
    const h = harness([x], { assetChecks: [check] });
    expect((await h.evaluate(NOW)).requests).toEqual([]);
    const runId = await h.materialize(["x"]);
    await target.storage.storeEvent({ runId, type: EventType.AssetCheckEvaluation, assetKey: "x", stepKey: "x:rows", data: { checkName: "rows", status: "PASSED", passed: true, severity: "ERROR", description: null, metadata: {} } });
    expect((await h.evaluate(NOW + MINUTE)).requests).toHaveLength(1);
    expect(await probe(C.checksPassed())).toEqual([["x"]]);
  });

  it("cron_tick_passed, all_deps_match, ignore and allow", async () => {
    const tick = Date.UTC(2025, 0, 10, 13, 0);
    const h = harness([asset({ key: "x", automation: C.cronTickPassed("0 * * * *"), run })]);
    expect((await h.evaluate(tick - MINUTE)).requests).toEqual([]);
    expect((await h.evaluate(tick)).requests).toHaveLength(1);
    expect((await h.evaluate(tick + MINUTE)).requests).toEqual([]);

    const a = asset({ key: "a", run });
    const b = asset({ key: "b", run });
    const make = (condition: C) => harness([a, b, asset({ key: "x", deps: [a, b], automation: condition, run })]);
    const all = make(C.allDepsMatch(C.missing().not()));
    await all.materialize(["a"]);
    expect((await all.evaluate(NOW)).requests).toEqual([]);
    expect((await make(C.allDepsMatch(C.missing().not(), { ignore: ["b"] })).evaluate(NOW)).requests).toHaveLength(1);
    expect((await make(C.anyDepsMatch(C.missing(), { allow: ["a"] })).evaluate(NOW)).requests).toEqual([]);
    expect((await make(C.anyDepsMatch(C.missing())).evaluate(NOW)).requests).toHaveLength(1);
  });
});

describe("evaluateAutomation on Postgres", () => {
  it("reads the same facts: materializations, failures, runs in flight, partitions", async () => {
    const schema = newTestSchemaName("automation");
    const storage = await openPostgresStorage(TEST_POSTGRES_URL, { schema });
    try {
      const regions = staticPartitions(["eu", "us"]);
      const [a, b, c] = chain();
      const r = asset({ key: "r", partitions: regions, automation: C.eager(), run });
      const h = new AutomationHarness(storage, defineDefinitions({ assets: [a!, b!, c!, r] }));
      await h.materialize(["a", "b", "c"]);
      await h.materialize(["r"], "us");
      expect((await h.evaluate(NOW)).requests).toEqual([{ assetKeys: ["r"], partition: "eu" }]);
      await h.materialize(["a"]);
      const queued = await h.queue(["b"]);
      expect((await h.evaluate(NOW + MINUTE)).requests).toEqual([]);
      await storage.setRunStatus(queued, "CANCELED");
      await h.fail("b");
      expect((await h.evaluate(NOW + 2 * MINUTE)).requests).toEqual([{ assetKeys: ["b", "c"], partition: null }]);
      expect((await h.evaluate(NOW + 3 * MINUTE)).requests).toEqual([]);
      expect(h.cursor!.lastEventId).toBe(await storage.getLatestEventId());
    } finally {
      await storage.close();
      await dropTestSchemas([schema]);
    }
  });
});
