import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FsIOManager } from "./fs-io-manager.js";

const log = { debug() {}, info() {}, warn() {}, error() {} };
const out = (assetKey: string) => ({ assetKey, stepKey: assetKey, runId: "r1", partitionKey: null, definitionMetadata: {}, log });
const input = (assetKey: string, downstreamKey: string) => ({
  assetKey,
  upstreamStepKey: assetKey,
  upstreamRunId: null,
  downstreamKey,
  inputName: "n",
  runId: "r2",
  partitionKey: null,
  log,
});

describe("FsIOManager", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-io-"));
  const io = new FsIOManager(dir);

  it("stores one JSON file per asset key, path-like keys as folders, and reads it back", async () => {
    await io.handleOutput(out("raw/orders"), [{ id: 1, tags: ["a"], note: null }]);
    expect(JSON.parse(readFileSync(path.join(dir, "raw", "orders.json"), "utf8"))).toEqual([{ id: 1, tags: ["a"], note: null }]);
    const loaded = await io.loadInput(input("raw/orders", "x"));
    expect(loaded).toEqual([{ id: 1, tags: ["a"], note: null }]);
  });

  it("keeps shared references (they are not cycles)", async () => {
    const shared = { a: 1 };
    await expect(io.handleOutput(out("shared"), { x: shared, y: shared })).resolves.toEqual({});
  });

  it.each([
    [{ at: new Date(0) }, "$.at is a Date"],
    [{ n: Number.NaN }, "$.n is the number NaN"],
    [{ big: 10n }, "$.big is a bigint"],
    [{ m: new Map() }, "$.m is a Map"],
    [[1, undefined], "$[1] is undefined"],
    [{ f: () => 1 }, "$.f is a function"],
  ])("refuses %o, naming where the offending part is", async (value, message) => {
    await expect(io.handleOutput(out("bad"), value)).rejects.toMatchObject({ code: "SERIALIZATION_ERROR", message: expect.stringContaining(message) });
  });

  it("refuses circular values", async () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    await expect(io.handleOutput(out("loop"), loop)).rejects.toMatchObject({ code: "SERIALIZATION_ERROR" });
  });

  it("stores an op's output per run, and loads it from the run that produced it", async () => {
    await io.handleOutput({ assetKey: null, stepKey: "bill", runId: "run-a", partitionKey: null, definitionMetadata: {}, log }, { billed: 3 });
    expect(JSON.parse(readFileSync(path.join(dir, "runs", "run-a", "bill.json"), "utf8"))).toEqual({ billed: 3 });
    const ctx = { ...input("x", "notify"), assetKey: null, upstreamStepKey: "bill", upstreamRunId: "run-a", runId: "run-b" };
    expect(await io.loadInput(ctx)).toEqual({ billed: 3 });
    await expect(io.loadInput({ ...ctx, upstreamRunId: "run-c" })).rejects.toMatchObject({ code: "INPUT_NOT_MATERIALIZED" });
  });

  it("never writes or reads outside its base directory, whatever the key, partition or run id", async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), "sluice-io-parent-"));
    const base = path.join(parent, "storage");
    mkdirSync(base);
    const contained = new FsIOManager(base);
    const cases = [
      out("../escaped"),
      out("./../escaped"),
      out("../../../../../../../tmp/escaped"),
      // A sibling that shares the base's name as a prefix.
      out("../storage-evil/x"),
      { ...out(".."), partitionKey: "2024-01-01" },
      { assetKey: null, stepKey: "bill", runId: "../../escaped", partitionKey: null, definitionMetadata: {}, log },
      { assetKey: null, stepKey: "../../../escaped", runId: "r1", partitionKey: null, definitionMetadata: {}, log },
    ];
    for (const ctx of cases) {
      const error = await contained.handleOutput(ctx, { x: 1 }).then(
        () => undefined,
        (err: Error & { code?: string; path?: string }) => err,
      );
      expect(error, JSON.stringify(ctx)).toMatchObject({ code: "UNSAFE_PATH", baseDir: base });
      expect(error!.message).toContain(ctx.assetKey !== null ? `asset "${ctx.assetKey}"` : `op "${ctx.stepKey}" of run "${ctx.runId}"`);
    }
    expect(readdirSync(parent)).toEqual(["storage"]);
    expect(readdirSync(base)).toEqual([]);
    expect(readdirSync(os.tmpdir())).not.toContain("escaped.json");
    await expect(contained.loadInput(input("../../outside", "down"))).rejects.toMatchObject({ code: "UNSAFE_PATH" });
  });

  it("throws InputNotMaterializedError for a value never stored", async () => {
    await expect(io.loadInput(input("never", "down"))).rejects.toMatchObject({ code: "INPUT_NOT_MATERIALIZED", upstreamKey: "never", assetKey: "down" });
  });
});
