import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
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
