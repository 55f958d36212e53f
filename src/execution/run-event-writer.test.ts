import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventType } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.js";
import { countingTransactions } from "../storage/testing/counting-transactions.js";
import { RunEventWriter } from "./run-event-writer.js";

let dir: string;
let target: { storage: Storage };
beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "sluice-writer-"));
  target = { storage: await openSqliteStorage(path.join(dir, "sluice.db")) };
});
afterEach(async () => {
  await target.storage.close();
  rmSync(dir, { recursive: true, force: true });
});

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
});
