/**
 * Definitions that cannot be loaded or fail validation: exit 2, and a message that names the asset
 * or file at fault. Also loading definitions with -m, as a path and as an installed package.
 */
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  describeResult,
  fixture,
  lastLine,
  REPO_ROOT,
  removeTempDirs,
  runCli,
  showRun,
  tempDir,
} from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

/** Runs `materialize -f FILE` in a fresh home and expects exit 2. */
async function materializeBadDefs(file: string): Promise<string> {
  const result = await runCli(["materialize", "-f", file], { home: tempDir() });
  expect(result.code, describeResult(result)).toBe(2);
  return result.stderr;
}

describe("definitions that fail validation exit 2 and name what is wrong", () => {
  it("a cycle: stderr shows the whole cycle, every key in dependency order", async () => {
    const stderr = await materializeBadDefs(fixture("defs-errors", "cycle.ts"));
    const line = stderr.split("\n").find((l) => /cycle/i.test(l)) ?? "";
    const keys = ["entry", "loop/a", "loop/b", "loop/c"];
    const path = [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1]!).filter((k) => keys.includes(k));
    // A closed path through the three keys of the cycle (and not the asset outside it).
    expect(path, stderr).toHaveLength(4);
    expect(path[0]).toBe(path[3]);
    expect(new Set(path)).toEqual(new Set(["loop/a", "loop/b", "loop/c"]));
    // Each consecutive pair is an edge, all in one direction: "is needed by" or "needs".
    const neededBy = new Set(["loop/c>loop/a", "loop/a>loop/b", "loop/b>loop/c"]);
    const pairs = path.slice(1).map((key, i) => `${path[i]}>${key}`);
    const reversed = pairs.map((p) => p.split(">").reverse().join(">"));
    expect(pairs.every((p) => neededBy.has(p)) || reversed.every((p) => neededBy.has(p)), line).toBe(true);
  });

  it("a missing dependency: names the asset and the key it needs", async () => {
    const stderr = await materializeBadDefs(fixture("defs-errors", "missing-dep.ts"));
    expect(stderr).toContain('"sales/orders"');
    expect(stderr).toContain('"sales/customers"');
    expect(stderr).toMatch(/not defined/);
  });

  it("a duplicate key: names the key", async () => {
    const stderr = await materializeBadDefs(fixture("defs-errors", "duplicate-key.ts"));
    expect(stderr).toContain('"dup/orders"');
    expect(stderr).toMatch(/twice|duplicate/i);
  });

  it("an unknown resource: names the resource and the asset that needs it", async () => {
    const stderr = await materializeBadDefs(fixture("defs-errors", "unknown-resource.ts"));
    expect(stderr).toContain('"warehouse"');
    expect(stderr).toContain('"uses/warehouse"');
  });

  it('a key with ".." components: names the asset, and nothing is written outside the home', async () => {
    const outside = tempDir("sluice-outside-");
    const home = path.join(tempDir(), "home");
    const target = path.relative("/", path.join(outside, "escaped"));
    const result = await runCli(["materialize", "-f", fixture("defs-errors", "dot-segment-key.ts")], { home, env: { ESCAPE_TARGET: target } });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain(`Asset key "../../../../${target}" has a ".." component`);
    expect(readdirSync(outside)).toEqual([]);
  });

  it("a config default that fails its schema: names the asset and the field", async () => {
    const stderr = await materializeBadDefs(fixture("defs-errors", "bad-default.ts"));
    expect(stderr).toContain('"batched"');
    expect(stderr).toContain("limits.batchSize");
  });
});

describe("definitions that cannot be loaded exit 2 and name the file", () => {
  it("a syntax error: names the file and the line", async () => {
    // Generated at test time: a broken .ts file in test/ would break the type check.
    const file = path.join(tempDir(), "broken-defs.ts");
    writeFileSync(
      file,
      [
        'import { asset, defineDefinitions } from "sluice";',
        "",
        'const broken = asset({ key: "broken", run: () => 1 });',
        "",
        "export default defineDefinitions({ assets: [broken }) ;",
        "",
      ].join("\n"),
    );
    const stderr = await materializeBadDefs(file);
    expect(stderr).toContain("broken-defs.ts:5");
  });

  it("a file whose import throws: names the file and line, and the error", async () => {
    const stderr = await materializeBadDefs(fixture("defs-errors", "throws-on-import.ts"));
    expect(stderr).toContain("settings.json is missing a closing brace");
    expect(stderr).toContain("throws-on-import.ts:5");
  });

  it("a file with no Definitions export: names the file", async () => {
    const stderr = await materializeBadDefs(fixture("defs-errors", "no-export.ts"));
    expect(stderr).toContain("no-export.ts");
    expect(stderr).toMatch(/does not export Definitions/);
  });

  it("a file that does not exist: names the file", async () => {
    const stderr = await materializeBadDefs("test/fixtures/cli/does-not-exist.ts");
    expect(stderr).toContain("does-not-exist.ts");
  });

  it("neither -f nor -m, or both: bad usage", async () => {
    const neither = await runCli(["materialize"], { home: tempDir() });
    expect(neither.code, describeResult(neither)).toBe(2);
    expect(neither.stderr).toMatch(/-f/);
    const both = await runCli(["asset", "list", "-f", fixture("pipeline.ts"), "-m", "./x.mjs"]);
    expect(both.code, describeResult(both)).toBe(2);
  });
});

describe("sluice -m MODULE", () => {
  it("loads a path that Node resolves from the working directory (export named defs)", async () => {
    const list = await runCli(["asset", "list", "-m", "./test/fixtures/cli/module-defs/index.mjs"], { cwd: REPO_ROOT });
    expect(list.code, describeResult(list)).toBe(0);
    expect(list.stdout).toBe("module/hello\nmodule/world\n");

    const home = tempDir();
    const run = await runCli(["materialize", "-m", "./test/fixtures/cli/module-defs/index.mjs"], { home, cwd: REPO_ROOT });
    expect(run.code, describeResult(run)).toBe(0);
    expect((await showRun(home, lastLine(run.stdout))).status).toBe("SUCCESS");
  });

  describe("an installed package", () => {
    // A project as a user has it: sluice and the package with the definitions in node_modules.
    const project = tempDir("sluice-project-");
    beforeAll(() => {
      mkdirSync(path.join(project, "node_modules", "acme-defs"), { recursive: true });
      symlinkSync(REPO_ROOT, path.join(project, "node_modules", "sluice"), "dir");
      writeFileSync(
        path.join(project, "node_modules", "acme-defs", "package.json"),
        JSON.stringify({ name: "acme-defs", version: "1.0.0", type: "module", exports: "./index.mjs" }),
      );
      writeFileSync(
        path.join(project, "node_modules", "acme-defs", "index.mjs"),
        [
          'import { asset, defineDefinitions } from "sluice";',
          'const a = asset({ key: "acme/a", run: () => 1 });',
          'const b = asset({ key: "acme/b", ins: { a }, run: ({ a }) => a + 1 });',
          "export default defineDefinitions({ assets: [a, b] });",
        ].join("\n"),
      );
    });

    it("loads it by package name from the working directory", async () => {
      const home = tempDir();
      const run = await runCli(["materialize", "-m", "acme-defs"], { home, cwd: project });
      expect(run.code, describeResult(run)).toBe(0);
      const shown = await showRun(home, lastLine(run.stdout));
      expect(shown.status).toBe("SUCCESS");
      expect(shown.steps!.map((s) => s.key)).toEqual(["acme/a", "acme/b"]);
    });

    it("exits 2 naming a package that is not installed", async () => {
      const result = await runCli(["asset", "list", "-m", "acme-missing"], { cwd: project });
      expect(result.code, describeResult(result)).toBe(2);
      expect(result.stderr).toContain("acme-missing");
    });
  });
});
