import path from "node:path";
import { UnsafePathError } from "../definitions/errors.js";

/**
 * Joins `baseDir` and `parts` (names that come from keys: an asset key's components, an op name,
 * a run id, a partition key) and returns the absolute path, or throws UnsafePathError naming
 * `subject` and the path when the result is not strictly inside `baseDir` (a `..` component, an
 * absolute part). Compares resolved paths component by component, so `base-evil` is not taken
 * for a path inside `base`. Symbolic links are not followed: the base is trusted, names are not.
 * @example
 * const file = joinWithin(valuesDir, ["raw", "orders.json"], 'asset "raw/orders"');
 */
export function joinWithin(baseDir: string, parts: readonly string[], subject: string): string {
  const base = path.resolve(baseDir);
  const full = path.resolve(base, ...parts);
  const rel = path.relative(base, full);
  if (rel === "" || rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new UnsafePathError(subject, full, base);
  }
  return full;
}
