import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult } from "kysely";
import { processSecrets, type SecretMask } from "../definitions/secret-mask.js";

/**
 * Wraps a kysely dialect so that every query it sends has the process's secrets masked in its
 * string parameters: the one place every text Sluice stores goes through (event messages and
 * metadata, errors, tick errors and skip reasons, cursors, run tags and config, daemon
 * heartbeats), whichever code built it, so a new field cannot forget it. Masking applies to the
 * parameters, never to the SQL text (which Sluice writes itself); with no secret known it costs one
 * check per query.
 */
export function secretMaskingDialect(dialect: Dialect, secrets: SecretMask = processSecrets): Dialect {
  return {
    createDriver: () => maskingDriver(dialect.createDriver(), secrets),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

function maskingDriver(driver: Driver, secrets: SecretMask): Driver {
  // The driver's own methods want its own connection objects back (pg's release is a private method).
  const originals = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const wrappers = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const wrap = (connection: DatabaseConnection): DatabaseConnection => {
    let wrapper = wrappers.get(connection);
    if (wrapper === undefined) {
      wrapper = {
        executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> => connection.executeQuery<R>(maskQuery(query, secrets)),
        streamQuery: <R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> =>
          connection.streamQuery<R>(maskQuery(query, secrets), chunkSize),
      };
      wrappers.set(connection, wrapper);
      originals.set(wrapper, connection);
    }
    return wrapper;
  };
  const unwrap = (connection: DatabaseConnection): DatabaseConnection => originals.get(connection) ?? connection;
  const wrapped: Driver = {
    init: () => driver.init(),
    acquireConnection: async () => wrap(await driver.acquireConnection()),
    beginTransaction: (connection, settings) => driver.beginTransaction(unwrap(connection), settings),
    commitTransaction: (connection) => driver.commitTransaction(unwrap(connection)),
    rollbackTransaction: (connection) => driver.rollbackTransaction(unwrap(connection)),
    releaseConnection: (connection) => driver.releaseConnection(unwrap(connection)),
    destroy: () => driver.destroy(),
  };
  if (driver.savepoint) wrapped.savepoint = (connection, name, compile) => driver.savepoint!(unwrap(connection), name, compile);
  if (driver.rollbackToSavepoint) {
    wrapped.rollbackToSavepoint = (connection, name, compile) => driver.rollbackToSavepoint!(unwrap(connection), name, compile);
  }
  if (driver.releaseSavepoint) wrapped.releaseSavepoint = (connection, name, compile) => driver.releaseSavepoint!(unwrap(connection), name, compile);
  return wrapped;
}

/** The query with its string parameters masked; the query itself when nothing changed. */
function maskQuery(query: CompiledQuery, secrets: SecretMask): CompiledQuery {
  if (secrets.empty) return query;
  let changed = false;
  const parameters = query.parameters.map((value) => {
    if (typeof value !== "string") return value;
    const masked = secrets.mask(value);
    if (masked !== value) changed = true;
    return masked;
  });
  return changed ? { ...query, parameters } : query;
}
