import { envVarJson, envVarRef } from "../definitions/env-var.js";

/**
 * A JSON-safe copy of a value for the API: EnvVar references become `{"env": NAME}` with their options (their
 * values are never read), functions and symbols are dropped, Dates become ISO strings, bigints strings,
 * and cycles `"[circular]"`.
 */
export function toJsonValue(value: unknown, seen: Set<object> = new Set()): unknown {
  const env = envVarRef(value);
  if (env !== undefined) return envVarJson(env);
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "undefined" || typeof value === "function" || typeof value === "symbol") return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof RegExp) return value.toString();
  const obj = value as object;
  if (seen.has(obj)) return "[circular]";
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => toJsonValue(v, seen) ?? null);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const converted = toJsonValue(v, seen);
      if (converted !== undefined) out[k] = converted;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
