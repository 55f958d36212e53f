/**
 * JSON parsing that says where it failed. `JSON.parse` messages differ between browsers and do
 * not always carry a position, so the launchpad reads the text with this small parser: the same
 * grammar (RFC 8259), and on error a message with the line and column (both 1-based) at fault.
 */

/** Where and why a text is not JSON. */
export interface JsonSyntaxError {
  message: string;
  /** 0-based offset into the text. */
  offset: number;
  line: number;
  column: number;
}

/** The outcome of {@link parseJsonText}. */
export type JsonParseResult = { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError };

class Failure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** 1-based line and column of an offset. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Parses JSON; on a syntax error, says what was expected and where (line, column). */
export function parseJsonText(text: string): JsonParseResult {
  let at = 0;

  const describe = (i: number): string => (i >= text.length ? "the end of the text" : `"${text[i]}"`);
  const fail = (expected: string, i: number = at): never => {
    throw new Failure(`Expected ${expected} but found ${describe(i)}`, i);
  };
  const skipSpace = (): void => {
    while (at < text.length && (text[at] === " " || text[at] === "\t" || text[at] === "\n" || text[at] === "\r")) at++;
  };

  const parseString = (): string => {
    const start = at;
    at++; // the opening quote
    let out = "";
    while (true) {
      if (at >= text.length) throw new Failure("Unterminated string (a closing \" is missing)", start);
      const ch = text[at]!;
      if (ch === '"') {
        at++;
        return out;
      }
      if (ch === "\\") {
        const next = text[at + 1];
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (next !== undefined && next in simple) {
          out += simple[next];
          at += 2;
        } else if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) {
          out += String.fromCharCode(parseInt(text.slice(at + 2, at + 6), 16));
          at += 6;
        } else {
          throw new Failure(`Invalid escape "\\${next ?? ""}" in a string`, at);
        }
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) throw new Failure("A string cannot contain a raw line break or control character (write \\n)", at);
      out += ch;
      at++;
    }
  };

  const parseNumber = (): number => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at));
    if (!match || match[0] === "-") fail("a number");
    at += match![0].length;
    return Number(match![0]);
  };

  const parseLiteral = (word: string, value: unknown): unknown => {
    if (text.startsWith(word, at)) {
      at += word.length;
      return value;
    }
    return fail("a value (an object, array, string, number, true, false or null)");
  };

  const parseValue = (): unknown => {
    skipSpace();
    const ch = text[at];
    if (ch === "{") return parseObject();
    if (ch === "[") return parseArray();
    if (ch === '"') return parseString();
    if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) return parseNumber();
    if (ch === "t") return parseLiteral("true", true);
    if (ch === "f") return parseLiteral("false", false);
    if (ch === "n") return parseLiteral("null", null);
    if (ch === "'") throw new Failure("Strings use double quotes in JSON, not single quotes", at);
    return fail("a value (an object, array, string, number, true, false or null)");
  };

  const parseObject = (): Record<string, unknown> => {
    at++;
    const out: Record<string, unknown> = {};
    skipSpace();
    if (text[at] === "}") {
      at++;
      return out;
    }
    while (true) {
      skipSpace();
      if (text[at] === "}") throw new Failure("A trailing comma is not allowed in JSON", at);
      if (text[at] !== '"') fail("a property name in double quotes");
      const key = parseString();
      skipSpace();
      if (text[at] !== ":") fail(`":" after the property name "${key}"`);
      at++;
      Object.defineProperty(out, key, { value: parseValue(), enumerable: true, writable: true, configurable: true });
      skipSpace();
      if (text[at] === ",") {
        at++;
        continue;
      }
      if (text[at] === "}") {
        at++;
        return out;
      }
      fail(`"," or "}" after the value of "${key}"`);
    }
  };

  const parseArray = (): unknown[] => {
    at++;
    const out: unknown[] = [];
    skipSpace();
    if (text[at] === "]") {
      at++;
      return out;
    }
    while (true) {
      skipSpace();
      if (text[at] === "]") throw new Failure("A trailing comma is not allowed in JSON", at);
      out.push(parseValue());
      skipSpace();
      if (text[at] === ",") {
        at++;
        continue;
      }
      if (text[at] === "]") {
        at++;
        return out;
      }
      fail('"," or "]" after an array item');
    }
  };

  try {
    const value = parseValue();
    skipSpace();
    if (at < text.length) fail("the end of the text after the value");
    return { ok: true, value };
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    return { ok: false, error: { message: err.message, offset: err.offset, ...lineColumnOf(text, err.offset) } };
  }
}
