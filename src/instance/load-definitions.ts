import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { register, tsImport } from "tsx/esm/api";
import { isDefinitions, type Definitions } from "../definitions/definitions.js";
import { ConfigError, LoadError, UsageError, isSluiceError } from "../definitions/errors.js";
import { loadDotEnv } from "./dotenv.js";
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
 * Loads `.env` from `cwd`, then imports the code location (TypeScript through tsx) and returns its
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
    registerTypeScriptLoader();
    const target = location.file ? specifier : resolveModule(specifier, cwd);
    if (target === specifier && !location.file) {
      mod = (await tsImport(specifier, parent)) as Record<string, unknown>;
    } else {
      try {
        mod = (await import(target)) as Record<string, unknown>;
      } catch (first) {
        // The global loader reports some failures (a syntax error in a .ts file outside an ESM
        // package) as a require() cycle; tsx's scoped import reports the file and line instead.
        const code = (first as { code?: string } | null)?.code;
        if (code !== "ERR_REQUIRE_CYCLE_MODULE" && !/Cannot require\(\) ES Module/.test(String((first as Error)?.message))) throw first;
        mod = (await tsImport(target, parent)) as Record<string, unknown>;
      }
    }
  } catch (err) {
    const where = location.file ?? source;
    const detail = isSluiceError(err) ? err.message : (err as Error)?.message ?? String(err);
    const at = userFrame(err, cwd);
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
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`, file);
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
 * A module name as the project would resolve it, from its working directory: a path, or a package
 * found from there. ESM-only packages that CommonJS resolution cannot find are left to tsx.
 */
function resolveModule(specifier: string, cwd: string): string {
  if (specifier.startsWith(".") || path.isAbsolute(specifier)) return pathToFileURL(path.resolve(cwd, specifier)).href;
  try {
    return pathToFileURL(createRequire(path.join(cwd, "noop.js")).resolve(specifier)).href;
  } catch {
    return specifier;
  }
}

let loaderRegistered = false;

/**
 * Lets Node import TypeScript for the rest of this process (tsx's loader hooks). Registered once
 * and globally rather than through tsImport's scoped namespace: a scoped import loads Sluice and
 * every dependency a second time through the hooks, which tripled the start-up of a CLI command;
 * this way user definitions share the modules the CLI has already loaded.
 */
function registerTypeScriptLoader(): void {
  if (loaderRegistered) return;
  register();
  loaderRegistered = true;
}

/**
 * The first stack frame in the user's own code (not Node's, not a dependency's, not Sluice's), as
 * `file:line:column` relative to `cwd`, so a load error points at the line that threw.
 */
export function userFrame(err: unknown, cwd: string = process.cwd()): string | undefined {
  const stack = (err as Error | undefined)?.stack;
  if (typeof stack !== "string") return undefined;
  const ownDist = path.join(packageRoot(), "dist");
  for (const line of stack.split("\n").slice(1)) {
    // Only absolute paths or file URLs that start a location ("(/x" or "at /x"): Node's own frames
    // ("node:internal/...") contain a slash too. A reload's "?sluice-reload=N" query is dropped.
    const match = /(?:^at |\()((?:file:\/\/)?\/[^():?]+)(?:\?[^:]*)?:(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.startsWith("file://") ? fileURLToPath(match[1]!) : match[1]!;
    if (!existsSync(file) || file.includes(`${path.sep}node_modules${path.sep}`) || file.startsWith(ownDist)) continue;
    return `${path.relative(cwd, file) || file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

/** The Definitions a module exports: its default export, or its export named `defs`. */
export function pickExport(mod: Record<string, unknown>): unknown {
  if (isDefinitions(mod.default)) return mod.default;
  if (isDefinitions(mod.defs)) return mod.defs;
  // tsx may wrap a CommonJS-compiled module's exports one level deeper.
  const inner = mod.default as Record<string, unknown> | undefined;
  if (inner && typeof inner === "object") return isDefinitions(inner.default) ? inner.default : inner.defs;
  return undefined;
}
