import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { isDefinitions } from "../definitions/definitions.js";
import { errorMessage, LoadError, UsageError } from "../definitions/errors.js";
import { importCodeLocation, pickExport, userFrame, type CodeLocation, type LoadedDefinitions } from "./load-definitions.js";

/**
 * The directory whose files make up the project (watched for changes, and whose modules a reload
 * reads again): the definitions file's directory, or the resolved module's. Undefined for a
 * module found in node_modules (a dependency is not edited in place).
 */
export function projectDirOf(location: CodeLocation, cwd: string): string | undefined {
  if (location.file) return path.dirname(path.resolve(cwd, location.file));
  const file = resolveModuleFile(location.module!, cwd);
  if (!file || file.split(path.sep).includes("node_modules")) return undefined;
  return path.dirname(file);
}

/**
 * Imports the code location again, as a fresh module instance, so that edits are read: the project
 * is compiled again when a file changed (see compileDefinitions) and its compiled module is
 * evaluated anew under a new URL, while Sluice, zod and other packages stay shared (a reload costs
 * no second copy of them). Throws LoadError naming the file, like loadDefinitions.
 */
export async function importFresh(location: CodeLocation, cwd: string): Promise<LoadedDefinitions> {
  if (location.file && location.module) throw new UsageError("Give either -f FILE or -m MODULE, not both.");
  if (!location.file && !location.module) throw new UsageError("No definitions given. Pass -f FILE (a .ts or .js file) or -m MODULE.");
  const source = location.file ? path.resolve(cwd, location.file) : location.module!;
  if (location.file && !existsSync(source)) throw new LoadError(`Definitions file ${location.file} does not exist (looked in ${cwd}).`, source);
  const mod = await importCodeLocation(location, cwd, ++reloadGeneration);
  const candidate = pickExport(mod);
  if (!isDefinitions(candidate)) {
    throw new LoadError(`${location.file ?? source} does not export Definitions. Add: export default defineDefinitions({ assets: [...] })`, source);
  }
  return { defs: candidate, source };
}

let reloadGeneration = 0;

/** Where a load error points: file and line when known, and its message. */
export interface LoadErrorLocation {
  file: string | null;
  line: number | null;
  column: number | null;
}

/**
 * Finds the file and line a load error is about: a transform (syntax) error's `file:line:col`, the
 * `at file:line:col` a loader added, or the first stack frame in the user's own code; else the
 * definitions file without a line.
 */
export function locateLoadError(err: unknown, cwd: string, fallbackFile: string | null): LoadErrorLocation {
  const message = errorMessage(err);
  const syntax = /(\/[^\s:()'"]+?\.[cm]?[jt]sx?):(\d+):(\d+): ERROR/.exec(message);
  if (syntax) return { file: syntax[1]!, line: Number(syntax[2]), column: Number(syntax[3]) };
  const at = /\n\s+at (\S+?):(\d+):(\d+)\s*$/.exec(message);
  if (at) return { file: path.resolve(cwd, at[1]!), line: Number(at[2]), column: Number(at[3]) };
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const frame = userFrame(e, cwd);
    if (frame) {
      const m = /^(.*):(\d+):(\d+)$/.exec(frame)!;
      return { file: path.resolve(cwd, m[1]!), line: Number(m[2]), column: Number(m[3]) };
    }
  }
  return { file: fallbackFile, line: null, column: null };
}

function resolveModuleFile(specifier: string, cwd: string): string | undefined {
  if (specifier.startsWith(".") || path.isAbsolute(specifier)) return path.resolve(cwd, specifier);
  try {
    return createRequire(path.join(cwd, "noop.js")).resolve(specifier);
  } catch {
    return undefined;
  }
}
