import { isSluiceError, StorageError } from "../definitions/errors.js";

/**
 * Runs `fn`, turning driver errors into a StorageError that says what was being done (the driver's
 * error is kept as `cause`). Sluice errors pass through unchanged.
 */
export async function guard<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isSluiceError(err)) throw err;
    throw new StorageError(`Storage failed to ${doing}: ${describeDriverError(err)}`, { cause: err });
  }
}

/**
 * A driver error's message; for an error without one (Node's AggregateError of a refused
 * connection to a host with several addresses) the messages or codes of what it aggregates.
 */
export function describeDriverError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.message !== "") return err.message;
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.length > 0) return [...new Set(inner.map(describeDriverError))].join("; ");
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err.name;
}
