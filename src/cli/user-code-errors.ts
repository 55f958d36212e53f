import { onUnownedError, routeUncaughtErrors } from "../execution/uncaught-errors.js";
import { errorDetail } from "../definitions/errors.js";

/**
 * Keeps a long-running command (server, daemon, worker) alive when code it loaded (definitions'
 * top level, a schedule's or sensor's function, a resource) throws later, asynchronously: a stray
 * timer that throws, a promise nobody awaits that rejects. Node would end the process; the error is
 * logged instead, naming `what` keeps running. (Errors a run's steps own fail those steps instead:
 * see routeUncaughtErrors.) Returns the function that stops logging them this way.
 * @example
 * const release = logUserCodeErrors("the daemon", log);
 * try { await runDaemon(...) } finally { release(); }
 */
export function logUserCodeErrors(what: string, log: (line: string) => void): () => void {
  routeUncaughtErrors();
  return onUnownedError((err) =>
    log(`error in user code or a background task (${what} keeps running): ${errorDetail(err)}`),
  );
}
