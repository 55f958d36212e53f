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
