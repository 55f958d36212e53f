import { errorMessage } from "../definitions/errors.js";
import type { Context } from "hono";
import type { z } from "zod";
import { HttpError, HttpErrorCode } from "./http-errors.js";

/**
 * Parses API input with a zod schema; throws a 400 HttpError naming the first offending path
 * (`body.config`, `query.limit`) and listing every problem.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, source: "body" | "query" | "params"): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  // An unknown key is named in the path itself (`body.jobx`), not only in the message.
  const pathOf = (issue: (typeof issues)[number]): string =>
    [source, ...issue.path.map(String), ...(issue.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [])].join(".");
  const first = issues[0]!;
  const lines = issues.map((issue) => `${pathOf(issue)}: ${issue.message}`);
  throw new HttpError(400, HttpErrorCode.InvalidInput, `Invalid ${source}: ${lines.join("; ")}`, pathOf(first));
}

/** The request body parsed as JSON (an empty body is `{}`); a 400 when it is not JSON. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, HttpErrorCode.InvalidJson, `The request body is not valid JSON: ${errorMessage(err)}`, "body");
  }
}

/** Query parameters, with repeated ones as arrays (`?tag=a:1&tag=b:2`). */
export function queryOf(c: Context): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(c.req.queries())) out[name] = values.length === 1 ? values[0]! : values;
  return out;
}
