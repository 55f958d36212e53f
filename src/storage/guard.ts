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
    const message = err instanceof Error ? err.message : String(err);
    throw new StorageError(`Storage failed to ${doing}: ${message}`, { cause: err });
  }
}
