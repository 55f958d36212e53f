import { AsyncLocalStorage } from "node:async_hooks";
import { errorDetail } from "../definitions/errors.js";

/**
 * Who answers for an error that user code throws where no promise catches it: a step (a timer or
 * callback its function started), or a run (a resource's). Node would end the process for it.
 */
export interface ErrorOwner {
  take(err: unknown): void;
}

const owners = new AsyncLocalStorage<ErrorOwner>();
const fallbacks: ((err: unknown) => void)[] = [];
let routing = false;

/**
 * Makes every uncaught exception and unhandled rejection of this process go to its owner (see
 * {@link runOwnedBy}): the step or run whose code started the work that threw, found through the
 * async context, so it fails that step instead of killing the process. Errors that no step or run
 * owns go to the innermost handler given to {@link onUnownedError}, else are printed on stderr
 * and make the exit code 1. For processes Sluice owns (the CLI, run workers); idempotent.
 */
export function routeUncaughtErrors(): void {
  if (routing) return;
  routing = true;
  const route = (err: unknown): void => {
    const owner = owners.getStore();
    if (owner) return owner.take(err);
    const fallback = fallbacks[fallbacks.length - 1];
    if (fallback) return fallback(err);
    process.stderr.write(`Unexpected error: ${errorDetail(err)}\n`);
    process.exitCode = 1;
  };
  process.on("uncaughtException", route);
  process.on("unhandledRejection", route);
}

/** Handles errors that no step or run owns while the returned function is not called. */
export function onUnownedError(handler: (err: unknown) => void): () => void {
  fallbacks.push(handler);
  return () => {
    const at = fallbacks.lastIndexOf(handler);
    if (at >= 0) fallbacks.splice(at, 1);
  };
}

/**
 * Runs `fn` with `owner` answering for what its asynchronous work throws uncaught. Only when
 * {@link routeUncaughtErrors} is on: otherwise (Sluice used as a library in a process of the
 * user's) errors keep Node's default, and no async context is tracked.
 */
export function runOwnedBy<T>(owner: ErrorOwner, fn: () => T): T {
  return routing ? owners.run(owner, fn) : fn();
}
