import { existsSync } from "node:fs";
import { createRequire, register } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { isDefinitions } from "../definitions/definitions.js";
import { LoadError, UsageError, isSluiceError } from "../definitions/errors.js";
import { pickExport, userFrame, type CodeLocation, type LoadedDefinitions } from "../instance/load-definitions.js";
import { packageRoot } from "../instance/package-root.js";

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
 * Imports the code location again, as a fresh module instance, so that edits are read. The
 * project's own files (under its directory, outside node_modules) are imported under a new URL
 * (`?sluice-reload=N`, propagated to what they import by a resolve hook), while Sluice, zod and
 * other dependencies stay shared: tsx's `tsImport` namespaces every module, dependencies included,
 * which cost about 22 MB per reload. A project without `"type": "module"` (tsx compiles it to
 * CommonJS) is re-read through tsImport after its files leave the require cache. Relies on the
 * TypeScript loader that the first load (loadDefinitions) registered. Throws LoadError naming the
 * file, like loadDefinitions.
 */
export async function importFresh(location: CodeLocation, cwd: string): Promise<LoadedDefinitions> {
  if (location.file && location.module) throw new UsageError("Give either -f FILE or -m MODULE, not both.");
  if (!location.file && !location.module) throw new UsageError("No definitions given. Pass -f FILE (a .ts or .js file) or -m MODULE.");
  let source: string;
  let file: string | undefined;
  if (location.file) {
    source = path.resolve(cwd, location.file);
    if (!existsSync(source)) throw new LoadError(`Definitions file ${location.file} does not exist (looked in ${cwd}).`, source);
    file = source;
  } else {
    source = location.module!;
    file = resolveModuleFile(source, cwd);
  }
  const projectDir = projectDirOf(location, cwd);
  if (projectDir) forgetCommonJsModules(projectDir);
  const parentURL = pathToFileURL(path.join(cwd, "noop.js")).href;
  let mod: Record<string, unknown>;
  try {
    if (file && projectDir) {
      registerReloadHook(projectDir);
      const url = `${pathToFileURL(file).href}?${RELOAD_PARAM}=${++reloadGeneration}`;
      try {
        mod = (await import(url)) as Record<string, unknown>;
      } catch (first) {
        // A .ts file of a CommonJS package fails this way under the global loader (see loadDefinitions).
        const code = (first as { code?: string } | null)?.code;
        if (code !== "ERR_REQUIRE_CYCLE_MODULE" && !/Cannot require\(\) ES Module/.test(String((first as Error)?.message))) throw first;
        mod = (await tsImport(pathToFileURL(file).href, { parentURL })) as Record<string, unknown>;
      }
    } else {
      mod = (await tsImport(file ? pathToFileURL(file).href : source, { parentURL })) as Record<string, unknown>;
    }
  } catch (err) {
    const detail = isSluiceError(err) ? err.message : ((err as Error)?.message ?? String(err));
    // A syntax error names its file and line already; otherwise point at the user's line that threw.
    const at = /:\d+:\d+: ERROR/.test(detail) ? undefined : userFrame(err, cwd);
    throw new LoadError(`Could not load definitions from ${location.file ?? source}: ${detail}${at ? `\n    at ${at}` : ""}`, source, { cause: err });
  }
  const candidate = pickExport(mod);
  if (!isDefinitions(candidate)) {
    throw new LoadError(`${location.file ?? source} does not export Definitions. Add: export default defineDefinitions({ assets: [...] })`, source);
  }
  return { defs: candidate, source };
}

const RELOAD_PARAM = "sluice-reload";
let reloadGeneration = 0;
const hookedRoots = new Set<string>();

/**
 * A resolve hook (module.register): a module imported by a module whose URL carries
 * `?sluice-reload=N` gets the same parameter when it is a file of the project (under `root`,
 * outside node_modules), so the whole project is evaluated afresh and dependencies are not.
 */
const RELOAD_HOOK = `
const roots = [];
export function initialize(data) { roots.push(data.root); }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const parent = context.parentURL;
  if (!parent || !parent.includes("${RELOAD_PARAM}=") || !result.url.startsWith("file:")) return result;
  const generation = new URL(parent).searchParams.get("${RELOAD_PARAM}");
  const url = new URL(result.url);
  const file = decodeURIComponent(url.pathname);
  if (!generation || file.includes("/node_modules/") || !roots.some((root) => file.startsWith(root))) return result;
  url.searchParams.set("${RELOAD_PARAM}", generation);
  return { ...result, url: url.href };
}
`;

function registerReloadHook(projectDir: string): void {
  const root = projectDir.endsWith(path.sep) ? projectDir : projectDir + path.sep;
  if (hookedRoots.has(root)) return;
  hookedRoots.add(root);
  register(`data:text/javascript,${encodeURIComponent(RELOAD_HOOK)}`, { parentURL: import.meta.url, data: { root: root.split(path.sep).join("/") } });
}

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
  const message = (err as Error)?.message ?? String(err);
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

/**
 * Drops the project's own files from the CommonJS require cache, which tsx uses for .ts files of
 * a package without `"type": "module"`; a new namespace alone would not read them again.
 */
function forgetCommonJsModules(projectDir: string): void {
  const cache = createRequire(import.meta.url).cache;
  const prefix = projectDir.endsWith(path.sep) ? projectDir : projectDir + path.sep;
  for (const key of Object.keys(cache)) {
    const file = key.split("?")[0]!;
    if (file.startsWith(prefix) && !file.slice(prefix.length).split(path.sep).includes("node_modules")) delete cache[key];
  }
}

