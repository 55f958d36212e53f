import { z } from "zod";

/** Config fields shared by the DuckDB resource and IO manager. */
export const duckdbConfigShape = {
  /** A database file (relative to the working directory), or `:memory:`. */
  path: z.string().min(1).default(":memory:"),
  /** While another process holds the file's lock, retry for this long (ms) before failing. */
  lockTimeoutMs: z.number().int().nonnegative().default(30_000),
  /** First wait between lock attempts (ms); doubled after each attempt. */
  initialLockDelayMs: z.number().int().positive().default(50),
  /** Longest wait between lock attempts (ms). */
  maxLockDelayMs: z.number().int().positive().default(2_000),
  /** DuckDB settings (`threads`, `memory_limit`, `access_mode`...), as strings. */
  settings: z.record(z.string(), z.string()).default({}),
};
