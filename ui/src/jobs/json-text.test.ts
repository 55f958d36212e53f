import { describe, expect, it } from "vitest";
import { lineColumnOf, parseJsonText } from "./json-text";

describe("parseJsonText", () => {
  it("parses what JSON.parse parses, to the same value", () => {
    for (const text of ['{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}}', "[]", '"s"', " 0 ", '{"__proto__": {"x": 1}}']) {
      const result = parseJsonText(text);
      expect(result.ok, text).toBe(true);
      if (result.ok) expect(JSON.stringify(result.value)).toBe(JSON.stringify(JSON.parse(text)));
    }
  });

  it("keeps a __proto__ key as data, not as the object's prototype", () => {
    const result = parseJsonText('{"__proto__": {"polluted": true}}');
    expect(result.ok && Object.keys(result.value as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  const errors: [string, string, number, number, RegExp][] = [
    ["a missing comma", '{\n  "a": 1\n  "b": 2\n}', 3, 3, /Expected "," or "}" after the value of "a" but found """/],
    ["a trailing comma", '{\n  "a": 1,\n}', 3, 1, /trailing comma/],
    ["a single-quoted string", "{'a': 1}", 1, 2, /double quotes/],
    ["an unquoted key", "{a: 1}", 1, 2, /property name in double quotes/],
    ["an unterminated string", '{"a": "x', 1, 7, /Unterminated string/],
    ["a raw line break in a string", '{"a": "x\ny"}', 1, 9, /line break/],
    ["nothing at all", "   ", 1, 4, /Expected a value .* the end of the text/],
    ["text after the value", '{"a": 1} x', 1, 10, /end of the text after the value/],
    ["a bad escape", '"\\q"', 1, 2, /Invalid escape/],
    ["a lone minus", "-", 1, 1, /a number/],
    ["a misspelt literal", "[tru]", 1, 2, /a value/],
  ];
  it.each(errors)("reports %s with its line and column", (_what, text, line, column, message) => {
    const result = parseJsonText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toMatch(message);
    expect({ line: result.error.line, column: result.error.column }).toEqual({ line, column });
  });
});

describe("lineColumnOf", () => {
  it("counts lines and columns from 1", () => {
    expect(lineColumnOf("ab\ncd", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumnOf("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
  });
});
