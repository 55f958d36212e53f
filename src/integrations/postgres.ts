/**
 * `sluice/postgres`: a Postgres connection pool as a resource, on the `pg` package.
 */
export { postgresResource } from "./postgres/postgres-resource.js";
export { describeTarget, PostgresDatabase } from "./postgres/postgres-database.js";
export { MissingPackageError } from "./missing-package-error.js";
