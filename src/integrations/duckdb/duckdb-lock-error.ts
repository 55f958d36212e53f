import { ErrorCode, SluiceError } from "../../index.js";

/** A DuckDB file stayed locked by another process for longer than the resource waits. */
export class DuckDBLockedError extends SluiceError {
  /** The database file, as an absolute path. */
  readonly file: string;
  /** How long the resource retried, in milliseconds. */
  readonly waitedMs: number;
  constructor(file: string, waitedMs: number, attempts: number, cause: unknown) {
    const holder = /Conflicting lock is held in ([^\n.]+(?:\(PID \d+\))?)/.exec((cause as Error | undefined)?.message ?? "")?.[1];
    super(
      ErrorCode.DatabaseLocked,
      `DuckDB file "${file}" is locked by another process${holder ? ` (${holder.trim()})` : ""}; ` +
        `gave up after ${attempts} attempts over ${(waitedMs / 1000).toFixed(1)} s. ` +
        `Stop the process that holds it, or raise lockTimeoutMs in the resource's config.`,
      { cause },
    );
    this.file = file;
    this.waitedMs = waitedMs;
  }
}

/** True for the error DuckDB throws when another process holds the file's lock. */
export function isLockConflict(err: unknown): boolean {
  const message = (err as Error | undefined)?.message ?? "";
  return /Could not set lock on file/i.test(message) || /Conflicting lock is held/i.test(message);
}
