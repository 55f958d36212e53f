import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { asset, type AssetDefinition } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { EventType, type NewEvent } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { materializeAssets } from "../runs/materialize-assets.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { RunEventWriter } from "./run-event-writer.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

/** The real storage, recording the event types of each transaction it is asked to commit. */
function countingTransactions(storage: Storage): { storage: Storage; transactions: string[][] } {
  const transactions: string[][] = [];
  const counting = new Proxy(storage, {
    get(target, prop) {
      if (prop === "storeEvent")
        return (event: NewEvent) => {
          transactions.push([event.type]);
          return target.storeEvent(event);
        };
      if (prop === "storeEvents")
        return (events: NewEvent[]) => {
          transactions.push(events.map((e) => e.type));
          return target.storeEvents(events);
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage: counting, transactions };
}

const hops = async (n: number) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

describe("RunEventWriter", () => {
  it("commits events written several promise hops apart in one transaction, in order", async () => {
    const run = await target.storage.createRun({ runId: crypto.randomUUID(), jobName: "__asset_job", selection: [] });
    const { storage, transactions } = countingTransactions(target.storage);
    const writer = new RunEventWriter(storage);
    const first = writer.write({ runId: run.runId, type: EventType.Log, message: "one" });
    await hops(10);
    const second = writer.write({ runId: run.runId, type: EventType.Log, message: "two" });
    const [a, b] = await Promise.all([first, second]);
    expect(transactions).toEqual([["LOG", "LOG"]]);
    expect(b.id).toBeGreaterThan(a.id);
    expect((await target.storage.getEvents(run.runId)).map((e) => e.message)).toEqual(["one", "two"]);
  });

  it("batches what the resumed callers write next after each commit", async () => {
    const run = await target.storage.createRun({ runId: crypto.randomUUID(), jobName: "__asset_job", selection: [] });
    const { storage, transactions } = countingTransactions(target.storage);
    const writer = new RunEventWriter(storage);
    await writer.write({ runId: run.runId, type: EventType.Log, message: "start" });
    // Three callers resume from the same commit and each write after a few hops.
    await Promise.all(
      [1, 2, 3].map(async (i) => {
        await hops(i * 3);
        await writer.write({ runId: run.runId, type: EventType.Log, message: `caller ${i}` });
      }),
    );
    expect(transactions).toEqual([["LOG"], ["LOG", "LOG", "LOG"]]);
  });

  it("gathers LOG lines written on separate ticks, and commits at once when another event comes", async () => {
    const run = await target.storage.createRun({ runId: crypto.randomUUID(), jobName: "__asset_job", selection: [] });
    const { storage, transactions } = countingTransactions(target.storage);
    const writer = new RunEventWriter(storage);
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    const lines: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      lines.push(writer.write({ runId: run.runId, type: EventType.Log, message: `line ${i}` }));
      await tick();
    }
    await Promise.all(lines);
    // One commit per tick would be 50; each batch waits a few milliseconds for more lines.
    expect(transactions.length).toBeLessThan(50);
    expect(transactions.flat()).toHaveLength(50);

    // A line, then on the next tick an event some caller awaits: both go in one commit, the
    // awaited event not held back until the line's wait runs out.
    transactions.length = 0;
    void writer.write({ runId: run.runId, type: EventType.Log, message: "before the step" });
    await tick();
    await writer.write({ runId: run.runId, type: EventType.StepStart, stepKey: "s", message: "Started step." });
    expect(transactions).toEqual([["LOG", "STEP_START"]]);
    expect((await target.storage.getEvents(run.runId)).map((e) => e.message).slice(-2)).toEqual(["before the step", "Started step."]);
  });

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
