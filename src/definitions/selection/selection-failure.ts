/**
 * How the selection parser reports a problem: a SelectionError naming the position, with the
 * expression (or, when long, the part around the problem) echoed and a caret under it.
 */
import { SelectionError } from "../errors.js";

/** Characters of the expression shown on each side of the problem when the whole is too long to echo. */
const ECHO_CONTEXT = 40;

/**
 * Throws the SelectionError for `detail` at `position`, with the expression and a caret under the
 * problem. A long expression is shown around the problem only, so the message stays readable.
 */
export function fail(expression: string, position: number, detail: string): never {
  const flat = expression.replace(/[\t\r\n]/g, " ");
  const long = flat.length > 2 * ECHO_CONTEXT + 20;
  const from = long ? Math.max(0, position - ECHO_CONTEXT) : 0;
  const to = long ? Math.min(flat.length, position + ECHO_CONTEXT) : flat.length;
  const before = from > 0 ? "..." : "";
  const echo = `${before}${flat.slice(from, to)}${to < flat.length ? "..." : ""}`;
  const quoted = long ? `of ${expression.length.toLocaleString("en-US")} characters` : JSON.stringify(expression);
  throw new SelectionError(
    `Invalid selection ${quoted} at position ${position}: ${detail}\n` + `  ${echo}\n  ${" ".repeat(before.length + position - from)}^`,
    expression,
    position,
  );
}

/** Text from the input as a message quotes it: long names and tokens are cut short. */
export function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
