import { describe, expect, it } from "vitest";
import type {
  AssetAutomationState,
  AutomationTickWrite,
  ConditionNodeEvaluation,
  NewAssetEvaluation,
} from "../automation-records.js";
import { AUTOMATION_INSTIGATOR } from "../automation-records.js";
import { MAX_EVALUATIONS_PER_ASSET, MAX_TREE_CHARS } from "../automation-storage.js";
import { caught, expectSluiceError, freezeTime, queuedRecord, type StorageFixture } from "./contract-helpers.js";

function tree(trueCount: number, children: ConditionNodeEvaluation[] = []): ConditionNodeEvaluation {
  return { type: "missing", label: null, description: "missing", params: {}, candidateCount: 1, trueCount, trueKeys: trueCount > 0 ? [""] : [], children };
}

function evaluation(assetKey: string, evaluationId: number, requested: string[] = []): NewAssetEvaluation {
  return { assetKey, evaluationId, evaluatedAt: evaluationId * 1000, requestedCount: requested.length, requestedKeys: requested, tree: tree(requested.length) };
}

function state(assetKey: string, requested: string[] = []): AssetAutomationState {
  return { assetKey, conditionHash: `h-${assetKey}`, nodes: { "0": requested }, requested, resultHash: null };
}

/** An evaluation following `previous`, with nothing in it unless given. */
function tickWrite(previous: number, extra: Partial<AutomationTickWrite> = {}): AutomationTickWrite {
  const evaluationId = previous + 1;
  return {
    previousEvaluationId: previous,
    cursor: { evaluationId, evaluatedAt: evaluationId * 1000, lastEventId: evaluationId * 10 },
    assetStates: [],
    deleteAssetStates: [],
    evaluations: [],
    launches: [],
    ...extra,
  };
}

/**
 * Contract of the automation loop's records: cursor compare-and-set (a stale evaluation stores
 * nothing), runs and evaluations and states and a tick in one transaction, bounded history.
 */
export function describeAutomationContract(s: StorageFixture): void {
  describe("automation records", () => {
    it("starts with no cursor, no states and no evaluations", async () => {
      expect(await s().getAutomationCursor()).toBeUndefined();
      expect(await s().getAutomationStates()).toEqual([]);
      expect(await s().getAutomationEvaluations("a")).toEqual([]);
      expect(await s().listTicks(AUTOMATION_INSTIGATOR)).toEqual([]);
    });

    it("records an evaluation: runs, evaluations with their runs, states, cursor and a SUCCESS tick", async () => {
      freezeTime(5_000);
      const result = await s().recordAutomationTick(
        tickWrite(0, {
          assetStates: [state("a", [""]), state("b", [""]), state("c")],
          evaluations: [evaluation("a", 1, [""]), evaluation("b", 1, [""]), evaluation("c", 1)],
          launches: [
            { run: { ...queuedRecord("run-ab"), selection: ["a", "b"], tags: { "sluice/automation_evaluation": "1" } }, assetKeys: ["a", "b"] },
            { run: { ...queuedRecord("run-b2"), selection: ["b"], partition: "p" }, assetKeys: ["b"] },
          ],
        }),
      );
      expect(result.recorded).toBe(true);
      expect(result.runs.map((r) => [r.runId, r.status, r.partition])).toEqual([["run-ab", "QUEUED", null], ["run-b2", "QUEUED", "p"]]);
      expect((await s().getRun("run-ab"))?.tags).toEqual({ "sluice/automation_evaluation": "1" });
      expect(await s().getAutomationCursor()).toEqual({ evaluationId: 1, evaluatedAt: 1000, lastEventId: 10 });
      expect((await s().getAutomationStates()).map((st) => [st.assetKey, st.requested])).toEqual([["a", [""]], ["b", [""]], ["c", []]]);
      expect(await s().getAutomationStates()).toContainEqual(state("a", [""]));

      const [a] = await s().getAutomationEvaluations("a");
      expect(a).toEqual({ ...evaluation("a", 1, [""]), id: expect.any(Number), runIds: ["run-ab"] });
      expect((await s().getAutomationEvaluations("b"))[0]?.runIds).toEqual(["run-ab", "run-b2"]);
      expect((await s().getAutomationEvaluations("c"))[0]?.runIds).toEqual([]);

      const ticks = await s().listTicks(AUTOMATION_INSTIGATOR);
      expect(ticks).toEqual([
        {
          id: expect.any(Number),
          instigatorName: AUTOMATION_INSTIGATOR,
          type: "AUTOMATION",
          tickTime: 1000,
          status: "SUCCESS",
          runIds: ["run-ab", "run-b2"],
          skippedRunKeys: [],
          skipReason: null,
          error: null,
          cursor: "1",
          createdAt: 5_000,
          updatedAt: 5_000,
        },
      ]);
    });

    it("records an evaluation without runs as a SKIPPED tick, and updates and deletes states", async () => {
      await s().recordAutomationTick(tickWrite(0, { assetStates: [state("a"), state("b")] }));
      const second = await s().recordAutomationTick(tickWrite(1, { assetStates: [state("a", ["x"])], deleteAssetStates: ["b", "never-stored"] }));
      expect(second).toEqual({ recorded: true, runs: [] });
      expect(await s().getAutomationStates()).toEqual([state("a", ["x"])]);
      const [tick] = await s().listTicks(AUTOMATION_INSTIGATOR, { limit: 1 });
      expect(tick).toMatchObject({ status: "SKIPPED", runIds: [], cursor: "2" });
      expect(tick?.skipReason).toMatch(/requested/);
    });

    it("stores nothing for a stale evaluation: two writers never both record one", async () => {
      await s().recordAutomationTick(tickWrite(0));
      await s().recordAutomationTick(tickWrite(1));
      for (const stale of [0, 1, 5]) {
        const result = await s().recordAutomationTick(
          tickWrite(stale, {
            assetStates: [state("stale")],
            evaluations: [evaluation("stale", stale + 1)],
            launches: [{ run: queuedRecord(`stale-run-${stale}`), assetKeys: ["stale"] }],
          }),
        );
        expect(result).toEqual({ recorded: false, runs: [] });
        expect(await s().getRun(`stale-run-${stale}`)).toBeUndefined();
      }
      expect(await s().getAutomationCursor()).toMatchObject({ evaluationId: 2 });
      expect(await s().getAutomationStates()).toEqual([]);
      expect(await s().getAutomationEvaluations("stale")).toEqual([]);
      expect((await s().listTicks(AUTOMATION_INSTIGATOR)).length).toBe(2);
    });

    it("lets exactly one of two storages racing on the same evaluation record it", async () => {
      const other = await s.openAnother();
      await s().recordAutomationTick(tickWrite(0));
      for (let round = 1; round <= 3; round++) {
        const writes = [s(), other].map((storage, i) =>
          storage.recordAutomationTick(tickWrite(round, { launches: [{ run: queuedRecord(`r${round}-${i}`), assetKeys: ["a"] }] })),
        );
        const results = await Promise.all(writes);
        expect(results.map((r) => r.recorded).sort()).toEqual([false, true]);
        expect((await s().listRuns()).filter((r) => r.runId.startsWith(`r${round}-`)).length).toBe(1);
      }
      expect(await other.getAutomationCursor()).toMatchObject({ evaluationId: 4 });
      expect(await s().countRuns()).toBe(3);
    });

    it("stores nothing when a run id exists, and rejects a cursor that does not move forward", async () => {
      await s().createRun(queuedRecord("taken"));
      const err = await caught(
        s().recordAutomationTick(tickWrite(0, { assetStates: [state("a")], launches: [{ run: queuedRecord("taken"), assetKeys: ["a"] }] })),
      );
      expectSluiceError(err, "STORAGE_ERROR", /taken/);
      expect(await s().getAutomationCursor()).toBeUndefined();
      expect(await s().getAutomationStates()).toEqual([]);
      expect(await s().listTicks(AUTOMATION_INSTIGATOR)).toEqual([]);

      const backwards = await caught(s().recordAutomationTick({ ...tickWrite(0), cursor: { evaluationId: 0, evaluatedAt: 1, lastEventId: 0 } }));
      expectSluiceError(backwards, "STORAGE_ERROR", /does not follow/);
    });

    it("pages evaluations newest first, by beforeId, limit and time", async () => {
      for (let id = 1; id <= 5; id++) {
        await s().recordAutomationTick(tickWrite(id - 1, { evaluations: [evaluation("a", id), evaluation("other", id)] }));
      }
      const all = await s().getAutomationEvaluations("a");
      expect(all.map((e) => e.evaluationId)).toEqual([5, 4, 3, 2, 1]);
      expect((await s().getAutomationEvaluations("a", { limit: 2 })).map((e) => e.evaluationId)).toEqual([5, 4]);
      expect((await s().getAutomationEvaluations("a", { beforeId: all[1]!.id, limit: 2 })).map((e) => e.evaluationId)).toEqual([3, 2]);
      expect((await s().getAutomationEvaluations("a", { at: 3000 })).map((e) => e.evaluationId)).toEqual([3, 2, 1]);
      expect((await s().getAutomationEvaluations("a", { at: 999 }))).toEqual([]);
      expect(await s().getAutomationEvaluations("a", { limit: 0 })).toEqual([]);
    });

    it(`keeps the newest ${MAX_EVALUATIONS_PER_ASSET} evaluations of an asset`, async () => {
      const many = Array.from({ length: MAX_EVALUATIONS_PER_ASSET + 3 }, (_, i) => ({ ...evaluation("a", 1), evaluatedAt: i }));
      await s().recordAutomationTick(tickWrite(0, { evaluations: many.slice(0, MAX_EVALUATIONS_PER_ASSET - 1), launches: [] }));
      await s().recordAutomationTick(tickWrite(1, { evaluations: [...many.slice(MAX_EVALUATIONS_PER_ASSET - 1), evaluation("b", 2)] }));
      const kept = await s().getAutomationEvaluations("a");
      expect(kept.length).toBe(MAX_EVALUATIONS_PER_ASSET);
      expect(kept[0]!.evaluatedAt).toBe(MAX_EVALUATIONS_PER_ASSET + 2);
      expect(kept.at(-1)!.evaluatedAt).toBe(3);
      expect((await s().getAutomationEvaluations("b")).length).toBe(1);
    });

    it("keeps the root of a tree too large to store", async () => {
      const wide = tree(1, Array.from({ length: 2000 }, () => ({ ...tree(0), description: "x".repeat(200) })));
      await s().recordAutomationTick(tickWrite(0, { evaluations: [{ ...evaluation("a", 1), tree: wide }] }));
      const [stored] = await s().getAutomationEvaluations("a");
      expect(JSON.stringify(wide).length).toBeGreaterThan(MAX_TREE_CHARS);
      expect(stored!.tree).toMatchObject({ type: "missing", trueCount: 1, children: [] });
      expect(stored!.tree.description).toMatch(/too large/);
    });
  });
}
