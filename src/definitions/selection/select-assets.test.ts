import { describe, expect, it } from "vitest";
import { SelectionError } from "../errors.js";
import { selectAssets, type SelectableAsset, type SelectableGraph } from "./select-assets.js";
import type { SelectionNode } from "./selection-ast.js";
import { parseSelection } from "./selection-parser.js";

function asset(key: string, fields: Partial<Omit<SelectableAsset, "key">> = {}): SelectableAsset {
  return { key, group: "default", tags: {}, owners: [], kinds: [], deps: [], ...fields };
}

function graphOf(...assets: SelectableAsset[]): SelectableGraph {
  return { assets };
}

/** Asserts the selection, in the graph's order; `expected` may list keys in any order. */
function expectSelection(graph: SelectableGraph, expression: string, expected: readonly string[]): void {
  const keys = graph.assets.map((a) => a.key);
  for (const k of expected) expect(keys, `test case names unknown asset ${k}`).toContain(k);
  expect(selectAssets(expression, graph)).toEqual(keys.filter((k) => expected.includes(k)));
}

// a -> b -> c, the graph of test_antlr_visit_basic in Dagster's
// python_modules/dagster/dagster_tests/asset_defs_tests/test_antlr_asset_selection.py. That test
// compares built selections; the expected keys below are what those selections resolve to.
describe("Dagster's test_antlr_asset_selection.py graph", () => {
  const graph = graphOf(
    asset("a", { tags: { foo: "bar" }, owners: ["team:billing"] }),
    asset("b", { deps: ["a"], kinds: ["python", "snowflake"] }),
    asset("c", { deps: ["b"], group: "my_group" }),
  );

  it.each<[string, string[]]>([
    ["*", ["a", "b", "c"]],
    ["key:a", ["a"]],
    ['key:"*/a+"', []],
    ["key:prefix/thing", []],
    ["key_substring:a", ["a"]],
    ["not key:a", ["b", "c"]],
    ["NOT key:a", ["b", "c"]],
    ["key:a and key:b", []],
    ["key:a AND key:b", []],
    ["key:a or key:b", ["a", "b"]],
    ["key:a OR key:b", ["a", "b"]],
    ["1+key:a", ["a"]],
    ["2+key:a", ["a"]],
    ["key:a+1", ["a", "b"]],
    ["key:a+2", ["a", "b", "c"]],
    ["1+key:a+1", ["a", "b"]],
    ["+key:a", ["a"]],
    ["key:a+", ["a", "b", "c"]],
    ["+key:a+", ["a", "b", "c"]],
    ["key:a+ and +key:b", ["a", "b"]],
    ["+key:a and key:b+ and +key:c+", []],
    ["sinks(key:a)", ["a"]],
    ["roots(key:c)", ["c"]],
    // tag:K means "tag K with the empty value", so a's foo=bar does not match it.
    ["tag:foo", []],
    ["tag:foo=bar", ["a"]],
    ['owner:"owner@owner.com"', []],
    ['owner:"team:billing"', ["a"]],
    ["group:my_group", ["c"]],
    ["group:marketing/foo/bar", []],
    ['group:"marketing/*"', []],
    ['group:"*"', ["a", "b", "c"]],
    ["kind:my_kind", []],
    ["kind:python", ["b"]],
    ['tag:"<null>"', []],
    ['tag:""', []],
    ['tag:"fake"=""', []],
    ["owner:<null>", []],
    ["group:<null>", []],
    ["kind:<null>", ["a", "c"]],
  ])("%s", (expression, expected) => {
    expectSelection(graph, expression, expected);
  });
});

// A -> B, A -> B2, B -> C, B2 -> C: TEST_GRAPH of Dagster's
// js_modules/dagster-ui/packages/ui-core/src/asset-selection/__tests__/AntlrAssetSelection.test.ts.
describe("Dagster's AntlrAssetSelection.test.ts graph", () => {
  const graph = graphOf(
    asset("A", { tags: { foo: "bar" }, owners: ["owner@owner.com"] }),
    asset("B", { deps: ["A"], tags: { foo: "baz" }, kinds: ["python", "snowflake"] }),
    asset("B2", { deps: ["A"] }),
    asset("C", { deps: ["B", "B2"], group: "my_group" }),
  );

  it.each<[string, string[]]>([
    ["*", ["A", "B", "B2", "C"]],
    ["key:A", ["A"]],
    ["key:A and key:B", []],
    ["key:A and key:B and key:C", []],
    ["key:A or key:B", ["A", "B"]],
    ["key:A or key:B or key:C", ["A", "B", "C"]],
    ["(key:A or key:B) and (key:B or key:C)", ["B"]],
    ["not key:A", ["B", "B2", "C"]],
    ["NOT key:A", ["B", "B2", "C"]],
    ["1+key:A", ["A"]],
    ["1+key:B", ["A", "B"]],
    ["1+key:C", ["B", "B2", "C"]],
    ["2+key:C", ["A", "B", "B2", "C"]],
    ["key:A+1", ["A", "B", "B2"]],
    ["key:A+2", ["A", "B", "B2", "C"]],
    ["key:C+1", ["C"]],
    ["key:B+1", ["B", "C"]],
    ["+key:A", ["A"]],
    ["+key:B", ["A", "B"]],
    ["+key:C", ["A", "B", "B2", "C"]],
    ["key:A+", ["A", "B", "B2", "C"]],
    ["key:B+", ["B", "C"]],
    ["key:C+", ["C"]],
    ["key:A+ and +key:C", ["A", "B", "B2", "C"]],
    ["+key:B+", ["A", "B", "C"]],
    ["key:A+ and +key:C and +key:B+", ["A", "B", "C"]],
    ["key:A+ and +key:B+ and +key:C", ["A", "B", "C"]],
    ["key:A+ AND +key:B+ AND +key:C", ["A", "B", "C"]],
    ["sinks(*)", ["C"]],
    ["sinks(key:A)", ["A"]],
    ["sinks(key:A or key:B)", ["B"]],
    ["sinks(key:A OR key:B)", ["B"]],
    ["roots(*)", ["A"]],
    ["roots(key:C)", ["C"]],
    ["roots(key:A or key:B)", ["A"]],
    // The UI's own evaluator answers [A, B] here; Dagster's Python one (which we follow) matches
    // only an empty value.
    ["tag:foo", []],
    ["tag:foo=bar", ["A"]],
    ['owner:"owner@owner.com"', ["A"]],
    ["group:my_group", ["C"]],
    ["kind:python", ["B"]],
    ["kind:snowflake", ["B"]],
  ])("%s", (expression, expected) => {
    expectSelection(graph, expression, expected);
  });
});

// The asset graph of Dagster's python_modules/dagster/dagster_tests/asset_defs_tests/test_asset_selection.py
// without its source asset `earth` (Sluice has none), with each AssetSelection written as an expression.
describe("Dagster's test_asset_selection.py graph", () => {
  const graph = graphOf(
    asset("alice", { group: "ladies" }),
    asset("bob", { group: "gentlemen", deps: ["alice"] }),
    asset("candace", { group: "ladies", deps: ["alice"] }),
    asset("danny", { group: "gentlemen", deps: ["candace"] }),
    asset("edgar", { group: "gentlemen", deps: ["danny"] }),
    asset("fiona", { group: "ladies", deps: ["danny"] }),
    asset("george", { group: "gentlemen", deps: ["bob", "fiona"] }),
    ...["rosie", "r2d2", "walle"].map((k) => asset(k, { group: "robots" })),
    ...["zorg", "zapp", "zort"].map((k) => asset(k, { group: "aliens" })),
    asset("animals/zebra"),
  );
  const upstreamOfGeorge = ["alice", "bob", "candace", "danny", "fiona", "george"];

  it.each<[string, string[]]>([
    ["(key:alice or key:bob) and (key:bob or key:candace)", ["bob"]],
    ["key:candace+", ["candace", "danny", "edgar", "fiona", "george"]],
    ["key:candace+1", ["candace", "danny"]],
    ["group:ladies or group:planets", ["alice", "candace", "fiona"]],
    ["key:animals/zebra", ["animals/zebra"]],
    ["key:alice or key:bob", ["alice", "bob"]],
    ["(key:alice or key:bob) or (key:bob or key:candace)", ["alice", "bob", "candace"]],
    ["(key:alice or key:bob) and not (key:bob or key:candace)", ["alice"]],
    ["group:ladies and not group:gentlemen", ["alice", "candace", "fiona"]],
    ["(group:ladies or key:bob) and not group:ladies", ["bob"]],
    ["group:ladies and not group:ladies", []],
    ["(key:alice or key:bob) and not (key:alice or key:bob)", []],
    ["sinks(key:alice or key:bob)", ["bob"]],
    ["sinks(*)", ["edgar", "george", "rosie", "r2d2", "walle", "zorg", "zapp", "zort", "animals/zebra"]],
    ["sinks(group:ladies)", ["fiona"]],
    ["+key:george", upstreamOfGeorge],
    ["1+key:george", ["bob", "fiona", "george"]],
    // downstream(include_self=False) and upstream(include_self=False), written with "and not".
    ["key:candace+ and not key:candace", ["danny", "edgar", "fiona", "george"]],
    ["group:gentlemen+ and not group:gentlemen", ["fiona"]],
    ["group:ladies+ and not group:ladies", ["george", "danny", "bob", "edgar"]],
    ["+key:george and not key:george", ["danny", "fiona", "alice", "bob", "candace"]],
    ["+group:gentlemen and not group:gentlemen", ["fiona", "alice", "candace"]],
    ["+group:ladies and not group:ladies", ["danny"]],
    // test_from_string: a bare clause keeps Dagster's clause meaning (+ is one level, * all).
    ["george", ["george"]],
    ["*george", upstreamOfGeorge],
    ["+george", ["bob", "fiona", "george"]],
    ["++george", ["alice", "bob", "danny", "fiona", "george"]],
    ["candace*", ["candace", "danny", "edgar", "fiona", "george"]],
    ["candace+", ["candace", "danny"]],
    ["candace++", ["candace", "danny", "edgar", "fiona"]],
    ["+danny+", ["candace", "danny", "edgar", "fiona"]],
    ["*danny*", ["alice", "candace", "danny", "edgar", "fiona", "george"]],
    // Sluice: bare names inside expressions, key_substring across components, group wildcards.
    ["alice or george", ["alice", "george"]],
    ["key_substring:an", ["candace", "danny", "animals/zebra"]],
    ["key_substring:s/z", ["animals/zebra"]],
    ['group:"*ens"', ["zorg", "zapp", "zort"]],
    ["roots(group:gentlemen)", ["bob", "danny"]],
    ["2+key:george+2", ["alice", "bob", "danny", "fiona", "george"]],
    ["0+key:george", ["george"]],
  ])("%s", (expression, expected) => {
    expectSelection(graph, expression, expected);
  });

  it("returns keys in the graph's order, not the expression's", () => {
    expect(selectAssets("key:george or key:alice", graph)).toEqual(["alice", "george"]);
  });

  it("accepts a parsed selection", () => {
    expect(selectAssets(parseSelection("1+key:george"), graph)).toEqual(["bob", "fiona", "george"]);
  });

  it("throws SelectionError for an expression that does not parse", () => {
    expect(() => selectAssets("group:ladies and", graph)).toThrow(SelectionError);
  });
});

// test_roots and test_self_dep of test_asset_selection.py.
describe("roots, and self-dependencies", () => {
  const chain = graphOf(asset("a"), asset("b", { deps: ["a"] }), asset("c", { deps: ["b"] }));

  it.each<[string, string[]]>([
    ["roots(key:a or key:b or key:c)", ["a"]],
    ["roots(key:a or key:c)", ["a"]],
    ["roots(key:b or key:c)", ["b"]],
    ["roots(key:c)", ["c"]],
    ["sinks(key:a or key:c)", ["c"]],
  ])("%s", (expression, expected) => {
    expectSelection(chain, expression, expected);
  });

  it("treats an asset that reads its own past as its own root and sink", () => {
    const graph = graphOf(asset("a", { deps: ["a"] }));
    for (const expression of ["key:a", "+key:a", "key:a+", "roots(key:a)", "sinks(key:a)"]) {
      expect(selectAssets(expression, graph)).toEqual(["a"]);
    }
    expect(selectAssets("+key:a and not key:a", graph)).toEqual([]);
  });
});

// test_tag, test_tag_string, test_key_wildcard, test_owner and test_kind of test_asset_selection.py.
describe("attribute matching", () => {
  const tagged = graphOf(
    asset("asset1", { tags: { foo: "fooval" } }),
    asset("asset2", { tags: { foo: "fooval2" } }),
    asset("asset3", { tags: { foo: "fooval", bar: "barval" } }),
    asset("asset4", { tags: { bar: "barval" } }),
    asset("asset5", { tags: { baz: "" } }),
    asset("asset6", { tags: { baz: "", bar: "barval" } }),
  );

  it.each<[string, string[]]>([
    ["tag:foo=fooval", ["asset1", "asset3"]],
    ["tag:foo", []],
    ["tag:baz", ["asset5", "asset6"]],
    ['tag:baz=""', ["asset5", "asset6"]],
    ["tag:bar=barval", ["asset3", "asset4", "asset6"]],
    ["tag:toString", []],
    ["tag:<null>", []],
  ])("tags: %s", (expression, expected) => {
    expectSelection(tagged, expression, expected);
  });

  const prefixed = graphOf(
    ...["asset1", "asset2", "asset3", "asset4"].map((k) => asset(k)),
    ...["prefix/asset1", "prefix/asset2", "prefix/asset3"].map((k) => asset(k)),
  );

  it.each<[string, string[]]>([
    ["key:asset", []],
    ["key:asset1", ["asset1"]],
    ["key:prefix/*", ["prefix/asset1", "prefix/asset2", "prefix/asset3"]],
    ["key:*/asset*", ["prefix/asset1", "prefix/asset2", "prefix/asset3"]],
    ["key:asset*", ["asset1", "asset2", "asset3", "asset4"]],
    ["key:*asset1", ["asset1", "prefix/asset1"]],
    ['key:"*"', ["asset1", "asset2", "asset3", "asset4", "prefix/asset1", "prefix/asset2", "prefix/asset3"]],
    ["key:prefix", []],
    ["key_substring:prefix", ["prefix/asset1", "prefix/asset2", "prefix/asset3"]],
  ])("keys: %s", (expression, expected) => {
    expectSelection(prefixed, expression, expected);
  });

  it("matches owners exactly", () => {
    const graph = graphOf(
      asset("asset1", { owners: ["owner1@owner.com"] }),
      asset("asset2", { owners: ["owner2@owner.com"] }),
      asset("asset3", { owners: ["owner1@owner.com"] }),
      asset("asset4", { owners: ["owner2@owner.com"] }),
    );
    expectSelection(graph, 'owner:"owner1@owner.com"', ["asset1", "asset3"]);
    expectSelection(graph, 'owner:"owner1"', []);
  });

  it("matches kinds, with kind:<null> for assets without any", () => {
    const graph = graphOf(asset("asset1", { kinds: ["my_kind"] }), asset("asset2", { kinds: [""] }), asset("asset3"));
    expectSelection(graph, "kind:my_kind", ["asset1"]);
    expectSelection(graph, 'kind:""', ["asset2"]);
    expectSelection(graph, "kind:<null>", ["asset3"]);
  });

  it("treats group:\"\" like group:<null>, which selects nothing", () => {
    expectSelection(graphOf(asset("a", { group: "" })), 'group:""', []);
  });
});

describe("graphs", () => {
  it("still computes roots and sinks when handed an unsorted graph", () => {
    const graph = graphOf(asset("c", { deps: ["b"] }), asset("b", { deps: ["a"] }), asset("a"));
    expect(selectAssets("roots(*)", graph)).toEqual(["a"]);
    expect(selectAssets("sinks(*)", graph)).toEqual(["c"]);
    expect(selectAssets("roots(key:c or key:a)", graph)).toEqual(["a"]);
    expect(selectAssets("key:a+1", graph)).toEqual(["b", "a"]);
  });

  it("returns [] for a selection that matches nothing, and for an empty graph", () => {
    expect(selectAssets("key:missing", graphOf(asset("a")))).toEqual([]);
    expect(selectAssets("*", graphOf())).toEqual([]);
  });
});

// Completes on a large graph; how fast is measured in bench/, not asserted here.
describe("10,000 assets", () => {
  const size = 10_000;
  const name = (i: number): string => `layer${i % 10}/n${i}`;
  const graph = graphOf(
    ...Array.from({ length: size }, (_, i) =>
      asset(name(i), {
        group: `g${i % 7}`,
        kinds: i % 3 === 0 ? ["sql"] : [],
        tags: i % 5 === 0 ? { tier: "gold" } : {},
        deps: [i - 1, i - 37].filter((d) => d >= 0).map(name),
      }),
    ),
  );

  it("selects across the whole graph", () => {
    expect(selectAssets(`+key:${name(size - 1)}`, graph)).toHaveLength(size);
    expect(selectAssets(`key:${name(0)}+`, graph)).toHaveLength(size);
    expect(selectAssets("roots(*)", graph)).toEqual([name(0)]);
    expect(selectAssets("sinks(*)", graph)).toEqual([name(size - 1)]);
    // Up to 3 steps of -1/-37 from n5000 and of +1/+37 from it: 10 assets each way, n5000 shared.
    expect(selectAssets(`3+key:${name(5000)}+3`, graph)).toHaveLength(19);
    expect(selectAssets("key:layer3/*", graph)).toHaveLength(size / 10);
    expect(selectAssets("group:g1 and kind:sql and not tag:tier=gold", graph).length).toBeGreaterThan(0);
    expect(selectAssets("roots(group:g2)", graph)).toEqual([name(2)]);
    expect(selectAssets("sinks(key:layer0/*)", graph)).toEqual([name(9990)]);
    const many = Array.from({ length: 500 }, (_, i) => `key:${name(i * 20)}`).join(" or ");
    expect(selectAssets(many, graph)).toHaveLength(500);
  });
});

describe("long chains", () => {
  const graph = graphOf(asset("a"), asset("b", { deps: ["a"] }), asset("c", { deps: ["b"] }));

  it("evaluates a chain of 1,999 operands given as text", () => {
    const keys = ["a", "c", "z"];
    const expression = Array.from({ length: 1_999 }, (_, i) => keys[i % 3]).join(" or ");
    expect(selectAssets(expression, graph)).toEqual(["a", "c"]);
  });

  it("evaluates a parsed chain 200,000 deep without recursing into it (left- or right-deep)", () => {
    const leaf = (i: number): SelectionNode => ({ type: "key", pattern: i % 2 ? "a" : "b" });
    let left: SelectionNode = leaf(0);
    let right: SelectionNode = { type: "not", operand: { type: "key", pattern: "c" } };
    for (let i = 1; i < 200_000; i++) {
      left = { type: "or", left, right: leaf(i) };
      right = { type: "and", left: { type: "all" }, right };
    }
    expect(selectAssets(left, graph)).toEqual(["a", "b"]);
    expect(selectAssets(right, graph)).toEqual(["a", "b"]);
  });
});
