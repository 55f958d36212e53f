import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { isDefinitions, type Definitions } from "../definitions/definitions.js";
import { LoadError, UsageError, isSluiceError } from "../definitions/errors.js";
import { loadDotEnv } from "./dotenv.js";

/** Where definitions come from: a file (`-f`) or a module (`-m`). */
export interface CodeLocation {
  file?: string | undefined;
  module?: string | undefined;
}

/** Loaded definitions and where they came from. */
export interface LoadedDefinitions {
  defs: Definitions;
  /** Absolute file path, or the module name. */
  source: string;
}

/**
 * Loads `.env` from `cwd`, then imports the code location (TypeScript through tsx) and returns its
 * default export, or its export named `defs`. Throws LoadError naming the file (keeping a
 * DefinitionError's message), or UsageError when no location is given.
 */
export async function loadDefinitions(location: CodeLocation, cwd: string = process.cwd()): Promise<LoadedDefinitions> {
  loadDotEnv(cwd);
  if (location.file && location.module) throw new UsageError("Give either -f FILE or -m MODULE, not both.");
  if (!location.file && !location.module) {
    throw new UsageError("No definitions given. Pass -f FILE (a .ts or .js file) or -m MODULE.");
  }
  let source: string;
  let specifier: string;
  let parent: string;
  if (location.file) {
    source = path.resolve(cwd, location.file);
    if (!existsSync(source)) throw new LoadError(`Definitions file ${location.file} does not exist (looked in ${cwd}).`, source);
    specifier = pathToFileURL(source).href;
    parent = import.meta.url;
  } else {
    source = location.module!;
    specifier = source;
    // Resolve the module as the project would: from its working directory.
    parent = pathToFileURL(path.join(cwd, "noop.js")).href;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await tsImport(specifier, parent)) as Record<string, unknown>;
  } catch (err) {
    const where = location.file ?? source;
    const detail = isSluiceError(err) ? err.message : (err as Error)?.message ?? String(err);
    const at = userFrame(err);
    throw new LoadError(`Could not load definitions from ${where}: ${detail}${at ? `\n    at ${at}` : ""}`, source, { cause: err });
  }
  const candidate = pickExport(mod);
  if (!isDefinitions(candidate)) {
    throw new LoadError(
      `${location.file ?? source} does not export Definitions. Add: export default defineDefinitions({ assets: [...] })`,
      source,
    );
  }
  return { defs: candidate, source };
}

/**
 * The first stack frame in the user's own code (not Node's, not a dependency's, not Sluice's), as
 * `file:line:column`, so a load error points at the line that threw.
 */
function userFrame(err: unknown): string | undefined {
  const stack = (err as Error | undefined)?.stack;
  if (typeof stack !== "string") return undefined;
  const ownDist = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  for (const line of stack.split("\n").slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.startsWith("file://") ? fileURLToPath(match[1]!) : match[1]!;
    if (file.includes(`${path.sep}node_modules${path.sep}`) || file.startsWith(ownDist)) continue;
    return `${path.relative(process.cwd(), file) || file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

function pickExport(mod: Record<string, unknown>): unknown {
  if (isDefinitions(mod.default)) return mod.default;
  if (isDefinitions(mod.defs)) return mod.defs;
  // tsx may wrap a CommonJS-compiled module's exports one level deeper.
  const inner = mod.default as Record<string, unknown> | undefined;
  if (inner && typeof inner === "object") return isDefinitions(inner.default) ? inner.default : inner.defs;
  return undefined;
}
