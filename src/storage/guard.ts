import { isSluiceError, StorageError, StorageUnavailableError } from "../definitions/errors.js";
import type { StorageDialect } from "./dialect.js";

/** First wait before an operation that lost its connection is tried again; it doubles up to the cap. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1000;

/**
 * Runs every storage operation: turns driver errors into a StorageError that says what was being
 * done (the driver's error kept as `cause`; Sluice errors pass through unchanged), and tries again
 * an operation that lost its connection (a Postgres restart or failover), for up to the dialect's
 * reconnect window, so that the processes of an instance ride through a short outage instead of
 * failing runs. An operation is one read or one whole write transaction, which the database rolled
 * back when the connection dropped, so trying it again stores nothing twice; a connection lost
 * while committing is never retried (the write may have been stored).
 *
 * The first contact with the database is not retried: an unreachable server at open is reported at
 * once, by its URL (a typo in the URL should not look like a hang).
 */
export class StorageGuard {
  readonly #dialect: StorageDialect;
  #reached = false;

  constructor(dialect: StorageDialect) {
    this.#dialect = dialect;
  }

  /**
   * Runs `fn` (`doing` says what it does, for messages: "store events"). Throws
   * StorageUnavailableError when the connection was lost and could not be made again within the
   * reconnect window, or was lost during a commit; StorageError for other driver errors.
   */
  async run<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let wait = FIRST_RETRY_MS; ; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
      try {
        const result = await fn();
        this.#reached = true;
        return result;
      } catch (err) {
        if (isSluiceError(err)) throw err;
        const loss = this.#dialect.connectionLoss(err);
        if (loss === undefined) throw new StorageError(`Storage failed to ${doing}: ${describeDriverError(err)}`, { cause: err });
        const timeoutMs = this.#reached ? this.#dialect.reconnectTimeoutMs : 0;
        if (loss.duringCommit) {
          throw new StorageUnavailableError(
            `Storage failed to ${doing}: the connection to ${loss.location} was lost while committing ` +
              `(${loss.reason}), so whether it was stored is unknown; it was not tried again.`,
            loss.location,
            true,
            { cause: err },
          );
        }
        const elapsed = Date.now() - started;
        if (elapsed >= timeoutMs) {
          const what = !this.#reached
            ? `cannot connect to ${loss.location}`
            : timeoutMs > 0
              ? `lost its connection to ${loss.location} and could not reconnect within ${Math.round(timeoutMs / 1000)} s`
              : `lost its connection to ${loss.location}`;
          throw new StorageUnavailableError(
            `Storage failed to ${doing}: ${what} (${loss.reason}). ` +
              `Check that the database server is running and reachable from this machine` +
              (timeoutMs > 0 ? ` (sluice.yaml storage.postgres.reconnect_timeout_seconds sets how long to wait).` : "."),
            loss.location,
            false,
            { cause: err },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, timeoutMs - elapsed)));
      }
    }
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
