import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BuildFailure, Message, Plugin } from "esbuild";
import { errorMessage, LoadError } from "../definitions/errors.js";
import { privateCacheDir } from "./private-cache-dir.js";

/** A compiled code location: the module to import, and every project file it was built from. */
export interface CompiledDefinitions {
  /** file: URL of the compiled ES module. */
  url: string;
  /** Absolute paths of the project's files in the bundle (the entry first). */
  inputs: string[];
  /** True when the compiled module came from the cache (nothing was rebuilt). */
  cached: boolean;
}

/** What the cache keeps beside a compiled module: its inputs as they were when it was built. */
interface CacheManifest {
  version: string;
  entry: string;
  output: string;
  inputs: { file: string; mtimeMs: number; size: number }[];
}

/** Bumped when the compiled output's shape changes, so old cache entries are not reused. */
const FORMAT_VERSION = "1";
const SOURCE_EXTENSIONS = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const META_URL = "__sluice_import_meta_url";
const META_DIRNAME = "__sluice_import_meta_dirname";
const META_FILENAME = "__sluice_import_meta_filename";

/**
 * The directory of compiled definitions, private to the user (see privateCacheDir). Compiled
 * modules are named by a hash of their content, so processes sharing it never see a half-written
 * or stale module.
 */
export function definitionsCacheDir(): string {
  return privateCacheDir();
}

/**
 * Compiles a definitions file and the project files it imports (TypeScript or JavaScript) into one
 * ES module with esbuild, and returns its URL: importing it needs no loader hooks, which on Node 20
 * run in a separate thread whose start-up cost every CLI command and run worker about 0.2 s.
 * Packages (anything resolved into node_modules) and Node built-ins stay external, imported by
 * absolute URL, so they are the very modules the rest of the process uses. Each project file keeps
 * its own `import.meta.url`, `import.meta.dirname` and `import.meta.filename`, and an inline source
 * map makes stack traces name the original files and lines.
 *
 * The result is cached: when no input changed (same size and mtime), the last compiled module is
 * reused without starting esbuild. Throws LoadError naming the file, line and column of a syntax
 * or resolution error.
 */
export async function compileDefinitions(entryFile: string): Promise<CompiledDefinitions> {
  const entry = path.resolve(entryFile);
  const cacheDir = definitionsCacheDir();
  const key = createHash("sha256").update(`${FORMAT_VERSION}\0${process.version}\0${entry}`).digest("hex").slice(0, 16);
  const manifestFile = path.join(cacheDir, `${key}.json`);
  const cached = readFreshManifest(manifestFile, cacheDir, key, entry);
  if (cached) return { url: pathToFileURL(cached.output).href, inputs: cached.inputs.map((i) => i.file), cached: true };

  const { build } = await import("esbuild");
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: `node${process.versions.node.split(".")[0]}`,
      // The output's directory decides how the source map names the original files.
      outfile: path.join(cacheDir, `${key}.mjs`),
      sourcemap: "inline",
      sourcesContent: false,
      metafile: true,
      logLevel: "silent",
      // Per file (see the plugin): each project file's own location.
      define: { "import.meta.url": META_URL, "import.meta.dirname": META_DIRNAME, "import.meta.filename": META_FILENAME },
      // CommonJS project files call require(); resolve it from the entry's location.
      banner: { js: `import { createRequire as __sluiceCreateRequire } from "node:module"; const require = __sluiceCreateRequire(${JSON.stringify(pathToFileURL(entry).href)});` },
      plugins: [externalPackages(), ownImportMeta()],
    });
  } catch (err) {
    throw buildError(entry, err);
  }
  const code = result.outputFiles[0]!.contents;
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
  const output = path.join(cacheDir, `${key}-${hash}.mjs`);
  const inputs = Object.keys(result.metafile.inputs)
    .map((file) => path.resolve(file))
    .filter((file) => !file.split(path.sep).includes("node_modules"));
  inputs.sort((a, b) => (a === entry ? -1 : b === entry ? 1 : a.localeCompare(b)));
  writeAtomically(output, code);
  const manifest: CacheManifest = { version: FORMAT_VERSION, entry, output, inputs: inputs.map(statOf).filter((s) => s !== undefined) };
  writeAtomically(manifestFile, JSON.stringify(manifest));
  removeOldOutputs(cacheDir, key, output);
  return { url: pathToFileURL(output).href, inputs, cached: false };
}

/**
 * The manifest when it is one this cache wrote for `entry`, its compiled module exists and none of
 * its inputs changed since. Whatever it names is imported as code, so it counts only when its
 * output is a file of ours directly in the cache, named as the cache names them, and its inputs
 * are a non-empty list that holds the entry.
 */
function readFreshManifest(file: string, cacheDir: string, key: string, entry: string): CacheManifest | undefined {
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8")) as CacheManifest;
  } catch {
    return undefined;
  }
  if (typeof manifest !== "object" || manifest === null || manifest.version !== FORMAT_VERSION || manifest.entry !== entry) return undefined;
  if (typeof manifest.output !== "string" || !isOwnOutput(manifest.output, cacheDir, key)) return undefined;
  if (!Array.isArray(manifest.inputs) || !manifest.inputs.some((input) => input?.file === entry)) return undefined;
  for (const input of manifest.inputs) {
    const now = statOf(input.file);
    if (!now || now.mtimeMs !== input.mtimeMs || now.size !== input.size) return undefined;
  }
  return manifest;
}

/** True for a regular file directly in the cache, named `<key>-<hash>.mjs`, owned by this user. */
function isOwnOutput(output: string, cacheDir: string, key: string): boolean {
  if (path.dirname(output) !== cacheDir || !new RegExp(`^${key}-[0-9a-f]{16}\\.mjs$`).test(path.basename(output))) return false;
  try {
    const stat = lstatSync(output);
    return stat.isFile() && (typeof process.getuid !== "function" || stat.uid === process.getuid());
  } catch {
    return false;
  }
}

function statOf(file: string): { file: string; mtimeMs: number; size: number } | undefined {
  try {
    const s = statSync(file);
    return { file, mtimeMs: s.mtimeMs, size: s.size };
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file and a rename, so a concurrent reader sees all or nothing. */
function writeAtomically(file: string, content: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}

/**
 * Keeps the two newest compiled versions of one entry (a process may still be about to import the
 * previous one) and removes older ones.
 */
function removeOldOutputs(cacheDir: string, key: string, keep: string): void {
  try {
    const versions = readdirSync(cacheDir)
      .filter((name) => name.startsWith(`${key}-`) && name.endsWith(".mjs"))
      .map((name) => path.join(cacheDir, name))
      .filter((file) => file !== keep)
      .map((file) => ({ file, mtimeMs: statOf(file)?.mtimeMs ?? 0 }))
      .sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const old of versions.slice(1)) rmSync(old.file, { force: true });
  } catch {
    // Cleaning up is best effort: a leftover file costs disk space, nothing else.
  }
}

/**
 * Leaves packages out of the bundle: a bare import resolved into node_modules becomes an import of
 * that file's absolute URL (Node loads it as it would from the project, once per process). A
 * TypeScript file reached through a package name outside node_modules (a workspace package linked
 * into the project) is compiled with the project instead.
 */
function externalPackages(): Plugin {
  return {
    name: "sluice-external-packages",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === "sluice-resolving" || args.path.startsWith("node:")) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: "sluice-resolving" });
        if (resolved.errors.length > 0 || resolved.external || !resolved.path) return undefined;
        const inPackage = resolved.path.split(path.sep).includes("node_modules");
        if (!inPackage && /\.(?:[cm]?ts|tsx)$/.test(resolved.path)) return { path: resolved.path };
        if (!path.isAbsolute(resolved.path)) return undefined;
        return { path: pathToFileURL(resolved.path).href, external: true };
      });
    },
  };
}

/**
 * Gives every project file its own `import.meta.url`/`dirname`/`filename`: the build's `define`
 * turns them into identifiers, and this declares those identifiers at the top of each file with
 * its original location (on the first line, so that line numbers do not move).
 */
function ownImportMeta(): Plugin {
  return {
    name: "sluice-import-meta",
    setup(build) {
      build.onLoad({ filter: SOURCE_EXTENSIONS }, (args) => {
        if (args.path.split(path.sep).includes("node_modules")) return undefined;
        const source = readFileSync(args.path, "utf8");
        const declare =
          `var ${META_URL} = ${JSON.stringify(pathToFileURL(args.path).href)}, ` +
          `${META_DIRNAME} = ${JSON.stringify(path.dirname(args.path))}, ${META_FILENAME} = ${JSON.stringify(args.path)};`;
        // A hashbang must stay first; a BOM is dropped.
        const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
        const contents = text.startsWith("#!") ? text.replace(/^#!.*/, (line) => `${line}\n`) + declare : declare + text;
        return { contents, loader: loaderOf(args.path), resolveDir: path.dirname(args.path) };
      });
    },
  };
}

function loaderOf(file: string): "ts" | "tsx" | "js" | "jsx" {
  if (file.endsWith(".tsx")) return "tsx";
  if (file.endsWith(".jsx")) return "jsx";
  return /\.[cm]?ts$/.test(file) ? "ts" : "js";
}

/**
 * Resolves a bare module name from `dir` as an `import` would (esbuild's resolver with the
 * "import" and "node" conditions); undefined when nothing is found.
 */
export async function resolveImport(specifier: string, dir: string): Promise<string | undefined> {
  const { build } = await import("esbuild");
  let found: string | undefined;
  await build({
    stdin: { contents: `import ${JSON.stringify(specifier)};`, resolveDir: dir, loader: "js" },
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    logLevel: "silent",
    plugins: [
      {
        name: "sluice-resolve-only",
        setup(b) {
          b.onResolve({ filter: /.*/ }, async (args) => {
            if (args.pluginData === "inner" || args.kind === "entry-point") return undefined;
            const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "inner" });
            if (resolved.errors.length === 0 && path.isAbsolute(resolved.path)) found = resolved.path;
            return { path: args.path, external: true };
          });
        },
      },
    ],
  }).catch(() => undefined);
  return found;
}

/** A LoadError for a failed build: each error as `file:line:column: ERROR: text` (the first names the place). */
function buildError(entry: string, err: unknown): LoadError {
  const messages = (err as BuildFailure | undefined)?.errors;
  if (!Array.isArray(messages) || messages.length === 0) {
    return new LoadError(`Could not compile ${entry}: ${errorMessage(err)}`, entry, { cause: err });
  }
  const lines = messages.slice(0, 5).map((m) => formatMessage(m));
  const more = messages.length > 5 ? `\n(${messages.length - 5} more errors)` : "";
  return new LoadError(`Transform failed with ${messages.length} error${messages.length === 1 ? "" : "s"}:\n${lines.join("\n")}${more}`, entry, { cause: err });
}

function formatMessage(m: Message): string {
  if (!m.location) return `ERROR: ${m.text}`;
  const file = path.resolve(m.location.file);
  return `${file}:${m.location.line}:${m.location.column}: ERROR: ${m.text}`;
}
