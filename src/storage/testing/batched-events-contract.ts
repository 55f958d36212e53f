import { describe, expect, it } from "vitest";
import { fuzzSeed, seededRandom } from "../../definitions/selection/testing/selection-fuzz.js";
import type { NewEvent } from "../records.js";
import { newEvent, queuedRecord, type StorageFixture } from "./contract-helpers.js";

const RUNS = ["r1", "r2", "r3"];
const ASSETS = ["x", "y"];
const PARTITIONS = [null, "p1", "p2"];

/** One random event of the kinds that have side effects, named in namespace `ns` (runs and assets). */
function randomEvent(next: () => number, ns: string, i: number): NewEvent {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  // Mostly one run, as a run's own writer batches its events; now and then another's.
  const runRoll = next();
  const runId = `${ns}${runRoll < 0.75 ? RUNS[0] : runRoll < 0.92 ? RUNS[1] : RUNS[2]}`;
  const assetKey = `${ns}${pick(ASSETS)}`;
  const partition = pick(PARTITIONS);
  const roll = next();
  if (roll < 0.18) return newEvent(runId, "STEP_START", { stepKey: assetKey, assetKey, partition, message: `start ${i}` });
  if (roll < 0.36) {
    const json = next() < 0.7 ? Buffer.from(JSON.stringify({ i })) : null;
    return newEvent(runId, "ASSET_MATERIALIZATION", {
      stepKey: assetKey,
      assetKey,
      partition,
      message: `materialized ${i}`,
      data: { metadata: { i: { type: "int", value: i } }, ...(next() < 0.5 ? { dataVersion: `v${i}` } : {}) },
      ...(next() < 0.8 ? { value: { owner: "asset" as const, name: assetKey, partition, json } } : {}),
    });
  }
  if (roll < 0.5) return newEvent(runId, "STEP_FAILURE", { stepKey: assetKey, assetKey, partition, message: `failed ${i}` });
  if (roll < 0.56) return newEvent(runId, "STEP_SKIPPED", { stepKey: assetKey, assetKey, partition, message: `skipped ${i}` });
  if (roll < 0.64) {
    // A multi-asset's step: no asset key of its own, the assets it materializes in data.
    return newEvent(runId, pick(["STEP_START", "STEP_FAILURE"] as const), { stepKey: `${ns}multi`, assetKey: null, partition, message: `multi ${i}`, data: { assetKeys: ASSETS.map((a) => `${ns}${a}`) } });
  }
  if (roll < 0.72) return newEvent(runId, "ASSET_OBSERVATION", { assetKey, partition, message: `observed ${i}`, data: { dataVersion: `o${i}` } });
  if (roll < 0.78) return newEvent(runId, "STEP_SUCCESS", { stepKey: assetKey, assetKey, partition, message: `succeeded ${i}` });
  if (roll < 0.82) return newEvent(runId, "RUN_START", { message: `run start ${i}` });
  if (roll < 0.85) return newEvent(runId, "RUN_FAILURE", { message: `run failure ${i}` });
  return newEvent(runId, "LOG", { stepKey: assetKey, message: `log ${i}` });
}

/** Contract: storing events in batches leaves exactly what storing them one by one leaves. */
export function describeBatchedEventsContract(s: StorageFixture): void {
  describe("batched events", () => {
    it("store a batch far larger than a statement's parameters allow, in order", async () => {
      await s().createRun(queuedRecord("big"));
      const events: NewEvent[] = [];
      for (let i = 0; i < 12_000; i++) {
        events.push(
          i % 10 === 9
            ? newEvent("big", "ASSET_MATERIALIZATION", { stepKey: `a${i % 500}`, assetKey: `a${i % 500}`, message: `m ${i}`, value: { owner: "asset", name: `a${i % 500}`, partition: null, json: Buffer.from(String(i)) } })
            : newEvent("big", "LOG", { message: `line ${i}` }),
        );
      }
      const stored = await s().storeEvents(events);
      expect(stored.map((e) => e.message)).toEqual(events.map((e) => e.message));
      expect(stored.every((e, i) => i === 0 || e.id > stored[i - 1]!.id)).toBe(true);
      expect((await s().getEvents("big")).map((e) => e.id)).toEqual(stored.map((e) => e.id));
      // The newest of each key: a499 last materialized by event 11999.
      expect(Buffer.from((await s().getStoredValue("asset", "a499", null))!.json!).toString()).toBe("11999");
      expect((await s().getAssetIndex(["a499"]))[0]!.eventId).toBe(stored[11_999]!.id);
    });

    it("store step events of a multi-asset over many partitions, whose status rows exceed a statement's parameters", async () => {
      await s().createRun(queuedRecord("multi"));
      const assetKeys = Array.from({ length: 100 }, (_, i) => `m${i}`);
      // 400 events × 100 assets, each event its own partition: 40,000 status rows.
      const events = Array.from({ length: 400 }, (_, i) => newEvent("multi", "STEP_START", { stepKey: "multi", partition: `p${String(i).padStart(3, "0")}`, data: { assetKeys } }));
      const stored = await s().storeEvents(events);
      expect(stored).toHaveLength(400);
      const statuses = await s().getAssetPartitionStatuses("m99");
      expect(statuses).toHaveLength(400);
      expect(statuses.every((row) => row.status === "IN_PROGRESS" && row.runId === "multi")).toBe(true);
    });

    it("keep a run's materialization against its later failures in one batch, unless the run started the step again", async () => {
      await s().createRun(queuedRecord("r"));
      await s().createRun(queuedRecord("other"));
      const status = async (assetKey: string) => (await s().getLatestAttempts([assetKey])).map((a) => [a.status, a.runId]);
      const ev = (runId: string, type: "STEP_START" | "STEP_FAILURE" | "ASSET_MATERIALIZATION", assetKey: string) => newEvent(runId, type, { stepKey: assetKey, assetKey });
      for (const key of ["a", "b", "c", "d"]) await s().storeEvent(ev("r", "ASSET_MATERIALIZATION", key));
      // Two failures of the materializing run: both refused.
      await s().storeEvents([ev("r", "STEP_FAILURE", "a"), ev("r", "STEP_FAILURE", "a")]);
      expect(await status("a")).toEqual([["MATERIALIZED", "r"]]);
      // A failure refused, then the step started again: in progress.
      await s().storeEvents([ev("r", "STEP_FAILURE", "b"), ev("r", "STEP_START", "b")]);
      expect(await status("b")).toEqual([["IN_PROGRESS", "r"]]);
      // Started again, then failed: failed.
      await s().storeEvents([ev("r", "STEP_START", "c"), ev("r", "STEP_FAILURE", "c")]);
      expect(await status("c")).toEqual([["FAILED", "r"]]);
      // Another run's failure is not the materializing run's: it counts.
      await s().storeEvents([ev("other", "STEP_FAILURE", "d"), ev("other", "STEP_FAILURE", "d")]);
      expect(await status("d")).toEqual([["FAILED", "other"]]);
    });

    it("leave the same events, run statuses, asset index, partition statuses, observations and values as one by one", async () => {
      const seed = fuzzSeed();
      const next = seededRandom(seed);
      for (const ns of ["one:", "batch:"]) for (const r of RUNS) await s().createRun(queuedRecord(`${ns}${r}`));
      const count = 300;
      const sequence = Array.from({ length: count }, (_, i) => randomEvent(next, "", i));
      const named = (ns: string, e: NewEvent): NewEvent => ({
        ...e,
        runId: `${ns}${e.runId}`,
        ...(e.assetKey ? { assetKey: `${ns}${e.assetKey}` } : {}),
        ...(e.stepKey ? { stepKey: `${ns}${e.stepKey}` } : {}),
        ...(e.data?.assetKeys ? { data: { ...e.data, assetKeys: (e.data.assetKeys as string[]).map((k) => `${ns}${k}`) } } : {}),
        ...(e.value ? { value: { ...e.value, name: `${ns}${e.value.name}` } } : {}),
      });
      const statuses = async (ns: string) =>
        (await s().getLatestAttempts(ASSETS.map((a) => `${ns}${a}`))).map((row) => [row.assetKey.replace(ns, ""), row.partition, row.status, row.runId.replace(ns, "")]);
      // In lockstep, comparing after each batch: the last event of a key hides most of what came before.
      for (let i = 0; i < count; ) {
        const size = 1 + Math.floor(next() * 12);
        const slice = sequence.slice(i, i + size);
        for (const e of slice) await s().storeEvent(named("one:", e));
        await s().storeEvents(slice.map((e) => named("batch:", e)));
        expect(await statuses("batch:"), `after events ${i}..${i + slice.length - 1}, seed ${seed} (replay with FUZZ_SEED=${seed})`).toEqual(await statuses("one:"));
        i += size;
      }

      const strip = (ns: string, text: string | null) => (text === null ? null : text.replaceAll(ns, ""));
      const read = async (ns: string) => {
        const keys = ASSETS.map((a) => `${ns}${a}`);
        const events = [];
        const runs = [];
        for (const r of RUNS) {
          events.push((await s().getEvents(`${ns}${r}`)).map((e) => [e.type, strip(ns, e.stepKey), strip(ns, e.assetKey), e.partition, strip(ns, e.message)]));
          runs.push((await s().getRun(`${ns}${r}`))!.status);
        }
        const index = (await s().getAssetIndex(keys)).map((row) => [strip(ns, row.assetKey), row.partition, strip(ns, row.runId), row.metadata, row.dataVersion]);
        const statuses = (await s().getLatestAttempts(keys)).map((row) => [strip(ns, row.assetKey), row.partition, row.status, strip(ns, row.runId)]);
        const observations = (await s().getLatestObservations(keys)).map((o) => [strip(ns, o.assetKey), o.partition, o.dataVersion, strip(ns, o.runId)]);
        const values = [];
        for (const a of keys) {
          for (const p of PARTITIONS) {
            const v = await s().getStoredValue("asset", a, p);
            values.push(v === undefined ? "none" : v.json === null ? "file" : Buffer.from(v.json).toString("utf8"));
          }
        }
        return { events, runs, index, statuses, observations, values };
      };
      const one = await read("one:");
      const batch = await read("batch:");
      expect(batch, `seed ${seed} (replay with FUZZ_SEED=${seed})`).toEqual(one);
      // The sequence exercised what it is meant to (a vacuous comparison would prove nothing).
      expect(one.statuses.length).toBeGreaterThan(2);
      expect(one.values.filter((v) => v !== "none").length).toBeGreaterThan(1);
    });
  });
}
