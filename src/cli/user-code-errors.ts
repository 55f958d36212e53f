/**
 * Keeps a long-running command (server, daemon, worker) alive when code it loaded (definitions'
 * top level, a schedule's or sensor's function, a resource) throws later, asynchronously: a stray
 * timer that throws, a promise nobody awaits that rejects. Node would end the process; the error is
 * logged instead, naming `what` keeps running. Returns the function that removes the handlers.
 * @example
 * const release = logUserCodeErrors("the daemon", log);
 * try { await runDaemon(...) } finally { release(); }
 */
export function logUserCodeErrors(what: string, log: (line: string) => void): () => void {
  const onError = (err: unknown): void =>
    log(`error in user code or a background task (${what} keeps running): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  return () => {
    process.off("uncaughtException", onError);
    process.off("unhandledRejection", onError);
  };
}
