import { errorMessage } from "../../definitions/errors.js";
import { CompiledQuery, sql, type Kysely } from "kysely";
import { connectionLostReason, markLostDuringCommit } from "./postgres-connection-errors.js";

const BEGIN = CompiledQuery.raw("begin");
const COMMIT = CompiledQuery.raw("commit");
const ROLLBACK = CompiledQuery.raw("rollback");
const ASSIGNED_XID = CompiledQuery.raw("select txid_current_if_assigned() as xid");

/** What pg says when a query was refused before anything was sent: its connection had already broken. */
const NOT_SENT = /is not queryable/;

/** A write transaction in progress: its transaction id, once known. */
interface TransactionState {
  xid: number | null | undefined;
}

const states = new WeakMap<object, TransactionState>();

/**
 * Records the transaction id of the write transaction `trx` belongs to, read by a statement the
 * storage runs anyway (the event log's lock), which spares the extra query before COMMIT.
 */
export function noteTransactionId(trx: object, xid: number | null): void {
  const state = states.get(trx);
  if (state) state.xid = xid;
}

/**
 * Runs `fn` in a transaction on one connection (opened by `begin`: BEGIN, or BEGIN and statements
 * without parameters in the same round trip) and commits it, deciding what a lost connection
 * means for the write:
 * - lost before COMMIT was sent (pg refuses a query on a broken client without sending it), or
 *   during the work: the server rolled the transaction back; the error is left retryable;
 * - lost while committing: the outcome is read back by transaction id (`txid_status`) on a new
 *   connection, waiting up to `reconnectTimeoutMs` for the server: committed → the result is
 *   returned as if nothing happened; aborted → retryable; unknown → marked lost during commit,
 *   which the storage does not retry.
 */
export async function postgresWriteTransaction<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Kysely<DB>) => Promise<T>,
  reconnectTimeoutMs: number,
  begin: CompiledQuery = BEGIN,
): Promise<T> {
  let outcome: { result: T; xid: number | null } | undefined;
  try {
    return await db.connection().execute(async (conn) => {
      await conn.executeQuery(begin);
      const state: TransactionState = { xid: undefined };
      states.set(conn, state);
      let result: T;
      try {
        result = await fn(conn);
        if (state.xid === undefined) state.xid = xidOf((await conn.executeQuery<{ xid: unknown }>(ASSIGNED_XID)).rows[0]?.xid);
      } catch (err) {
        await rollbackQuietly(conn);
        throw err;
      }
      outcome = { result, xid: state.xid };
      await conn.executeQuery(COMMIT);
      return result;
    });
  } catch (err) {
    // Not at COMMIT, or COMMIT never left this process: nothing was committed.
    if (outcome === undefined || connectionLostReason(err) === undefined || NOT_SENT.test(messageOf(err))) throw err;
    // A transaction that wrote nothing has nothing to lose by running again.
    if (outcome.xid === null) throw err;
    const status = await commitStatus(db, outcome.xid, reconnectTimeoutMs);
    if (status === "committed") return outcome.result;
    if (status !== "aborted") markLostDuringCommit(err);
    throw err;
  }
}

/**
 * What became of transaction `xid`, asked on a new connection: `committed`, `aborted`, or
 * `unknown` (the server could not be reached within the window, or no longer knows the id).
 */
async function commitStatus<DB>(db: Kysely<DB>, xid: number, timeoutMs: number): Promise<"committed" | "aborted" | "unknown"> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      const { rows } = await sql<{ status: string | null }>`select txid_status(${xid}::bigint) as status`.execute(db);
      const status = rows[0]?.status;
      if (status === "committed" || status === "aborted") return status;
      // "in progress": the server is still finishing it (the connection broke, not the server).
      if (status !== "in progress") return "unknown";
    } catch (err) {
      if (connectionLostReason(err) === undefined) return "unknown";
    }
    if (Date.now() + wait > deadline) return "unknown";
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function xidOf(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function messageOf(err: unknown): string {
  return errorMessage(err);
}

async function rollbackQuietly(conn: Kysely<any>): Promise<void> {
  try {
    await conn.executeQuery(ROLLBACK);
  } catch {
    // The connection broke (the server rolled back on its own); the caller's error is the one to report.
  }
}
