import { describe, expect, it } from "vitest";
import { SelectionError } from "../errors.js";
import type { SelectionNode, TraversalDepth } from "./selection-ast.js";
import { parseSelection } from "./selection-parser.js";

const all: SelectionNode = { type: "all" };
const key = (pattern: string): SelectionNode => ({ type: "key", pattern });
const not = (operand: SelectionNode): SelectionNode => ({ type: "not", operand });
const and = (left: SelectionNode, right: SelectionNode): SelectionNode => ({ type: "and", left, right });
const or = (left: SelectionNode, right: SelectionNode): SelectionNode => ({ type: "or", left, right });
const up = (operand: SelectionNode, depth: TraversalDepth = "all"): SelectionNode =>
  ({ type: "traversal", operand, upstream: depth, downstream: null });
const down = (operand: SelectionNode, depth: TraversalDepth = "all"): SelectionNode =>
  ({ type: "traversal", operand, upstream: null, downstream: depth });
const both = (operand: SelectionNode, upstream: TraversalDepth, downstream: TraversalDepth): SelectionNode =>
  ({ type: "traversal", operand, upstream, downstream });
const tag = (tagKey: string | null, value = ""): SelectionNode => ({ type: "tag", key: tagKey, value });

function parseError(expression: string): SelectionError {
  try {
    parseSelection(expression);
  } catch (error) {
    expect(error).toBeInstanceOf(SelectionError);
    return error as SelectionError;
  }
  throw new Error(`expected ${JSON.stringify(expression)} not to parse`);
}

// Cases from Dagster's python_modules/dagster/dagster_tests/asset_defs_tests/test_antlr_asset_selection.py
// (test_antlr_tree and test_antlr_visit_basic, current and earlier versions of the file): the tree
// Dagster's visitor builds, written as our nodes.
describe("parse trees of Dagster's test_antlr_asset_selection.py", () => {
  it.each<[string, SelectionNode]>([
    ["*", all],
    ["key:a", key("a")],
    ['key:"*/a+"', key("*/a+")],
    ["key:prefix/thing", key("prefix/thing")],
    ["key_substring:a", { type: "key_substring", value: "a" }],
    ['key_substring:"*/a+"', { type: "key_substring", value: "*/a+" }],
    ["sinks(key:a)", { type: "sinks", operand: key("a") }],
    ["roots(key:a)", { type: "roots", operand: key("a") }],
    ["roots(key:c)", { type: "roots", operand: key("c") }],
    ["tag:foo=bar", tag("foo", "bar")],
    ["tag:foo", tag("foo")],
    ['tag:"<null>"', tag("<null>")],
    ['tag:""', tag("")],
    ['tag:"fake"=""', tag("fake")],
    ["tag:fake=<null>", tag("fake")],
    ['owner:"owner@owner.com"', { type: "owner", value: "owner@owner.com" }],
    ["owner:<null>", { type: "owner", value: null }],
    ['group:"my_group"', { type: "group", value: "my_group" }],
    ["group:my_group", { type: "group", value: "my_group" }],
    ["group:marketing/foo/bar", { type: "group", value: "marketing/foo/bar" }],
    ['group:"marketing/*"', { type: "group", value: "marketing/*" }],
    ['group:"*"', { type: "group", value: "*" }],
    ["group:<null>", { type: "group", value: null }],
    ["kind:my_kind", { type: "kind", value: "my_kind" }],
    ["kind:<null>", { type: "kind", value: null }],
    ["(((key:a)))", key("a")],
    ["not key:a", not(key("a"))],
    ["NOT key:a", not(key("a"))],
    ["key:a and key:b", and(key("a"), key("b"))],
    ["key:a AND key:b", and(key("a"), key("b"))],
    ["key:a or key:b", or(key("a"), key("b"))],
    ["key:a OR key:b", or(key("a"), key("b"))],
    ["1+key:a", up(key("a"), 1)],
    ["2+key:a", up(key("a"), 2)],
    ["key:a+1", down(key("a"), 1)],
    ["key:a+2", down(key("a"), 2)],
    ["1+key:a+1", both(key("a"), 1, 1)],
    ["+key:a", up(key("a"))],
    ["key:a+", down(key("a"))],
    ["+key:a+", both(key("a"), "all", "all")],
    ["key:a+ and +key:b", and(down(key("a")), up(key("b")))],
    ["+key:a and key:b+ and +key:c+", and(and(up(key("a")), down(key("b"))), both(key("c"), "all", "all"))],
    // The keywords Dagster's `value` rule accepts unquoted.
    ["owner:sensor", { type: "owner", value: "sensor" }],
    ["group:schedule", { type: "group", value: "schedule" }],
    ["kind:job", { type: "kind", value: "job" }],
  ])("%s", (expression, expected) => {
    expect(parseSelection(expression)).toEqual(expected);
  });
});

describe("precedence: traversals bind tightest, then not, then and, then or", () => {
  it.each<[string, SelectionNode]>([
    ["not key:a and key:b", and(not(key("a")), key("b"))],
    ["not key:a or key:b", or(not(key("a")), key("b"))],
    ["key:a or key:b and key:c", or(key("a"), and(key("b"), key("c")))],
    ["key:a and key:b or key:c", or(and(key("a"), key("b")), key("c"))],
    ["key:a and key:b and key:c", and(and(key("a"), key("b")), key("c"))],
    ["key:a or key:b or key:c", or(or(key("a"), key("b")), key("c"))],
    ["not key:a+", not(down(key("a")))],
    ["not 2+key:a", not(up(key("a"), 2))],
    ["+key:a and key:b", and(up(key("a")), key("b"))],
    ["key:a or +key:b+1", or(key("a"), both(key("b"), "all", 1))],
    ["not not key:a", not(not(key("a")))],
    ["not *", not(all)],
    ["* and not key:a", and(all, not(key("a")))],
    ["(key:a or key:b)+", down(or(key("a"), key("b")))],
    ["not (key:a and key:b)", not(and(key("a"), key("b")))],
    ["sinks(key:a)+1", down({ type: "sinks", operand: key("a") }, 1)],
    ["2+roots(*)", up({ type: "roots", operand: all }, 2)],
    ["0+key:a", up(key("a"), 0)],
    ["key:a + 2", down(key("a"), 2)],
    ["  key:a\tand\nkey:b  ", and(key("a"), key("b"))],
  ])("%s", (expression, expected) => {
    expect(parseSelection(expression)).toEqual(expected);
  });
});

describe("tokens, as Dagster's lexer reads them (longest match, then rule order)", () => {
  it.each<[string, SelectionNode]>([
    ["key:a*", key("a*")],
    ["key:*_raw", key("*_raw")],
    ["key:raw/*", key("raw/*")],
    ["key:prefix_*_middle_*_suffix", key("prefix_*_middle_*_suffix")],
    ['key:"*"', key("*")],
    ["key:a*+", down(key("a*"))],
    ["group:notebooks", { type: "group", value: "notebooks" }],
    ["keys", key("keys")],
    ["android or orders", or(key("android"), key("orders"))],
    ['tag:"team"="data eng"', tag("team", "data eng")],
    ["tag:a = b", tag("a", "b")],
  ])("%s", (expression, expected) => {
    expect(parseSelection(expression)).toEqual(expected);
  });
});

describe("bare names", () => {
  it.each<[string, SelectionNode]>([
    ["orders", key("orders")],
    ["raw/orders", key("raw/orders")],
    ['"raw/orders"', key("raw/orders")],
    ["orders or customers", or(key("orders"), key("customers"))],
    ["not orders and group:core", and(not(key("orders")), { type: "group", value: "core" })],
    ["(orders)+", down(key("orders"))],
    ["  orders  ", key("orders")],
  ])("%s", (expression, expected) => {
    expect(parseSelection(expression)).toEqual(expected);
  });

  // Dagster's AssetSelection.from_string falls back to its clause syntax for these; cases from
  // python_modules/dagster/dagster_tests/asset_defs_tests/test_asset_selection.py (test_from_string).
  it.each<[string, SelectionNode]>([
    ["my_asset", key("my_asset")],
    ["*my_asset", up(key("my_asset"), "all")],
    ["+my_asset", up(key("my_asset"), 1)],
    ["++my_asset", up(key("my_asset"), 2)],
    ["my_asset*", down(key("my_asset"), "all")],
    ["my_asset+", down(key("my_asset"), 1)],
    ["my_asset++", down(key("my_asset"), 2)],
    ["+my_asset+", both(key("my_asset"), 1, 1)],
    ["*my_asset*", both(key("my_asset"), "all", "all")],
    ["my-asset", key("my-asset")],
    ["2024_orders", key("2024_orders")],
    ["raw/orders.v2+", down(key("raw/orders.v2"), 1)],
    ["2+", down(key("2"), 1)],
  ])("whole-selection clause %s", (expression, expected) => {
    expect(parseSelection(expression)).toEqual(expected);
  });

  it("counts a single + on a bare clause as one level, unlike +key:", () => {
    expect(parseSelection("+orders")).toEqual(up(key("orders"), 1));
    expect(parseSelection("+key:orders")).toEqual(up(key("orders"), "all"));
  });
});

describe("errors", () => {
  it("shows the position, what was expected, the expression and a caret", () => {
    const error = parseError("group:a and");
    expect(error.message).toBe(
      'Invalid selection "group:a and" at position 11: expected an expression after "and"\n' +
        "  group:a and\n" +
        "             ^",
    );
    expect(error.code).toBe("SELECTION_ERROR");
    expect(error.name).toBe("SelectionError");
    expect(error.expression).toBe("group:a and");
    expect(error.position).toBe(11);
  });

  // test_antlr_tree_invalid of test_antlr_asset_selection.py, plus the invalid queries of Dagster's
  // js_modules/dagster-ui/packages/ui-core/src/asset-selection/__tests__/AntlrAssetSelection.test.ts
  // and test_asset_selection.py ("kind: or *").
  it.each<[string, number, string]>([
    ["+", 1, 'expected an attribute, a name, a function call or "(" after "+"'],
    ["*+", 1, 'expected "and", "or" or the end of the selection but found "+"'],
    ["**key:a", 0, '"*" is not a traversal; write "+" instead'],
    ["not", 3, 'expected an expression after "not"'],
    ["key:a key:b", 6, 'expected "and", "or" or the end of the selection but found "key"'],
    ["key:a and and", 10, 'expected an expression after "and" but found "and"'],
    ["key:a and", 9, 'expected an expression after "and"'],
    ["sinks", 5, 'expected "(" after "sinks"'],
    ["owner", 5, 'expected ":" after "owner"'],
    ["tag:foo=", 8, 'expected a value after "="'],
    ["owner:owner@owner.com", 11, 'unexpected character "@"'],
    ["owner:<none>", 6, 'unexpected character "<"'],
    ["key:<fake>", 4, 'unexpected character "<"'],
    ["is:nonsense", 0, 'the attribute "is" is not supported by Sluice'],
    ["is:observable", 0, 'the attribute "is" is not supported by Sluice'],
    ["and", 0, 'expected an expression but found "and"'],
    ["notafunction()", 0, 'unknown function "notafunction"'],
    ["kind: or *", 6, '"or" is a reserved word; write it in double quotes'],
  ])("Dagster rejects %j (position %i)", (expression, position, detail) => {
    const error = parseError(expression);
    expect(error.position).toBe(position);
    expect(error.message).toContain(`at position ${position}: ${detail}`);
  });

  it.each<[string, number, string]>([
    ["(key:a", 6, 'expected ")" to close the "(" at position 0'],
    ["((key:a)", 8, 'expected ")" to close the "(" at position 0'],
    ["key:a)", 5, 'unmatched ")"'],
    ["(key:a))", 7, 'unmatched ")"'],
    ["()", 1, 'expected an expression after "(" but found ")"'],
    ["sinks(key:a", 11, 'expected ")" to close "sinks(" at position 0'],
    ["roots key:a", 6, 'expected "(" after "roots" but found "key"'],
  ])("unbalanced parentheses: %j", (expression, position, detail) => {
    const error = parseError(expression);
    expect(error.position).toBe(position);
    expect(error.message).toContain(detail);
  });

  it.each<[string, number, string]>([
    ["key:a or", 8, 'expected an expression after "or"'],
    ["key:a and not", 13, 'expected an expression after "not"'],
    ["or key:a", 0, 'expected an expression but found "or"'],
    ["key:a+ and", 10, 'expected an expression after "and"'],
    ["key:a or 2+", 11, 'after "2+"'],
    ["2 key:a", 2, 'expected "+" after the depth "2"'],
    // A long depth is quoted cut short, so that the message stays readable.
    [`${"1".repeat(3000)} key:a`, 3001, `expected "+" after the depth "${"1".repeat(57)}..."`],
    ["key:a++", 6, 'but found "+"'],
    ["+*", 1, 'after "+" but found "*"'],
    ["+not key:a", 1, 'after "+" but found "not"'],
    ["tag:", 4, 'expected a value after "tag:"'],
    ["key:", 4, 'expected a value after "key:"'],
  ])("dangling or misplaced operators: %j", (expression, position, detail) => {
    const error = parseError(expression);
    expect(error.position).toBe(position);
    expect(error.message).toContain(detail);
  });

  it.each<[string, number, string]>([
    ["color:red", 0, 'unknown attribute "color"; the attributes are key, key_substring, tag, owner, group, kind and status'],
    ["KEY:a", 0, "attribute names are lower case: key:"],
    ["status:healthy", 7, 'unknown status "healthy"; the statuses are check_passed, check_failed, check_warning, check_missing, stale, fresh, overdue'],
    ["code_location:here", 0, 'the attribute "code_location" is not supported by Sluice'],
  ])("unknown attributes: %j", (expression, position, detail) => {
    const error = parseError(expression);
    expect(error.position).toBe(position);
    expect(error.message).toContain(detail);
  });

  it("rejects an empty selection", () => {
    for (const expression of ["", "   "]) {
      const error = parseError(expression);
      expect(error.position).toBe(0);
      expect(error.message).toContain("the selection is empty");
    }
  });

  it("rejects unterminated quotes and backslashes in quotes", () => {
    expect(parseError('key:"abc').position).toBe(4);
    expect(parseError('key:"abc').message).toContain("unterminated quoted value");
    expect(parseError('owner:"a\nb"').position).toBe(6);
    expect(parseError('key:"a\\"b"').position).toBe(6);
    expect(parseError('key:"a\\"b"').message).toContain("cannot contain a backslash");
  });

  it.each<[string, number, string]>([
    ["group:status", 6, '"status" is a reserved word'],
    ["key:and", 4, '"and" is a reserved word'],
    ["tag:owner=team", 4, '"owner" is a reserved word'],
    ["key:*", 4, 'a lone "*" is not a value'],
    ["group:mark*", 6, 'an unquoted "*" is only allowed in key: values'],
    ["tag:priority=1", 13, 'must be written in double quotes: "1"'],
    ["key:2024_orders", 4, 'must be written in double quotes: "2024_orders"'],
    ["key:<null>", 4, '<null> is not allowed after "key:"'],
    ["key_substring:a*", 14, 'an unquoted "*" is only allowed in key: values'],
  ])("rejects values Dagster's lexer cannot read unquoted: %j", (expression, position, detail) => {
    const error = parseError(expression);
    expect(error.position).toBe(position);
    expect(error.message).toContain(detail);
  });

  it.each<[string, number, string]>([
    ["+orders or key:x", 0, 'inside an expression write key:"orders" with it'],
    ["key:x and orders+", 16, 'a "+" on a bare name'],
    ["raw/* or key:x", 0, "a bare name cannot contain"],
    ["raw/*", 0, "write key:raw/* to match keys by pattern"],
    ["2024_orders or key:x", 0, 'a name that starts with a digit must be written in double quotes: key:"2024_orders"'],
    ["key:a And key:b", 6, 'operators are written in lower or upper case ("and" or "AND")'],
    ["key:a, key:b", 5, 'combine selections with "or"'],
    ["job", 0, '"job" is a reserved word; to select an asset with that key write key:"job"'],
    ["sinks+", 5, 'expected "(" after "sinks"'],
  ])("rejects %j", (expression, position, detail) => {
    const error = parseError(expression);
    expect(error.position).toBe(position);
    expect(error.message).toContain(detail);
  });
});

describe("limits on length and nesting", () => {
  it.each<[string, string, number, string]>([
    ["1,000 nested parentheses", `${"(".repeat(1_000)}key:a${")".repeat(1_000)}`, 100, "nests more than 100 levels deep"],
    ["101 nested roots()", `${"roots(".repeat(101)}key:a${")".repeat(101)}`, 605, "nests more than 100 levels deep"],
    ["101 nots", `${"not ".repeat(101)}key:a`, 400, "nests more than 100 levels deep"],
    ["nots and parentheses together", `${"not (".repeat(51)}key:a${")".repeat(51)}`, 250, "nests more than 100 levels deep"],
    ["100,000 (", "(".repeat(100_000), 10_000, "the selection is 100,000 characters long; at most 10,000 are allowed"],
    ["50,000 nots", `${"not ".repeat(50_000)}key:a`, 10_000, "at most 10,000 are allowed"],
    ["a name longer than the limit", "a".repeat(10_001), 10_000, "at most 10,000 are allowed"],
  ])("refuses %s with a SelectionError at the position past the limit", (_what, expression, position, detail) => {
    const error = parseError(expression);
    expect(error.position).toBe(position);
    expect(error.message).toContain(detail);
    // The echo of a long expression is cut to the part around the problem.
    expect(error.message.length).toBeLessThan(600);
    const [, echo, caret] = error.message.split("\n");
    expect(echo!.length).toBeLessThan(100);
    expect(caret!.indexOf("^")).toBe(echo!.indexOf(expression.slice(position - 40, position + 40)) + 40);
  });

  it("accepts 100 levels, and a long flat chain as a left-deep tree", () => {
    expect(parseSelection(`${"(".repeat(100)}key:a${")".repeat(100)}`)).toEqual(key("a"));
    let node = parseSelection(`${"not ".repeat(100)}key:a`);
    for (let i = 0; i < 100; i++) node = (node as { operand: SelectionNode }).operand;
    expect(node).toEqual(key("a"));
    const chain = Array.from({ length: 1_999 }, () => "a").join(" or ");
    expect(chain.length).toBeLessThanOrEqual(10_000);
    const tree = parseSelection(chain);
    expect(tree).toMatchObject({ type: "or", right: key("a"), left: { type: "or", right: key("a") } });
  });
});
