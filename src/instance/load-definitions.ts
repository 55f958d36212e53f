import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { isDefinitions, type Definitions } from "../definitions/definitions.js";
import { ConfigError, errorMessage, isSluiceError, LoadError, UsageError } from "../definitions/errors.js";
import { setStepProcessLauncher } from "../execution/step-process-launcher.js";
import { loadDotEnv } from "./dotenv.js";
import { codeLocationStepProcesses } from "./step-processes.js";
import { compileDefinitions, resolveImport } from "./compile-definitions.js";
import { packageRoot } from "./package-root.js";

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
 * Loads `.env` from `cwd`, then imports the code location (compiled by esbuild) and returns its
 * default export, or its export named `defs`. Throws LoadError naming the file (keeping a
 * DefinitionError's message), or UsageError when no location is given.
 */
export async function loadDefinitions(given: CodeLocation, cwd: string = process.cwd()): Promise<LoadedDefinitions> {
  let location = given;
  loadDotEnv(cwd);
  if (location.file && location.module) throw new UsageError("Give either -f FILE or -m MODULE, not both.");
  if (!location.file && !location.module) {
    const fromWorkspace = readWorkspace(cwd);
    if (!fromWorkspace) {
      throw new UsageError("No definitions given. Pass -f FILE (a .ts or .js file) or -m MODULE, or add a workspace.yaml here.");
    }
    location = fromWorkspace;
  }
  const source = location.file ? path.resolve(cwd, location.file) : location.module!;
  if (location.file && !existsSync(source)) throw new LoadError(`Definitions file ${location.file} does not exist (looked in ${cwd}).`, source);
  const mod = await importCodeLocation(location, cwd);
  const candidate = pickExport(mod);
  if (!isDefinitions(candidate)) {
    throw new LoadError(
      `${location.file ?? source} does not export Definitions. Add: export default defineDefinitions({ assets: [...] })`,
      source,
    );
  }
  // The multiprocess executor's child processes load the same location again.
  setStepProcessLauncher(candidate, codeLocationStepProcesses(location, cwd));
  return { defs: candidate, source };
}

const workspaceSchema = z
  .object({
    load_from: z
      .array(z.union([z.object({ file: z.string().min(1) }).strict(), z.object({ module: z.string().min(1) }).strict()]))
      .min(1),
  })
  .strict();

/**
 * The code location named by `workspace.yaml` in `cwd`, or undefined when there is none:
 * `load_from: [{ file: defs.ts }]` or `[{ module: my-package }]`, paths relative to the file.
 * Throws ConfigError naming the path of a malformed entry, UsageError for several locations.
 */
export function readWorkspace(cwd: string): CodeLocation | undefined {
  const file = path.join(cwd, "workspace.yaml");
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${errorMessage(err)}`, file);
  }
  const result = workspaceSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(`${file} is invalid at ${issue.path.map(String).join(".") || "(root)"}: ${issue.message}. Expected load_from: [{ file: defs.ts }].`, issue.path.join("."));
  }
  if (result.data.load_from.length > 1) {
    throw new UsageError(`${file} lists ${result.data.load_from.length} code locations; one project loads one. Serve others from their own directory and home.`);
  }
  const entry = result.data.load_from[0]!;
  return "file" in entry ? { file: path.resolve(cwd, entry.file) } : { module: entry.module };
}

/**
 * Imports a code location and returns the module. A file of the project (given with -f, or a module
 * path outside node_modules) is compiled first (see compileDefinitions) and imported without loader
 * hooks; a package from node_modules is imported as it is. `fresh` (a reload's generation) makes
 * the project's modules evaluate again while packages, Sluice among them, stay shared. Throws
 * LoadError naming the file, and the line when the error has one.
 */
export async function importCodeLocation(location: CodeLocation, cwd: string, fresh?: number): Promise<Record<string, unknown>> {
  const where = location.file ?? location.module!;
  const source = location.file ? path.resolve(cwd, location.file) : location.module!;
  try {
    const url = await codeLocationUrl(location, cwd);
    return (await import(fresh === undefined ? url : `${url}?${RELOAD_PARAM}=${fresh}`)) as Record<string, unknown>;
  } catch (err) {
    const detail = isSluiceError(err) ? err.message : (errorMessage(err));
    // A syntax error names its file and line already; otherwise point at the user's line that threw.
    const at = /:\d+:\d+: ERROR/.test(detail) ? undefined : userFrame(err, cwd);
    throw new LoadError(`Could not load definitions from ${where}: ${detail}${at ? `\n    at ${at}` : ""}`, source, { cause: err });
  }
}

const RELOAD_PARAM = "sluice-reload";

/**
 * The URL of the module a code location imports: a project file compiled (and cached) by
 * compileDefinitions, whose name holds a hash of the compiled code, or a package's own file.
 */
async function codeLocationUrl(location: CodeLocation, cwd: string): Promise<string> {
  const file = location.file ? path.resolve(cwd, location.file) : await resolveModuleFile(location.module!, cwd);
  if (file.split(path.sep).includes("node_modules") && !/\.(?:[cm]?ts|tsx)$/.test(file)) return pathToFileURL(file).href;
  enableSourceMaps();
  return (await compileDefinitions(file)).url;
}

/**
 * What the code of a location is now, as a string that changes when the code does: the compiled
 * module's URL (it names a hash of the compiled code, so editing any project file it imports
 * changes it; touching a file without changing it does not), or why it cannot be compiled. A
 * package from node_modules is named by its file only. For a process that loaded the definitions
 * ahead of time (a standby run worker), to tell whether what it loaded is still the code.
 */
export async function definitionsFingerprint(given: CodeLocation, cwd: string = process.cwd()): Promise<string> {
  try {
    const location = given.file || given.module ? given : readWorkspace(cwd);
    if (!location) return "no location";
    return await codeLocationUrl(location, cwd);
  } catch (err) {
    return `error: ${errorMessage(err)}`;
  }
}

/**
 * The file a module name (`-m`) stands for, resolved as the project would resolve it from its
 * working directory: a path, or a package (CommonJS resolution first; ESM-only packages through
 * esbuild's resolver, which applies the "import" condition).
 */
async function resolveModuleFile(specifier: string, cwd: string): Promise<string> {
  if (specifier.startsWith(".") || path.isAbsolute(specifier)) return path.resolve(cwd, specifier);
  try {
    return createRequire(path.join(cwd, "noop.js")).resolve(specifier);
  } catch {
    const resolved = await resolveImport(specifier, cwd);
    if (resolved) return resolved;
    throw new LoadError(`Cannot find module "${specifier}" from ${cwd}. Install it, or pass -f with the definitions file.`, specifier);
  }
}

let sourceMapsEnabled = false;

/**
 * Stack traces of compiled definitions name the user's files and lines (the compiled module
 * carries an inline source map).
 */
function enableSourceMaps(): void {
  if (sourceMapsEnabled) return;
  sourceMapsEnabled = true;
  process.setSourceMapsEnabled(true);
}

/**
 * The first stack frame in the user's own code (not Node's, not a dependency's, not Sluice's), as
 * `file:line:column` relative to `cwd`, so a load error points at the line that threw.
 */
export function userFrame(err: unknown, cwd: string = process.cwd()): string | undefined {
  const stack = (err as Error | undefined)?.stack;
  if (typeof stack !== "string") return undefined;
  // Sluice's own frames: its bundle, and (with source maps on) the sources the bundle maps to.
  const own = [path.join(packageRoot(), "dist") + path.sep, path.join(packageRoot(), "src") + path.sep];
  for (const line of stack.split("\n").slice(1)) {
    // Only absolute paths or file URLs that start a location ("(/x" or "at /x"): Node's own frames
    // ("node:internal/...") contain a slash too. A reload's "?sluice-reload=N" query is dropped.
    const match = /(?:^at |\()((?:file:\/\/)?\/[^():?]+)(?:\?[^:]*)?:(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.startsWith("file://") ? fileURLToPath(match[1]!) : match[1]!;
    if (!existsSync(file) || file.includes(`${path.sep}node_modules${path.sep}`) || own.some((dir) => file.startsWith(dir))) continue;
    return `${path.relative(cwd, file) || file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

/** The Definitions a module exports: its default export, or its export named `defs`. */
export function pickExport(mod: Record<string, unknown>): unknown {
  if (isDefinitions(mod.default)) return mod.default;
  if (isDefinitions(mod.defs)) return mod.defs;
  // A CommonJS package imported from ESM has its module.exports as the default export.
  const inner = mod.default as Record<string, unknown> | undefined;
  if (inner && typeof inner === "object") return isDefinitions(inner.default) ? inner.default : inner.defs;
  return undefined;
}
