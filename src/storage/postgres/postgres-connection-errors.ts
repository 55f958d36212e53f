import { StorageError } from "../../definitions/errors.js";
import { redactPostgresUrl } from "./postgres-url.js";

/** Node and Postgres error codes that mean "could not reach or log in to the server". */
const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "28000", // invalid_authorization_specification (no pg_hba.conf entry, unknown role)
  "28P01", // invalid_password
  "3D000", // invalid_catalog_name (the database does not exist)
  "57P03", // cannot_connect_now (starting up or shutting down)
  "53300", // too_many_connections
]);

/**
 * When `err` (or its cause) means the Postgres server could not be reached or refused the login,
 * a StorageError naming the server by its URL without the password, the reason, and what to check;
 * otherwise undefined.
 */
export function describeConnectionFailure(err: unknown, url: string): StorageError | undefined {
  const reason = connectionReason(err);
  if (reason === undefined) return undefined;
  return new StorageError(
    `Cannot connect to Postgres at ${redactPostgresUrl(url)}: ${reason}. Check that the server is ` +
      `running and accepts connections from this machine, and that the URL (sluice.yaml ` +
      `storage.postgres.url) names the right host, port, database and user.`,
    { cause: err },
  );
}

function connectionReason(err: unknown, depth = 0): string | undefined {
  if (err === null || typeof err !== "object" || depth > 4) return undefined;
  const { code, message, errors, cause } = err as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  if (typeof code === "string" && CONNECTION_ERROR_CODES.has(code)) {
    return typeof message === "string" && message !== "" ? message : code;
  }
  // Node reports a refused connection to a name with several addresses (localhost: ::1 and
  // 127.0.0.1) as an AggregateError with an empty message.
  if (Array.isArray(errors)) {
    const reasons = errors.map((e) => connectionReason(e, depth + 1)).filter((r) => r !== undefined);
    if (reasons.length > 0) return [...new Set(reasons)].join("; ");
  }
  if (typeof message === "string" && /timeout expired|Connection terminated/i.test(message)) return message;
  return connectionReason(cause, depth + 1);
}

/**
 * Codes of errors after which the same operation may succeed on a new connection: the server went
 * away (restart, crash, failover), is starting up, or the network dropped. Not a wrong host name,
 * a refused login or a missing database: those do not fix themselves.
 */
const CONNECTION_LOST_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "08000", // connection_exception
  "08001", // sqlclient_unable_to_establish_sqlconnection
  "08003", // connection_does_not_exist
  "08004", // sqlserver_rejected_establishment_of_sqlconnection
  "08006", // connection_failure
  "57P01", // admin_shutdown (pg_ctl stop -m fast, pg_terminate_backend)
  "57P02", // crash_shutdown (another backend crashed)
  "57P03", // cannot_connect_now (starting up, in recovery, shutting down)
  "53300", // too_many_connections (every client reconnecting at once after a restart)
]);

/** What pg says, without a code, about a connection that broke under it. */
const CONNECTION_LOST_MESSAGES = /Connection terminated|connection error and is not queryable|timeout expired|terminating connection/i;

/** Errors that came out of a COMMIT whose connection broke: the write may have been stored. */
const lostDuringCommit = new WeakSet<object>();

/** Marks `err`, thrown by a transaction after its work was done, as lost during the commit. */
export function markLostDuringCommit(err: unknown): void {
  if (err !== null && typeof err === "object") lostDuringCommit.add(err);
}

/** Whether {@link markLostDuringCommit} marked `err`. */
export function wasLostDuringCommit(err: unknown): boolean {
  return err !== null && typeof err === "object" && lostDuringCommit.has(err);
}

/**
 * When `err` (or what it aggregates or wraps) means the connection to the server was lost or
 * cannot be made now, the driver's reason; otherwise undefined.
 */
export function connectionLostReason(err: unknown, depth = 0): string | undefined {
  if (err === null || typeof err !== "object" || depth > 4) return undefined;
  const { code, message, errors, cause } = err as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  const text = typeof message === "string" ? message : "";
  if (typeof code === "string" && CONNECTION_LOST_CODES.has(code)) return text !== "" ? text : code;
  if (Array.isArray(errors)) {
    const reasons = errors.map((e) => connectionLostReason(e, depth + 1)).filter((r) => r !== undefined);
    if (reasons.length > 0) return [...new Set(reasons)].join("; ");
  }
  if (CONNECTION_LOST_MESSAGES.test(text)) return text;
  return connectionLostReason(cause, depth + 1);
}
