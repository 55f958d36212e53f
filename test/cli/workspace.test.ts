import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, fixture, removeTempDirs, runCli, tempDir } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

describe("workspace.yaml (no -f or -m)", () => {
  it("loads the code location it names, relative to the file", async () => {
    const dir = tempDir("sluice-ws-");
    writeFileSync(path.join(dir, "workspace.yaml"), `load_from:\n  - file: ${path.relative(dir, fixture("ops-defs.ts"))}\n`);
    const result = await runCli(["job", "list", "--json"], { cwd: dir });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { name: string }[]).map((j) => j.name)).toContain("etl_job");
  });

  it("names the file and the path of a malformed entry", async () => {
    const dir = tempDir("sluice-ws-");
    writeFileSync(path.join(dir, "workspace.yaml"), "load_from:\n  - python_file: defs.py\n");
    const result = await runCli(["job", "list"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("workspace.yaml is invalid at load_from.0");
  });

  it("refuses several code locations, and says what to pass when there is no workspace", async () => {
    const dir = tempDir("sluice-ws-");
    writeFileSync(path.join(dir, "workspace.yaml"), "load_from:\n  - file: a.ts\n  - file: b.ts\n");
    const several = await runCli(["job", "list"], { cwd: dir });
    expect(several.code).toBe(2);
    expect(several.stderr).toContain("lists 2 code locations");
    const none = await runCli(["job", "list"], { cwd: tempDir("sluice-ws-") });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Pass -f FILE");
  });
});
