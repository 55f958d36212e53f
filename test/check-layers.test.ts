import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs script without types
import { checkLayers } from "../scripts/check-layers.mjs";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "sluice-layers-"));
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(root, "src", rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return path.join(root, "src");
}

describe("layer check", () => {
  it("passes the real source tree", () => {
    expect(checkLayers(path.resolve("src"))).toEqual([]);
  });

  it("fails an import from a layer below (storage → execution), type-only imports included", () => {
    const src = tree({
      "execution/plan.ts": "export const x = 1;\n",
      "storage/bad.ts": 'import type { x } from "../execution/plan.js";\n',
      "definitions/ok.ts": "export const y = 2;\n",
      "execution/fine.ts": 'import { y } from "../definitions/ok.js";\n',
    });
    const problems = checkLayers(src) as string[];
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('layer "storage" must not import layer "execution"');
  });

  it("keeps integrations on the public API and flags unknown folders", () => {
    const src = tree({
      "index.ts": "export {};\n",
      "execution/plan.ts": "export const x = 1;\n",
      "integrations/duckdb.ts": 'import { x } from "../execution/plan.js";\nimport "../index.js";\n',
      "misc/helper.ts": 'import { x } from "../execution/plan.js";\n',
    });
    const problems = (checkLayers(src) as string[]).join("\n");
    expect(problems).toContain("integrations may import only the public API");
    expect(problems).toContain('folder "misc" is not a layer');
  });

  it("checks integrations in sub-folders too, and keeps the core from importing them", () => {
    const src = tree({
      "index.ts": "export {};\n",
      "execution/plan.ts": "export const x = 1;\n",
      "integrations/duckdb/ok.ts": 'import "../../index.js";\nimport "../missing-package-error.js";\n',
      "integrations/missing-package-error.ts": 'import "../index.js";\n',
      "integrations/duckdb/bad.ts": 'import { x } from "../../execution/plan.js";\n',
      "cli/main.ts": 'import "../integrations/duckdb/ok.js";\n',
    });
    const problems = checkLayers(src) as string[];
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/cli\/main\.ts: layer "cli" must not import layer "integrations"/);
    expect(problems[1]).toMatch(/integrations\/duckdb\/bad\.ts: integrations may import only the public API/);
  });
});

describe("layer graph", () => {
  it("keeps server from importing daemon, and names what server may import", () => {
    const src = tree({
      "daemon/daemon.ts": "export const start = () => {};\n",
      "instance/instance.ts": "export const open = () => {};\n",
      "server/supervisor.ts": 'import { open } from "../instance/instance.js";\nimport { start } from "../daemon/daemon.js";\n',
    });
    const problems = checkLayers(src) as string[];
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/server\/supervisor\.ts: layer "server" must not import layer "daemon" \("\.\.\/daemon\/daemon\.js"\); server may import definitions, storage, execution, runs, instance$/);
  });

  it("lets runs import execution, not the other way round", () => {
    const src = tree({
      "execution/execute-run.ts": 'import { newRun } from "../runs/new-run.js";\nexport const executeRun = () => newRun;\n',
      "runs/new-run.ts": "export const newRun = () => {};\n",
      "runs/foreground-run.ts": 'import { executeRun } from "../execution/execute-run.js";\n',
    });
    const problems = checkLayers(src) as string[];
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/execution\/execute-run\.ts: layer "execution" must not import layer "runs" .*; execution may import definitions, storage$/);
  });

  it("checks lazy imports against the layers too, and keeps the public API off cli", () => {
    const src = tree({
      "index.ts": 'export { main } from "./cli/main.js";\n',
      "cli/main.ts": "export const main = () => {};\n",
      "daemon/daemon.ts": "export const start = () => {};\n",
      "server/dev.ts": 'export const dev = () => import("../daemon/daemon.js");\n',
    });
    const problems = checkLayers(src) as string[];
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/index\.ts: the public API must not import layer "cli" \("\.\/cli\/main\.js"\)/);
    expect(problems[1]).toMatch(/server\/dev\.ts: layer "server" must not import layer "daemon"/);
  });
});

describe("import cycles", () => {
  // A cycle of three files, each joined by another form of runtime import.
  const cycle = (aToB: string) => ({
    "definitions/a.ts": `${aToB}\nexport const a = 1;\n`,
    "definitions/b.ts": 'export * from "./c.js";\nexport const b = 2;\n',
    "definitions/c.ts": 'import "./a.js";\nexport const c = 3;\n',
  });

  it("fails a runtime cycle of three files, naming them and one path around it", () => {
    const problems = checkLayers(tree(cycle('import { b } from "./b.js";'))) as string[];
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^import cycle: 3 files import each other \(\S*definitions\/a\.ts, \S*definitions\/b\.ts, \S*definitions\/c\.ts\)/);
    expect(problems[0]).toMatch(/: \S*definitions\/a\.ts → \S*definitions\/b\.ts → \S*definitions\/c\.ts → \S*definitions\/a\.ts\./);
  });

  it("lets the same cycle pass through a type-only import or export", () => {
    expect(checkLayers(tree(cycle('import type { b } from "./b.js";')))).toEqual([]);
    expect(checkLayers(tree(cycle('export type { b } from "./b.js";')))).toEqual([]);
  });

  it("counts `import { type A }` as runtime, since verbatimModuleSyntax compiles it to `import {}`", () => {
    const problems = checkLayers(tree(cycle('import { type b } from "./b.js";'))) as string[];
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("import cycle: 3 files");
  });

  it("lets the same cycle pass through a lazy import()", () => {
    expect(checkLayers(tree(cycle('export const load = () => import("./b.js");')))).toEqual([]);
  });

  it("finds a file that imports itself, and a cycle through a folder's index", () => {
    const src = tree({
      "storage/self.ts": 'import { x } from "./self.js";\nexport const x = 1;\n',
      "execution/plan/index.ts": 'import { run } from "../run.js";\nexport const plan = run;\n',
      "execution/run.ts": 'import { plan } from "./plan/index.js";\nexport const run = plan;\n',
    });
    const problems = checkLayers(src) as string[];
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^import cycle: 2 files import each other \(\S*execution\/plan\/index\.ts, \S*execution\/run\.ts\)/);
    expect(problems[1]).toMatch(/^import cycle: \S*storage\/self\.ts imports itself: \S*storage\/self\.ts → \S*storage\/self\.ts\./);
  });
});

describe("check-layers script", () => {
  const run = (src: string) => spawnSync(process.execPath, ["scripts/check-layers.mjs", src], { encoding: "utf8" });

  it("says on success what it checked, with counts of files and imports", () => {
    const result = run(
      tree({
        "definitions/a.ts": "export const a = 1;\n",
        "definitions/b.ts": 'import { a } from "./a.js";\nimport type { a as A } from "./a.js";\n',
      }),
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Layer check passed: 2 imports between 2 files of \S+\/ follow the layer graph \(server ↛ daemon.*; the 1 runtime ones form no cycle\n$/);
  });

  it("exits 1 listing the problems, and 2 when the folder does not exist", () => {
    const failed = run(tree({ "storage/self.ts": 'import "./self.js";\n' }));
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/Layer check failed[^\n]*\n  import cycle: \S*storage\/self\.ts imports itself/);
    const missing = run(path.join(os.tmpdir(), "sluice-layers-missing", "src"));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("is not a directory");
  });
});
