/**
 * Parser of selection expressions, following Dagster's asset selection grammar
 * (`AssetSelection.g4`): the same tokens, the same precedence (traversals bind tightest, then
 * `not`, then `and`, then `or`), the same values, and Dagster's fallback for plain clauses such
 * as `+orders` or `orders*`. See `selection-ast.ts` for what each node selects.
 */
import { SelectionError } from "../errors.js";
import { InputLimits } from "../input-limits.js";
import { clip, fail } from "./selection-failure.js";
import { ASSET_STATUS_VALUES, type AssetStatusValue, type SelectionNode, type TraversalDepth } from "./selection-ast.js";

type TokenType =
  | "and" | "or" | "not" | "star" | "plus" | "digits" | "colon" | "equal" | "lparen" | "rparen"
  | "comma" | "keyword" | "quoted" | "unquoted" | "wildcard" | "null" | "eof";

interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const SUPPORTED_ATTRIBUTES = ["key", "key_substring", "tag", "owner", "group", "kind", "status"];
// Dagster's lexer reserves these words too; keeping them reserved means an expression that is
// invalid in Dagster (e.g. group:status) is invalid here, and one that is valid means the same.
const UNSUPPORTED_ATTRIBUTES = [
  "is", "code_location", "column", "table_name", "column_tag", "changed_in_branch",
  "partitions", "automation_type", "sensor", "schedule", "job", "not_materialized_in_hours",
];
const ATTRIBUTE_LIST = SUPPORTED_ATTRIBUTES.join(", ").replace(/, (\w+)$/, " and $1");
const FUNCTIONS = ["sinks", "roots"];
// Dagster's `value` rule accepts these keywords unquoted (a job may well be called "job").
const VALUE_KEYWORDS = new Set(["sensor", "schedule", "job"]);
const KEYWORDS = new Set([...SUPPORTED_ATTRIBUTES, ...UNSUPPORTED_ATTRIBUTES, ...FUNCTIONS]);
// Operators are `and` or `AND`, never `And`: the grammar lists exactly these spellings.
const OPERATORS = new Map<string, TokenType>([
  ["and", "and"], ["AND", "and"], ["or", "or"], ["OR", "or"], ["not", "not"], ["NOT", "not"],
]);
const SINGLE_CHARACTERS = new Map<string, TokenType>([
  ["*", "star"], ["+", "plus"], [":", "colon"], ["=", "equal"],
  ["(", "lparen"], [")", "rparen"], [",", "comma"],
]);
const NULL_LITERAL = "<null>";
const WHITESPACE = /[ \t\r\n]*/y;
const DIGITS = /[0-9]+/y;
const WORD = /[A-Za-z_][A-Za-z0-9_/]*/y;
const WILDCARD = /[A-Za-z_*][A-Za-z0-9_*/]*/y;

function isReservedWord(word: string): boolean {
  return KEYWORDS.has(word) || OPERATORS.has(word);
}

function lengthAt(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0].length ?? 0;
}

/**
 * The token at `at`, chosen like Dagster's ANTLR lexer: the longest match wins, and on a tie
 * the rule declared first (so `*` alone is the all-assets star and `*_raw` a wildcard name,
 * `key` is a keyword and `keys` a name).
 */
function scan(expression: string, at: number): readonly [TokenType, number] | undefined {
  if (expression[at] === '"') return ["quoted", quotedLength(expression, at)];
  if (expression.startsWith(NULL_LITERAL, at)) return ["null", NULL_LITERAL.length];
  const digits = lengthAt(DIGITS, expression, at);
  if (digits > 0) return ["digits", digits];
  const word = lengthAt(WORD, expression, at);
  const wildcard = lengthAt(WILDCARD, expression, at);
  if (wildcard > Math.max(word, 1)) return ["wildcard", wildcard];
  if (word > 0) {
    const text = expression.slice(at, at + word);
    return [OPERATORS.get(text) ?? (KEYWORDS.has(text) ? "keyword" : "unquoted"), word];
  }
  const single = SINGLE_CHARACTERS.get(expression[at]!);
  return single ? [single, 1] : undefined;
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let at = lengthAt(WHITESPACE, expression, 0);
  while (at < expression.length) {
    const scanned = scan(expression, at);
    if (!scanned) {
      const found = JSON.stringify(expression[at]);
      fail(expression, at, `unexpected character ${found}; write values containing it in double quotes`);
    }
    const [type, length] = scanned;
    tokens.push({ type, text: expression.slice(at, at + length), start: at, end: at + length });
    at += length;
    at += lengthAt(WHITESPACE, expression, at);
  }
  tokens.push({ type: "eof", text: "", start: expression.length, end: expression.length });
  return tokens;
}

/** Length of the quoted value starting at `start`; Dagster's quotes have no escapes at all. */
function quotedLength(expression: string, start: number): number {
  for (let at = start + 1; at < expression.length; at++) {
    const ch = expression[at];
    if (ch === '"') return at - start + 1;
    if (ch === "\\") fail(expression, at, "quoted values cannot contain a backslash (there are no escapes)");
    if (ch === "\r" || ch === "\n") break;
  }
  fail(expression, start, 'unterminated quoted value: add the closing double quote (")');
}

interface Atom {
  readonly node: SelectionNode;
  /** A bare name (`orders`), which takes no traversal: see parseSelection. */
  readonly bare: boolean;
}

class Parser {
  private index = 0;
  /** Open parentheses and `not`s around the current token, bounded so that recursion is. */
  private depth = 0;

  constructor(
    private readonly expression: string,
    private readonly tokens: readonly Token[],
  ) {}

  parse(): SelectionNode {
    if (this.current().type === "eof") {
      this.failAt(0, "the selection is empty; expected an expression such as key:NAME, group:NAME or *");
    }
    const node = this.parseOr("");
    const extra = this.current();
    if (extra.type === "rparen") this.failAt(extra.start, 'unmatched ")"');
    if (extra.type !== "eof") {
      this.fail(extra, 'expected "and", "or" or the end of the selection', trailingHint(extra));
    }
    return node;
  }

  private current(): Token {
    return this.tokens[this.index]!;
  }

  private peek(): Token {
    return this.tokens[Math.min(this.index + 1, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.current();
    if (token.type !== "eof") this.index++;
    return token;
  }

  private fail(token: Token, expected: string, hint = ""): never {
    const found = token.type === "eof" ? "" : ` but found ${JSON.stringify(clip(token.text))}`;
    fail(this.expression, token.start, `${expected}${found}${hint}`);
  }

  private failAt(position: number, detail: string): never {
    fail(this.expression, position, detail);
  }

  /** Parses what `token` opens (a "(" or a `not`) one level deeper; refuses to go past the limit. */
  private nested<T>(token: Token, parse: () => T): T {
    if (this.depth >= InputLimits.selectionDepth) {
      this.failAt(
        token.start,
        `the selection nests more than ${InputLimits.selectionDepth} levels deep (parentheses and "not" together); write it with fewer levels`,
      );
    }
    this.depth++;
    const result = parse();
    this.depth--;
    return result;
  }

  private parseOr(context: string): SelectionNode {
    return this.parseChain("or", context, (operandContext) => this.parseAnd(operandContext));
  }

  private parseAnd(context: string): SelectionNode {
    return this.parseChain("and", context, (operandContext) => this.parseUnary(operandContext));
  }

  // `and` and `or` associate to the left, like Dagster's left-recursive rule.
  private parseChain(type: "and" | "or", context: string, operand: (context: string) => SelectionNode): SelectionNode {
    let left = operand(context);
    while (this.current().type === type) {
      left = { type, left, right: operand(` after "${this.next().text}"`) };
    }
    return left;
  }

  // `not` binds tighter than `and`/`or` but looser than traversals: `not a+` is `not (a+)`.
  private parseUnary(context: string): SelectionNode {
    const token = this.current();
    if (token.type === "not") {
      this.next();
      return { type: "not", operand: this.nested(token, () => this.parseUnary(` after "${token.text}"`)) };
    }
    if (token.type === "star") {
      this.next();
      return { type: "all" };
    }
    return this.parseTraversal(context);
  }

  private parseTraversal(context: string): SelectionNode {
    const first = this.current();
    let upstream: TraversalDepth | null = null;
    if (first.type === "digits") {
      if (this.peek().type !== "plus") this.failDigits(first);
      upstream = Number(first.text);
      this.next();
    }
    const upToken = this.current().type === "plus" ? this.next() : null;
    if (upToken && upstream === null) upstream = "all";
    const atomContext = upToken ? ` after "${clip(this.expression.slice(first.start, upToken.end))}"` : context;
    const atom = this.parseAtom(atomContext, upToken !== null);
    if (upToken && atom.bare) this.failBareTraversal(upToken, atom.node);
    let downstream: TraversalDepth | null = null;
    if (this.current().type === "plus") {
      const downToken = this.next();
      if (atom.bare) this.failBareTraversal(downToken, atom.node);
      // Digits right after the "+" are its depth: no valid expression could use them otherwise.
      downstream = this.current().type === "digits" ? Number(this.next().text) : "all";
    }
    if (upstream === null && downstream === null) return atom.node;
    return { type: "traversal", operand: atom.node, upstream, downstream };
  }

  private parseAtom(context: string, afterTraversal: boolean): Atom {
    const token = this.current();
    switch (token.type) {
      case "lparen": {
        this.next();
        const inner = this.nested(token, () => this.parseOr(' after "("'));
        this.expectClose(`the "(" at position ${token.start}`);
        return { node: inner, bare: false };
      }
      case "keyword":
        return { node: this.parseKeyword(token), bare: false };
      case "unquoted":
      case "quoted": {
        const following = this.peek();
        if (token.type === "unquoted" && following.type === "colon") {
          const lower = token.text.toLowerCase();
          const hint = SUPPORTED_ATTRIBUTES.includes(lower) ? ` (attribute names are lower case: ${lower}:)` : "";
          this.failAt(token.start, `unknown attribute "${clip(token.text)}"${hint}; the attributes are ${ATTRIBUTE_LIST}`);
        }
        if (token.type === "unquoted" && following.type === "lparen") {
          this.failAt(token.start, `unknown function "${clip(token.text)}"; the functions are roots(...) and sinks(...)`);
        }
        this.next();
        return { node: { type: "key", pattern: unquote(token) }, bare: true };
      }
      case "wildcard":
        if (this.peek().type === "colon") {
          this.failAt(token.start, '"*" is not a traversal; write "+" instead, e.g. +key:NAME (and everything upstream)');
        }
        this.failAt(token.start, `a bare name cannot contain "*"; write key:${clip(token.text)} to match keys by pattern`);
      default:
        if (!afterTraversal) this.fail(token, `expected an expression${context}`);
        this.fail(token, `expected an attribute, a name, a function call or "("${context}`, " (a traversal applies to those)");
    }
  }

  private parseKeyword(token: Token): SelectionNode {
    const name = token.text;
    if (name === "sinks" || name === "roots") {
      this.next();
      if (this.current().type !== "lparen") this.fail(this.current(), `expected "(" after "${name}"`);
      const open = this.next();
      const operand = this.nested(open, () => this.parseOr(` after "${name}("`));
      this.expectClose(`"${name}(" at position ${token.start}`);
      return { type: name, operand };
    }
    if (!SUPPORTED_ATTRIBUTES.includes(name)) {
      const detail =
        this.peek().type === "colon"
          ? `the attribute "${name}" is not supported by Sluice; the attributes are ${ATTRIBUTE_LIST}`
          : `"${name}" is a reserved word; to select an asset with that key write key:"${name}"`;
      this.failAt(token.start, detail);
    }
    this.next();
    if (this.current().type !== "colon") this.fail(this.current(), `expected ":" after "${name}"`);
    this.next();
    const after = `${name}:`;
    switch (name) {
      case "key":
        return { type: "key", pattern: this.parseValue(after, "key") as string };
      case "key_substring":
        return { type: "key_substring", value: this.parseValue(after, "text") as string };
      case "tag": {
        const key = this.parseValue(after, "nullable");
        if (this.current().type !== "equal") return { type: "tag", key, value: "" };
        this.next();
        // Dagster reads tag:K=<null> as tag:K, i.e. the empty value.
        return { type: "tag", key, value: this.parseValue("=", "nullable") ?? "" };
      }
      case "owner":
        return { type: "owner", value: this.parseValue(after, "nullable") };
      case "group":
        return { type: "group", value: this.parseValue(after, "nullable") };
      case "status": {
        const at = this.current().start;
        const value = this.parseValue(after, "text") as string;
        if (!(ASSET_STATUS_VALUES as readonly string[]).includes(value)) {
          this.failAt(at, `unknown status "${clip(value)}"; the statuses are ${ASSET_STATUS_VALUES.join(", ")}`);
        }
        return { type: "status", value: value as AssetStatusValue };
      }
      default:
        return { type: "kind", value: this.parseValue(after, "nullable") };
    }
  }

  /**
   * Reads an attribute value. `key` values may hold unquoted `*` wildcards; the others are
   * plain (`text`) or may also be `<null>` (`nullable`), as in Dagster's `keyValue`/`value`.
   */
  private parseValue(after: string, kind: "key" | "text" | "nullable"): string | null {
    const token = this.current();
    const accepted =
      token.type === "quoted" ||
      token.type === "unquoted" ||
      (token.type === "keyword" && VALUE_KEYWORDS.has(token.text)) ||
      (token.type === "wildcard" && kind === "key") ||
      (token.type === "null" && kind === "nullable");
    if (accepted) {
      this.next();
      return token.type === "null" ? null : unquote(token);
    }
    const at = token.start;
    switch (token.type) {
      case "wildcard":
        this.failAt(at, `an unquoted "*" is only allowed in key: values; write the value in double quotes: "${clip(token.text)}"`);
      case "keyword":
      case "and":
      case "or":
      case "not":
        this.failAt(at, `"${token.text}" is a reserved word; write it in double quotes to use it as a value: "${token.text}"`);
      case "digits": {
        const value = /^[\w/*.-]*/.exec(this.expression.slice(at))![0];
        this.failAt(at, `a value that starts with a digit must be written in double quotes: "${clip(value)}"`);
      }
      case "star":
        this.failAt(at, 'a lone "*" is not a value; write key:"*" to match every key, or * for every asset');
      case "null":
        this.failAt(at, `<null> is not allowed after "${after}"`);
      default:
        this.fail(token, `expected a value after "${after}"`);
    }
  }

  private expectClose(what: string): void {
    if (this.current().type !== "rparen") this.fail(this.current(), `expected ")" to close ${what}`);
    this.next();
  }

  private failDigits(digits: Token): never {
    const following = this.peek();
    if (following.start === digits.end && ["unquoted", "wildcard", "keyword"].includes(following.type)) {
      const name = clip(this.expression.slice(digits.start, following.end));
      this.failAt(digits.start, `a name that starts with a digit must be written in double quotes: key:"${name}"`);
    }
    this.failAt(following.start, `expected "+" after the depth "${clip(digits.text)}"`);
  }

  private failBareTraversal(plus: Token, node: SelectionNode): never {
    const name = node.type === "key" ? clip(node.pattern) : "NAME";
    this.failAt(
      plus.start,
      `a "+" on a bare name is only allowed when the name is the whole selection (Dagster's ` +
        `clause syntax); inside an expression write key:"${name}" with it, e.g. +key:"${name}" ` +
        `(every level upstream) or 1+key:"${name}" (one level)`,
    );
  }
}

function trailingHint(token: Token): string {
  if (token.type === "unquoted" && OPERATORS.has(token.text.toLowerCase())) {
    const lower = token.text.toLowerCase();
    return `; operators are written in lower or upper case ("${lower}" or "${lower.toUpperCase()}")`;
  }
  if (token.type === "plus") {
    return '; a traversal applies once on each side of an attribute, a name, a function call or "(...)"';
  }
  if (token.type === "comma") return '; combine selections with "or"';
  return "";
}

function unquote(token: Token): string {
  return token.type === "quoted" ? token.text.slice(1, -1) : token.text;
}

// Dagster's AssetSelection.from_string falls back to its older clause syntax when the grammar
// rejects the string: a plain name with `*`/`+` marks, where `+` counts levels and `*` means all.
const LEGACY_CLAUSE = /^(\*?\+*)([./\p{L}\p{N}_[\]?-]+)(\+*\*?)$/u;

function legacyDepth(marks: string): TraversalDepth | null {
  if (marks === "") return null;
  return marks.includes("*") ? "all" : marks.length;
}

function parseLegacyClause(expression: string): SelectionNode | null {
  const match = LEGACY_CLAUSE.exec(expression.trim());
  if (!match) return null;
  const [, up = "", name = "", down = ""] = match;
  // Keywords stay errors ("not", "sinks"), and a key never has an empty component: "raw/*"
  // is a mistyped wildcard, not "everything downstream of raw/".
  if (isReservedWord(name) || name.split("/").includes("")) return null;
  const key: SelectionNode = { type: "key", pattern: name };
  const upstream = legacyDepth(up);
  const downstream = legacyDepth(down);
  if (upstream === null && downstream === null) return key;
  return { type: "traversal", operand: key, upstream, downstream };
}

/**
 * Parses a selection expression (Dagster's asset selection syntax) into a syntax tree.
 *
 * Valid Dagster expressions mean what they mean in Dagster. Two additions: `key_substring:S`
 * (from an earlier version of the grammar), and bare names inside larger expressions
 * (`orders or customers` reads `key:orders or key:customers`). A selection that is a single
 * bare name with `+`/`*` marks keeps Dagster's clause meaning: `+orders` is one level upstream,
 * `++orders` two, `*orders` all (whereas `+key:orders` is all levels).
 *
 * Expressions longer than `InputLimits.selectionLength` characters, or nested deeper than
 * `InputLimits.selectionDepth` levels, are refused (a SelectionError at the position past the limit).
 *
 * @throws SelectionError naming the zero-based position of the problem and what was expected.
 * @example
 * parseSelection("+key:raw/orders and not group:staging");
 * // { type: "and",
 * //   left: { type: "traversal", operand: { type: "key", pattern: "raw/orders" },
 * //           upstream: "all", downstream: null },
 * //   right: { type: "not", operand: { type: "group", value: "staging" } } }
 */
export function parseSelection(expression: string): SelectionNode {
  const maxLength = InputLimits.selectionLength;
  if (expression.length > maxLength) {
    // Checked before anything else reads the text, and never rescued by the legacy clause syntax.
    fail(
      expression,
      maxLength,
      `the selection is ${expression.length.toLocaleString("en-US")} characters long; at most ${maxLength.toLocaleString("en-US")} are allowed ` +
        `(select by group, tag or kind, or pass a list of asset keys)`,
    );
  }
  try {
    return new Parser(expression, tokenize(expression)).parse();
  } catch (error) {
    const clause = error instanceof SelectionError ? parseLegacyClause(expression) : null;
    if (clause) return clause;
    throw error;
  }
}
