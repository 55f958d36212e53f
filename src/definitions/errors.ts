/**
 * The error classes of Sluice. Every error a user can meet is a `SluiceError` with a stable
 * `code` (matched by the CLI and the HTTP layer, never by `instanceof`, because user code and the
 * CLI may load two copies of this package) and fields that name what is wrong.
 */

/** Stable machine-readable codes of every Sluice error. */
export const ErrorCode = {
  Definition: "DEFINITION_ERROR",
  Selection: "SELECTION_ERROR",
  Config: "CONFIG_ERROR",
  MissingEnvVar: "MISSING_ENV_VAR",
  UserCode: "USER_CODE_ERROR",
  InputNotMaterialized: "INPUT_NOT_MATERIALIZED",
  Serialization: "SERIALIZATION_ERROR",
  RunNotFound: "RUN_NOT_FOUND",
  Load: "LOAD_ERROR",
  Storage: "STORAGE_ERROR",
  Usage: "USAGE_ERROR",
  Partition: "PARTITION_ERROR",
  /** An optional package an integration needs (`sluice/duckdb` → `@duckdb/node-api`) is not installed. */
  MissingPackage: "MISSING_PACKAGE",
  /** An HTTP request made by the `sluice/http` client failed (status, timeout, network). */
  HttpRequest: "HTTP_REQUEST_ERROR",
  /** A database file stayed locked by another process past the configured timeout. */
  DatabaseLocked: "DATABASE_LOCKED",
  /** A path built from a key (asset, op, run, partition) that would leave the directory it belongs in. */
  UnsafePath: "UNSAFE_PATH",
  /** An IO manager could not write a value's file (a full disk, no permission). */
  ValueWrite: "VALUE_WRITE_ERROR",
  /** A schedule or sensor was not evaluated: the daemon stopped (or reloaded) first. Nothing failed. */
  EvaluationHostClosed: "EVALUATION_HOST_CLOSED",
  /** An input (tags, run config, a selection, a name) over one of the limits of `input-limits.ts`. */
  InputTooLarge: "INPUT_TOO_LARGE",
  /** A backfill id that storage does not know. */
  BackfillNotFound: "BACKFILL_NOT_FOUND",
  /** A blocking asset check failed with severity ERROR: its step fails, and steps downstream of its asset are skipped. */
  CheckFailed: "ASSET_CHECK_FAILED",
} as const;
/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Root of every error Sluice throws on purpose. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Definitions that fail validation at load time (duplicate keys, missing deps, cycles...). */
export class DefinitionError extends SluiceError {
  /** The asset, resource, job or schedule the problem is about, when there is one. */
  readonly subject: string | undefined;
  constructor(message: string, subject?: string) {
    super(ErrorCode.Definition, message);
    this.subject = subject;
  }
}

/** A selection expression that does not parse or names nothing that exists. */
export class SelectionError extends SluiceError {
  /** The expression as given. */
  readonly expression: string;
  /** Zero-based character offset of the problem, when it is a parse error. */
  readonly position: number | undefined;
  constructor(message: string, expression: string, position?: number) {
    super(ErrorCode.Selection, message);
    this.expression = expression;
    this.position = position;
  }
}

/** Config (asset, resource or run config) that fails its schema. */
export class ConfigError extends SluiceError {
  /** Dotted path of the offending value, e.g. `ops.raw/orders.config.path`. */
  readonly path: string;
  constructor(message: string, path: string) {
    super(ErrorCode.Config, message);
    this.path = path;
  }
}

/** An `EnvVar("NAME")` whose variable is not set when a run starts. */
export class MissingEnvVarError extends SluiceError {
  readonly varName: string;
  /** Where the EnvVar was used, e.g. `resources.warehouse.config.url`. */
  readonly path: string;
  constructor(varName: string, path: string) {
    super(
      ErrorCode.MissingEnvVar,
      `Environment variable "${varName}" is not set, but ${path} reads it. ` +
        `Set it in the environment or in the project's .env file.`,
    );
    this.varName = varName;
    this.path = path;
  }
}

/** Wraps whatever user code threw; the original is kept as `cause`. */
export class UserCodeError extends SluiceError {
  readonly assetKey: string | undefined;
  constructor(message: string, assetKey: string | undefined, cause: unknown) {
    super(ErrorCode.UserCode, message, { cause });
    this.assetKey = assetKey;
  }
}

/**
 * What a multi-asset's function returned does not match its outputs: a selected output is
 * missing, or an output is unknown or was not selected. Its code is USER_CODE_ERROR: the function
 * is at fault.
 */
export class MultiAssetOutputError extends SluiceError {
  /** The multi-asset's name. */
  readonly multiAsset: string;
  /** The output names at fault. */
  readonly outNames: readonly string[];
  constructor(message: string, multiAsset: string, outNames: readonly string[]) {
    super(ErrorCode.UserCode, message);
    this.multiAsset = multiAsset;
    this.outNames = outNames;
  }
}

/** An input whose upstream asset (or the needed partition of it) has never been materialized (nothing to load). */
export class InputNotMaterializedError extends SluiceError {
  readonly assetKey: string;
  readonly inputName: string;
  readonly upstreamKey: string;
  /** The (first) upstream partition that was needed and is missing, when the upstream is partitioned. */
  readonly partitionKey: string | null;
  /** Every missing upstream partition (empty when the upstream is unpartitioned). */
  readonly missingPartitions: readonly string[];
  /**
   * @param partitionKey the missing upstream partition, or several of them (an input that reads
   *   several partitions); `[]` when no upstream partition maps to what the step materializes.
   * @param needed how many upstream partitions the input reads (for the message).
   */
  constructor(assetKey: string, inputName: string, upstreamKey: string, partitionKey: string | null | readonly string[] = null, needed?: number) {
    const missing = partitionKey === null ? [] : typeof partitionKey === "string" ? [partitionKey] : [...partitionKey];
    super(ErrorCode.InputNotMaterialized, inputNotMaterializedMessage(assetKey, inputName, upstreamKey, partitionKey, missing, needed));
    this.assetKey = assetKey;
    this.inputName = inputName;
    this.upstreamKey = upstreamKey;
    this.partitionKey = missing[0] ?? null;
    this.missingPartitions = missing;
  }
}

/**
 * An asset check run without its asset, on an asset (or a partition of it) never materialized:
 * there is no value to check.
 */
export class CheckedAssetNotMaterializedError extends InputNotMaterializedError {
  readonly checkKey: string;
  constructor(checkKey: string, assetKey: string, partitionKey: string | null) {
    super(checkKey, "value", assetKey, partitionKey);
    this.checkKey = checkKey;
    const which = partitionKey === null ? `asset "${assetKey}"` : `partition "${partitionKey}" of asset "${assetKey}"`;
    this.message =
      `Check "${checkKey}" has nothing to check: ${which} has never been materialized. Materialize it first ` +
      `(sluice materialize --select 'key:"${assetKey}"'${partitionKey === null ? "" : ` --partition ${partitionKey}`}), or run the check with its asset.`;
  }
}

/** A blocking asset check that failed with severity ERROR (the evaluation says why). */
export class CheckFailedError extends SluiceError {
  readonly checkKey: string;
  constructor(checkKey: string, message: string) {
    super(ErrorCode.CheckFailed, message);
    this.checkKey = checkKey;
  }
}

function inputNotMaterializedMessage(assetKey: string, inputName: string, upstreamKey: string, given: string | null | readonly string[], missing: string[], needed?: number): string {
  if (given === null) {
    return (
      `Asset "${assetKey}" needs input "${inputName}" from asset "${upstreamKey}", which has never ` +
      `been materialized. Materialize it first, or include it in the selection (e.g. --select '+key:"${assetKey}"').`
    );
  }
  if (missing.length === 0) {
    return (
      `Asset "${assetKey}" needs input "${inputName}" from asset "${upstreamKey}", but no partition of "${upstreamKey}" that ` +
      `exists yet maps to the partition(s) this run materializes. Check the input's partition mapping, or run a later partition.`
    );
  }
  if (missing.length === 1 && (needed === undefined || needed === 1)) {
    return (
      `Asset "${assetKey}" needs input "${inputName}" from partition "${missing[0]}" of asset "${upstreamKey}", ` +
      `which has never been materialized. Materialize it first (sluice materialize --select 'key:"${upstreamKey}"' ` +
      `--partition ${missing[0]}), or include it in the selection.`
    );
  }
  const shown = missing.slice(0, 5).map((k) => `"${k}"`).join(", ");
  const more = missing.length > 5 ? `, … (${missing.length - 5} more)` : "";
  return (
    `Asset "${assetKey}" needs input "${inputName}" from ${needed ?? missing.length} partitions of asset "${upstreamKey}", and ` +
    `${missing.length} of them ${missing.length === 1 ? "has" : "have"} never been materialized: ${shown}${more}. Materialize them first, or include them in the selection.`
  );
}

/**
 * A partition key that the partitions of the run's assets do not have, a partitioned asset run
 * without a partition key, or a partition key given for assets that are not partitioned.
 */
export class PartitionError extends SluiceError {
  /** The partition key as given (null when none was given but one is needed). */
  readonly partitionKey: string | null;
  /** The assets (or the job) the problem is about. */
  readonly subjects: readonly string[];
  constructor(message: string, partitionKey: string | null, subjects: readonly string[] = []) {
    super(ErrorCode.Partition, message);
    this.partitionKey = partitionKey;
    this.subjects = subjects;
  }
}

/** A value the IO manager cannot store (for the default one: anything JSON cannot hold). */
export class SerializationError extends SluiceError {
  readonly assetKey: string;
  /** JSON-path-like location of the offending part of the value, e.g. `$.rows[3].at`. */
  readonly valuePath: string;
  constructor(message: string, assetKey: string, valuePath: string) {
    super(ErrorCode.Serialization, message);
    this.assetKey = assetKey;
    this.valuePath = valuePath;
  }
}

/** A run id that storage does not know. */
export class RunNotFoundError extends SluiceError {
  readonly runId: string;
  constructor(runId: string) {
    super(ErrorCode.RunNotFound, `Run "${runId}" was not found in this instance.`);
    this.runId = runId;
  }
}

/** A backfill id that storage does not know. */
export class BackfillNotFoundError extends SluiceError {
  readonly backfillId: string;
  constructor(backfillId: string) {
    super(ErrorCode.BackfillNotFound, `Backfill "${backfillId}" was not found in this instance. List backfills with: sluice backfill list`);
    this.backfillId = backfillId;
  }
}

/** Definitions that cannot be loaded (file missing, import throws, no Definitions export). */
export class LoadError extends SluiceError {
  readonly file: string;
  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super(ErrorCode.Load, message, options);
    this.file = file;
  }
}

/** A storage operation that failed (bad instance config, migration from the future...). */
export class StorageError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Storage, message, options);
  }
}

/**
 * A storage operation that lost its connection to the database (a Postgres server restarting,
 * failing over, or out of reach) and could not complete: either the database stayed unreachable
 * for the whole reconnect window, or the connection dropped while a write was committing, so
 * whether that write was stored is unknown (it is then never repeated, so nothing is stored twice).
 */
export class StorageUnavailableError extends StorageError {
  /** The database, as it may be shown (a Postgres URL without its password). */
  readonly location: string;
  /** True when the connection dropped during COMMIT: the write may or may not have been stored. */
  readonly outcomeUnknown: boolean;
  constructor(message: string, location: string, outcomeUnknown: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.location = location;
    this.outcomeUnknown = outcomeUnknown;
  }
}

/**
 * A file path built from names (an asset key, an op name, a run id, a partition key) that would
 * leave the base directory it must stay in, e.g. an IO manager's storage directory.
 */
export class UnsafePathError extends SluiceError {
  /** Whose path it is, e.g. `asset "raw/orders"`. */
  readonly subject: string;
  /** The path as resolved. */
  readonly path: string;
  /** The directory it had to stay in, as resolved. */
  readonly baseDir: string;
  constructor(subject: string, path: string, baseDir: string) {
    super(
      ErrorCode.UnsafePath,
      `The path of ${subject} is ${path}, which is outside ${baseDir}, where it must stay. ` +
        `Use names without "." or ".." components (and not absolute paths) for keys that become paths.`,
    );
    this.subject = subject;
    this.path = path;
    this.baseDir = baseDir;
  }
}

/** A value's file that could not be written (the disk is full, no permission...); the original error is the `cause`. */
export class ValueWriteError extends SluiceError {
  /** The asset key or op name whose value it is. */
  readonly stepKey: string;
  /** The file that was being written. */
  readonly path: string;
  /** The system error code, e.g. `ENOSPC`, when there is one. */
  readonly errno: string | undefined;
  constructor(message: string, stepKey: string, path: string, errno: string | undefined, cause: unknown) {
    super(ErrorCode.ValueWrite, message, { cause });
    this.stepKey = stepKey;
    this.path = path;
    this.errno = errno;
  }
}

/**
 * An input over one of the limits of `input-limits.ts`: too many tags, a tag value too long, run
 * config too large or nested too deep, too many asset keys. Nothing was stored.
 */
export class InputLimitError extends SluiceError {
  /** Where the input is, e.g. `body.tags.team`, `--tags.team`, `body.config`. */
  readonly path: string;
  /** The limit that was exceeded (a count, a length in characters or a size in bytes, as the message says). */
  readonly limit: number;
  constructor(message: string, path: string, limit: number) {
    super(ErrorCode.InputTooLarge, message);
    this.path = path;
    this.limit = limit;
  }
}

/** Bad command-line or API usage. */
export class UsageError extends SluiceError {
  constructor(message: string) {
    super(ErrorCode.Usage, message);
  }
}

/** True when `err` is a SluiceError, from this copy of the package or another. */
export function isSluiceError(err: unknown): err is SluiceError {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === "string" &&
    (Object.values(ErrorCode) as string[]).includes((err as unknown as { code: string }).code)
  );
}

/**
 * The message of anything thrown: an Error's message, a string as it is, anything else as JSON
 * (or String() when JSON cannot hold it). For messages that quote an error.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return describeThrown(err);
}

/** `ClassName: message` of anything thrown, for one-line summaries. */
export function errorSummary(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return describeThrown(err);
}

/** The stack of anything thrown (its summary when it has none), for logs of unexpected errors. */
export function errorDetail(err: unknown): string {
  if (err instanceof Error) return err.stack ?? errorSummary(err);
  return describeThrown(err);
}

function describeThrown(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
