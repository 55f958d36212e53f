import { describe, expect, it } from "vitest";
import { asset } from "./asset.js";
import { defineDefinitions } from "./definitions.js";
import { DefinitionError } from "./errors.js";
import { multiAsset } from "./multi-asset.js";

const source = asset({ key: "source", run: () => [1, 2, 3] });
const pair = () =>
  multiAsset({ name: "pair", outs: { a: { key: "out/a", group: "g1" }, b: { key: "out/b", description: "B" } }, ins: { source }, deps: ["other"], run: () => ({ a: 1, b: 2 }) });
const other = asset({ key: "other", run: () => 0 });

function definitionError(build: () => unknown): DefinitionError {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return err as DefinitionError;
  }
  throw new Error("expected a DefinitionError");
}

describe("multi-assets in definitions", () => {
  it("makes each output an asset of the graph, with the multi-asset's upstream assets and its own description", () => {
    const m = pair();
    const down = asset({ key: "down", ins: { a: m.assets.a }, run: ({ a }) => a + 1 });
    const defs = defineDefinitions({ assets: [source, other, m, down] });
    expect(defs.assetGraph.keys()).toEqual(["source", "other", "out/a", "out/b", "down"]);
    expect(defs.assetGraph.parents("out/b")).toEqual(["source", "other"]);
    expect(defs.assetGraph.children("out/a")).toEqual(["down"]);
    expect(defs.assetGraph.get("out/a")?.group).toBe("g1");
    expect(defs.assets.get("out/b")?.description).toBe("B");
    expect(defs.assets.get("out/b")?.multiAsset).toEqual({ name: "pair", outName: "b", outs: { a: "out/a", b: "out/b" }, canSubset: false });
  });

  it("refuses an output key that another asset or multi-asset also has, naming both", () => {
    const clash = asset({ key: "out/a", run: () => 0 });
    expect(definitionError(() => defineDefinitions({ assets: [source, other, clash, pair()] })).message).toBe(
      'Asset key "out/a" is defined twice (by asset "out/a" and by multi-asset "pair" (out "a")). Each asset needs its own key; rename one of them.',
    );
    const second = multiAsset({ name: "second", outs: { x: { key: "out/b" } }, run: () => ({ x: 1 }) });
    expect(definitionError(() => defineDefinitions({ assets: [source, other, pair(), second] })).message).toBe(
      'Asset key "out/b" is defined twice (by multi-asset "pair" (out "b") and by multi-asset "second" (out "x")). Each asset needs its own key; rename one of them.',
    );
  });

  it("refuses two multi-assets with one name, and a name that is an asset's key", () => {
    const twin = multiAsset({ name: "pair", outs: { c: { key: "c" } }, run: () => ({ c: 1 }) });
    expect(definitionError(() => defineDefinitions({ assets: [source, other, pair(), twin] })).message).toBe(
      'Multi-asset name "pair" is used by two multi-assets. Each multi-asset needs its own name; rename one of them.',
    );
    const named = multiAsset({ name: "source", outs: { c: { key: "c" } }, run: () => ({ c: 1 }) });
    expect(definitionError(() => defineDefinitions({ assets: [source, named] })).message).toBe(
      'Multi-asset "source" has the same name as asset "source": the name is the key of its step in runs and run config. Rename the multi-asset or the asset.',
    );
  });

  it("refuses an empty outs, a bad name, an invalid output key, and two outputs with one key", () => {
    expect(definitionError(() => multiAsset({ name: "empty", outs: {}, run: () => ({}) })).message).toBe(
      'Multi-asset "empty" has no outs. Give it at least one: outs: { result: { key: "my/asset" } }.',
    );
    expect(definitionError(() => multiAsset({ name: "bad/name", outs: { a: { key: "a" } }, run: () => ({ a: 1 }) })).message).toContain(
      'Multi-asset name "bad/name" is not valid: use letters, digits and "_"',
    );
    const badKey = multiAsset({ name: "bad_key", outs: { a: { key: "no spaces" } }, run: () => ({ a: 1 }) });
    expect(definitionError(() => defineDefinitions({ assets: [badKey] })).message).toContain('Asset key "no spaces" of multi-asset "bad_key" (out "a") is not valid.');
    expect(definitionError(() => multiAsset({ name: "dup", outs: { a: { key: "k" }, b: { key: "k" } }, run: () => ({ a: 1, b: 2 }) })).message).toBe(
      'Multi-asset "dup": outs "a" and "b" both have asset key "k". Give each out its own key.',
    );
  });

  it("refuses an output given to assets without its multi-asset", () => {
    const m = pair();
    expect(definitionError(() => defineDefinitions({ assets: [source, other, m.assets.a] })).message).toBe(
      'assets[2] is asset "out/a", an out of multi-asset "pair", which computes it. Give the multi-asset itself to assets instead of its out.',
    );
  });

  it("refuses a multi-asset that reads one of its own outputs (a cycle)", () => {
    const m = multiAsset({ name: "loop", outs: { a: { key: "loop/a" } }, ins: { self: "loop/a" }, run: () => ({ a: 1 }) });
    expect(definitionError(() => defineDefinitions({ assets: [m] })).message).toContain("dependency cycle");
  });
});
