import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputNotMaterializedError, SerializationError } from "../definitions/errors.js";
import type { StepLogger } from "../definitions/step-logger.js";
import { EventType, type StoredValue } from "../storage/records.js";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.js";
import type { Storage } from "../storage/storage.js";
import { DefaultIOManager } from "./default-io-manager.js";
import type { InputContext, OutputContext } from "./io-manager.js";

const log: StepLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let dir: string;
let storage: Storage;
let valuesDir: string;
const RUN = "run-1";

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "sluice-default-io-"));
  storage = await openSqliteStorage(path.join(dir, "sluice.db"));
  valuesDir = path.join(dir, "storage");
  await storage.createRun({ runId: RUN, jobName: "__asset_job", selection: [] });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const out = (assetKey: string | null, partitionKey: string | null = null, stepKey = assetKey ?? "op"): OutputContext => ({ assetKey, stepKey, runId: RUN, partitionKey, definitionMetadata: {}, log });
const inp = (assetKey: string | null, partitionKey: string | null = null, upstreamStepKey = assetKey ?? "op", upstreamRunId: string | null = null): InputContext => ({
  assetKey,
  upstreamStepKey,
  upstreamRunId,
  downstreamKey: "down",
  inputName: "x",
  runId: "run-2",
  partitionKey,
  log,
});

/** What the step runner does: prepare, then store the value with the event that records it. */
async function materialize(io: DefaultIOManager, context: OutputContext, value: unknown): Promise<StoredValue> {
  const prepared = await io.prepareOutput(context, value);
  await storage.storeEvent({ runId: RUN, type: context.assetKey !== null ? EventType.AssetMaterialization : EventType.StepOutput, assetKey: context.assetKey, stepKey: context.stepKey, partition: context.partitionKey, value: prepared });
  return prepared;
}

describe("DefaultIOManager", () => {
  it("keeps a small value in the database with its event, writing no file, and loads it back", async () => {
    const io = new DefaultIOManager(storage, valuesDir);
    const value = { rows: [{ id: 1, name: "naïve ☃" }], total: 1.5, ok: true, none: null };
    const prepared = await materialize(io, out("raw/orders"), value);
    expect(prepared.json).not.toBeNull();
    expect(existsSync(path.join(valuesDir, "raw", "orders.json"))).toBe(false);
    expect(await io.loadInput(inp("raw/orders"))).toEqual(value);
    // Another instance of the manager (a later run, a worker elsewhere) reads the same.
    expect(await new DefaultIOManager(storage, path.join(dir, "elsewhere")).loadInput(inp("raw/orders"))).toEqual(value);
  });

  it("prepares without storing: until its event is stored the value is not there", async () => {
    const io = new DefaultIOManager(storage, valuesDir);
    await io.prepareOutput(out("a"), [1]);
    await expect(io.loadInput(inp("a"))).rejects.toBeInstanceOf(InputNotMaterializedError);
  });

  it("writes a value over the limit to its file before the event, and the event records it is there", async () => {
    const io = new DefaultIOManager(storage, valuesDir, 100);
    const big = Array.from({ length: 50 }, (_, i) => i);
    const prepared = await io.prepareOutput(out("big", "2025-01-01"), big);
    expect(prepared.json).toBeNull();
    const file = path.join(valuesDir, "big", "2025-01-01.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(big);
    await storage.storeEvent({ runId: RUN, type: EventType.AssetMaterialization, assetKey: "big", partition: "2025-01-01", value: prepared });
    expect(await io.loadInput(inp("big", "2025-01-01"))).toEqual(big);
  });

  it("counts the limit in UTF-8 bytes", async () => {
    const io = new DefaultIOManager(storage, valuesDir, 100);
    // 40 characters of 3 bytes each: 122 bytes of JSON, over the limit though 42 characters long.
    expect((await io.prepareOutput(out("wide"), "☃".repeat(40))).json).toBeNull();
    expect((await io.prepareOutput(out("narrow"), "a".repeat(90))).json).not.toBeNull();
  });

  it("loads the newest of a value that moved between the database and its file, either way", async () => {
    const io = new DefaultIOManager(storage, valuesDir, 100);
    const big = "x".repeat(200);
    await materialize(io, out("v"), "small 1");
    await materialize(io, out("v"), big);
    expect(await io.loadInput(inp("v"))).toBe(big);
    await materialize(io, out("v"), "small 2");
    expect(await io.loadInput(inp("v"))).toBe("small 2");
  });

  it("still loads a value stored as a file only, as earlier versions stored every value", async () => {
    mkdirSync(path.join(valuesDir, "legacy"), { recursive: true });
    writeFileSync(path.join(valuesDir, "legacy", "table.json"), JSON.stringify({ old: true }));
    const io = new DefaultIOManager(storage, valuesDir);
    expect(await io.loadInput(inp("legacy/table"))).toEqual({ old: true });
    await expect(io.loadInput(inp("never/materialized"))).rejects.toBeInstanceOf(InputNotMaterializedError);
  });

  it("keeps an op's output per run, for a re-execution to load from the run that made it", async () => {
    const io = new DefaultIOManager(storage, valuesDir);
    await materialize(io, out(null, null, "bill"), { billed: 3 });
    expect(await io.loadInput(inp(null, null, "bill", RUN))).toEqual({ billed: 3 });
    await expect(io.loadInput(inp(null, null, "bill", "another-run"))).rejects.toBeInstanceOf(InputNotMaterializedError);
  });

  it("refuses what JSON would change, naming the path, as the file IO manager does", async () => {
    const io = new DefaultIOManager(storage, valuesDir);
    const err = await io.prepareOutput(out("dates"), { rows: [{ at: new Date(0) }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).toContain('Asset "dates"');
    expect((err as Error).message).toContain("$.rows[0].at is a Date");
  });

  it("does not store through handleOutput, which would write a value no event points at", () => {
    const io = new DefaultIOManager(storage, valuesDir);
    expect(() => io.handleOutput(out("a"))).toThrow(/prepareOutput/);
  });
});
