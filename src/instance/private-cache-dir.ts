import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { errorMessage, LoadError } from "../definitions/errors.js";

/**
 * The directory of compiled definitions, private to this user: what is in it is imported as code,
 * so nobody else may be able to put anything there.
 *
 * `SLUICE_CACHE_DIR` when set (created 0700 when missing; a LoadError when it is not safe, since
 * the user asked for that one), else `$XDG_CACHE_HOME/sluice/definitions` or
 * `~/.cache/sluice/definitions`. A default directory that is not safe is not used: this process
 * compiles into a fresh private temporary directory instead (removed when it exits), with a warning.
 * Safe: a real directory (not a symbolic link) owned by this user and writable by nobody else.
 */
export function privateCacheDir(): string {
  const explicit = process.env.SLUICE_CACHE_DIR;
  if (explicit) {
    const dir = path.resolve(explicit);
    const problem = prepare(dir);
    if (problem) {
      throw new LoadError(
        `SLUICE_CACHE_DIR (${dir}) cannot hold compiled definitions: ${problem}. Compiled definitions are imported as code, ` +
          `so only you may write there: use a directory of your own (chmod 700 ${dir}), or unset SLUICE_CACHE_DIR.`,
        dir,
      );
    }
    return dir;
  }
  const dir = defaultDir();
  if (fallback && fallback.unsafe === dir) return fallback.dir;
  const problem = dir === undefined ? "there is no home directory" : prepare(dir);
  if (!problem) return dir!;
  const own = temporaryDir();
  fallback = { unsafe: dir, dir: own };
  process.emitWarning(
    `The cache of compiled definitions ${dir ?? "(~/.cache/sluice/definitions)"} is not used: ${problem}. ` +
      `This process compiles into ${own} instead. Make it yours and private (chmod 700), or remove it.`,
    { code: "SLUICE_UNSAFE_CACHE_DIR" },
  );
  return own;
}

/** This process's private directory, when the default one is not safe (at most one per process). */
let fallback: { unsafe: string | undefined; dir: string } | undefined;

function defaultDir(): string | undefined {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "sluice", "definitions");
  let home: string;
  try {
    home = os.homedir();
  } catch {
    return undefined;
  }
  return home ? path.join(home, ".cache", "sluice", "definitions") : undefined;
}

/** Creates `dir` (0700) when missing; returns why it is not safe to use, or undefined when it is. */
function prepare(dir: string): string | undefined {
  try {
    // The mode applies to every directory created, `sluice/` too.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    return `it cannot be created (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`;
  }
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink()) return "it is a symbolic link";
  if (!stat.isDirectory()) return "it is not a directory";
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid === undefined) return undefined; // Windows: no POSIX owners or modes to check.
  if (stat.uid !== uid) return `it is owned by user ${stat.uid}, not by you (user ${uid})`;
  if ((stat.mode & 0o022) !== 0) return `it is writable by other users (mode ${(stat.mode & 0o777).toString(8)})`;
  // Ours, and nobody else could have written to it: only close it to readers (compiled code may hold secrets).
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return undefined;
}

function temporaryDir(): string {
  // mkdtemp makes a new directory of mode 0700 with an unpredictable name.
  const dir = mkdtempSync(path.join(os.tmpdir(), "sluice-defs-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
