import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileDefinitions, resolveImport } from "./compile-definitions.js";

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

let cacheDir: string;
let previousCacheDir: string | undefined;
beforeAll(() => {
  previousCacheDir = process.env.SLUICE_CACHE_DIR;
  cacheDir = tempDir("sluice-cache-");
  process.env.SLUICE_CACHE_DIR = cacheDir;
});
afterAll(() => {
  if (previousCacheDir === undefined) delete process.env.SLUICE_CACHE_DIR;
  else process.env.SLUICE_CACHE_DIR = previousCacheDir;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A small project: files by relative path. */
function project(files: Record<string, string>): string {
  const root = tempDir("sluice-compile-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe("compileDefinitions", () => {
  it("bundles the project's TypeScript files; each keeps its own import.meta location", async () => {
    const root = project({
      "defs.ts": [
        'import { where as nestedWhere } from "./lib/nested.ts";',
        "interface Shape { n: number }",
        "const shape: Shape = { n: 41 };",
        "export const answer = shape.n + 1;",
        "export const where = { url: import.meta.url, dirname: import.meta.dirname, filename: import.meta.filename };",
        "export { nestedWhere };",
      ].join("\n"),
      "lib/nested.ts": "export const where: { url: string; dirname: string } = { url: import.meta.url, dirname: import.meta.dirname };\n",
    });
    const compiled = await compileDefinitions(path.join(root, "defs.ts"));
    expect(compiled.cached).toBe(false);
    expect(compiled.inputs).toEqual([path.join(root, "defs.ts"), path.join(root, "lib", "nested.ts")]);
    expect(fileURLToPath(compiled.url).startsWith(cacheDir)).toBe(true);
    const mod = await import(compiled.url);
    expect(mod.answer).toBe(42);
    expect(fileURLToPath(mod.where.url)).toBe(path.join(root, "defs.ts"));
    expect(mod.where.dirname).toBe(root);
    expect(mod.where.filename).toBe(path.join(root, "defs.ts"));
    expect(fileURLToPath(mod.nestedWhere.url)).toBe(path.join(root, "lib", "nested.ts"));
    expect(mod.nestedWhere.dirname).toBe(path.join(root, "lib"));
  });

  it("reuses the compiled module while no input changed, and compiles again when one did", async () => {
    const root = project({ "defs.ts": 'import { n } from "./n.ts";\nexport const value = n;\n', "n.ts": "export const n = 1;\n" });
    const entry = path.join(root, "defs.ts");
    const first = await compileDefinitions(entry);
    const second = await compileDefinitions(entry);
    expect(second).toEqual({ ...first, cached: true });

    // An imported file changes (same size, newer mtime): a new module with the new value.
    writeFileSync(path.join(root, "n.ts"), "export const n = 2;\n");
    const later = new Date(Date.now() + 5000);
    utimesSync(path.join(root, "n.ts"), later, later);
    const third = await compileDefinitions(entry);
    expect(third.cached).toBe(false);
    expect(third.url).not.toBe(first.url);
    expect((await import(third.url)).value).toBe(2);
  });

  it("keeps packages external: they are the modules the rest of the process imports", async () => {
    // The repository's own node_modules: zod imported by the definitions is this process's zod.
    const repo = path.resolve(fileURLToPath(import.meta.url), "..", "..", "..");
    const scratch = path.join(repo, ".scratch");
    mkdirSync(scratch, { recursive: true });
    const root = mkdtempSync(path.join(scratch, "compile-"));
    dirs.push(root);
    writeFileSync(path.join(root, "defs.ts"), 'import { z } from "zod";\nexport { z };\n');
    const compiled = await compileDefinitions(path.join(root, "defs.ts"));
    const text = readFileSync(fileURLToPath(compiled.url), "utf8");
    expect(text).not.toContain("ZodType"); // zod's code is not copied into the bundle
    const { z } = await import("zod");
    expect((await import(compiled.url)).z).toBe(z);
  });

  it("lets CommonJS project files require() Node built-ins", async () => {
    const root = project({
      "defs.ts": 'import helper from "./helper.cjs";\nexport const sep = helper.sep;\n',
      "helper.cjs": 'const path = require("node:path");\nmodule.exports = { sep: path.sep };\n',
    });
    const mod = await import((await compileDefinitions(path.join(root, "defs.ts"))).url);
    expect(mod.sep).toBe(path.sep);
  });

  it("names the file, line and column of a syntax error", async () => {
    const root = project({ "defs.ts": 'import "./broken.ts";\n', "broken.ts": "export const a = 1;\nexport const b = ;\n" });
    const error = await compileDefinitions(path.join(root, "defs.ts")).then(
      () => undefined,
      (err: Error & { code?: string }) => err,
    );
    expect(error?.code).toBe("LOAD_ERROR");
    expect(error?.message).toContain(`${path.join(root, "broken.ts")}:2:`);
    expect(error?.message).toMatch(/ERROR: Unexpected ";"/);
  });

  it("names an import that cannot be resolved, and where it is", async () => {
    const root = project({ "defs.ts": 'import { x } from "./missing.ts";\nexport const y = x;\n' });
    await expect(compileDefinitions(path.join(root, "defs.ts"))).rejects.toThrow(/defs\.ts:1:\d+: ERROR: Could not resolve "\.\/missing\.ts"/);
  });

  it("maps stack traces of the compiled module to the original file and line", async () => {
    const root = project({ "defs.ts": "type T = { a: number };\n\nexport function fail(): T {\n  throw new Error('boom');\n}\n" });
    process.setSourceMapsEnabled(true);
    const mod = await import((await compileDefinitions(path.join(root, "defs.ts"))).url);
    let stack = "";
    try {
      mod.fail();
    } catch (err) {
      stack = (err as Error).stack ?? "";
    }
    expect(stack).toContain(`${path.join(root, "defs.ts")}:4:`);
  });
});

/** A module that, if anything ever imports it, writes `marker`: planted code that must not run. */
function plantModule(file: string, marker: string): void {
  writeFileSync(file, `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "ran");\nexport default "planted";\n`);
}

/** Runs `fn` with these environment variables set (undefined: unset), restoring them after. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

describe("the compiled-definitions cache cannot be planted", () => {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

  /** A project, a private cache holding its compiled module, and the manifest the cache kept for it. */
  async function compiledOnce(): Promise<{ entry: string; cache: string; manifestFile: string; manifest: Record<string, unknown>; marker: string }> {
    const root = project({ "defs.ts": "export const value = 'genuine';\n" });
    const cache = tempDir("sluice-private-cache-");
    const entry = path.join(root, "defs.ts");
    await withEnv({ SLUICE_CACHE_DIR: cache }, () => compileDefinitions(entry));
    const manifestFile = path.join(cache, readdirSync(cache).find((name) => name.endsWith(".json"))!);
    return { entry, cache, manifestFile, manifest: JSON.parse(readFileSync(manifestFile, "utf8")), marker: path.join(root, "planted-ran") };
  }

  /** Compiles `entry` with `cache` as SLUICE_CACHE_DIR and imports the result, as loading definitions does. */
  async function load(entry: string, cache: string): Promise<{ compiled: Awaited<ReturnType<typeof compileDefinitions>>; value: unknown }> {
    const compiled = await withEnv({ SLUICE_CACHE_DIR: cache }, () => compileDefinitions(entry));
    return { compiled, value: (await import(compiled.url)).value };
  }

  it("ignores a manifest whose output is outside the cache directory", async () => {
    const { entry, cache, manifestFile, manifest, marker } = await compiledOnce();
    const planted = path.join(tempDir("sluice-elsewhere-"), "evil.mjs");
    plantModule(planted, marker);
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, output: planted }));
    const { compiled, value } = await load(entry, cache);
    expect(compiled.cached).toBe(false);
    expect(value).toBe("genuine");
    expect(existsSync(marker)).toBe(false);
  });

  it("ignores a manifest with an empty input list, or one without the entry, or for another entry", async () => {
    const { entry, cache, manifestFile, manifest, marker } = await compiledOnce();
    // A planted module with a name the cache itself would give, inside the cache.
    const planted = path.join(cache, path.basename(manifest.output as string).replace(/-[0-9a-f]{16}\.mjs$/, "-0000000000000000.mjs"));
    plantModule(planted, marker);
    const other = path.join(path.dirname(entry), "other.ts");
    writeFileSync(other, "export const value = 'other';\n");
    for (const forged of [
      { ...manifest, output: planted, inputs: [] },
      { ...manifest, output: planted, inputs: [{ file: other, ...statFields(other) }] },
      { ...manifest, output: planted, entry: other, inputs: [{ file: other, ...statFields(other) }] },
    ]) {
      writeFileSync(manifestFile, JSON.stringify(forged));
      const { compiled, value } = await load(entry, cache);
      expect(compiled.cached, JSON.stringify(forged)).toBe(false);
      expect(value).toBe("genuine");
      expect(existsSync(marker)).toBe(false);
    }
  });

  it("refuses SLUICE_CACHE_DIR when others may write to it, or it is a symbolic link, naming it and the fix", async () => {
    const { entry, cache, manifestFile, manifest, marker } = await compiledOnce();
    plantModule(manifest.output as string, marker);
    writeFileSync(manifestFile, JSON.stringify(manifest));
    chmodSync(cache, 0o777);
    const error = await withEnv({ SLUICE_CACHE_DIR: cache }, () => compileDefinitions(entry)).then(
      () => undefined,
      (err: Error & { code?: string }) => err,
    );
    expect(error?.code).toBe("LOAD_ERROR");
    expect(error?.message).toContain(`SLUICE_CACHE_DIR (${cache})`);
    expect(error?.message).toMatch(/writable by other users.*chmod 700/s);
    chmodSync(cache, 0o700);

    const link = path.join(tempDir("sluice-link-"), "cache");
    symlinkSync(cache, link);
    await expect(withEnv({ SLUICE_CACHE_DIR: link }, () => compileDefinitions(entry))).rejects.toThrow(/is a symbolic link/);
    expect(existsSync(marker)).toBe(false);
  });

  it.skipIf(!isRoot)("refuses SLUICE_CACHE_DIR owned by another user (needs root to chown it)", async () => {
    const { entry, cache, marker, manifest } = await compiledOnce();
    plantModule(manifest.output as string, marker);
    chownSync(cache, NOBODY_UID, NOBODY_UID);
    await expect(withEnv({ SLUICE_CACHE_DIR: cache }, () => compileDefinitions(entry))).rejects.toThrow(
      new RegExp(`SLUICE_CACHE_DIR \\(${cache}\\) .*owned by user ${NOBODY_UID}`),
    );
    expect(existsSync(marker)).toBe(false);
  });

  it("keeps its default cache in the user's cache directory, private (0700)", async () => {
    const xdg = tempDir("sluice-xdg-");
    const root = project({ "defs.ts": "export const value = 'genuine';\n" });
    const compiled = await withEnv({ SLUICE_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg }, () => compileDefinitions(path.join(root, "defs.ts")));
    const dir = path.join(xdg, "sluice", "definitions");
    expect(path.dirname(fileURLToPath(compiled.url))).toBe(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(xdg, "sluice")).mode & 0o777).toBe(0o700);
  });

  const unsafeDefaults: [string, (dir: string) => void][] = [
    ["writable by everyone", (dir) => chmodSync(dir, 0o777)],
    ...(isRoot ? ([["owned by another user", (dir: string) => chownSync(dir, NOBODY_UID, NOBODY_UID)]] as [string, (dir: string) => void][]) : []),
  ];
  it.each(unsafeDefaults)("does not use a default cache directory %s: compiles into a private one of its own", async (_what, spoil) => {
    const xdg = tempDir("sluice-xdg-");
    const root = project({ "defs.ts": "export const value = 'genuine';\n" });
    const entry = path.join(root, "defs.ts");
    const marker = path.join(root, "planted-ran");
    const compiledFirst = await withEnv({ SLUICE_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg }, () => compileDefinitions(entry));
    const dir = path.join(xdg, "sluice", "definitions");
    const output = fileURLToPath(compiledFirst.url);
    plantModule(output, marker);
    spoil(dir);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const compiled = await withEnv({ SLUICE_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg }, () => compileDefinitions(entry));
      expect(compiled.cached).toBe(false);
      const used = path.dirname(fileURLToPath(compiled.url));
      expect(used).not.toBe(dir);
      expect(statSync(used).mode & 0o777).toBe(0o700);
      expect((await import(compiled.url)).value).toBe("genuine");
      expect(existsSync(marker)).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.join("\n")).toContain(dir);
    } finally {
      process.off("warning", onWarning);
    }
  });
});

/** The uid and gid of `nobody` on Debian. */
const NOBODY_UID = 65534;

function statFields(file: string): { mtimeMs: number; size: number } {
  const s = statSync(file);
  return { mtimeMs: s.mtimeMs, size: s.size };
}

describe("resolveImport", () => {
  it("finds an ESM-only package (exports with only an import condition) from a directory", async () => {
    const root = project({
      "node_modules/esm-only/package.json": JSON.stringify({ name: "esm-only", type: "module", exports: { ".": { import: "./main.js" } } }),
      "node_modules/esm-only/main.js": "export default 1;\n",
    });
    expect(await resolveImport("esm-only", root)).toBe(path.join(root, "node_modules", "esm-only", "main.js"));
    expect(await resolveImport("not-installed", root)).toBeUndefined();
  });
});
