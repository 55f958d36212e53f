/**
 * `sluice dev` reloads definitions when a project file changes (and on POST /api/reload): a new
 * asset appears and runs with the new code; a syntax error or a throw at import is served as
 * loadError (file, line, message) while the server stays up with the last good definitions.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { api, openStream, ServerSandbox, tempProject, waitFor, waitForRun, type ServerProcess } from "./helpers.js";

beforeAll(assertBuilt);

const DEFS = `import { defineDefinitions } from "sluice";
import { first } from "./assets.ts";
export default defineDefinitions({ assets: [first] });
`;
const ASSETS = `import { asset } from "sluice";
export const first = asset({ key: "first", run: () => 1 });
`;

const sandbox = new ServerSandbox();
let project: string;
let dev: ServerProcess;
let url: string;

beforeAll(async () => {
  project = tempProject({ "defs.ts": DEFS, "assets.ts": ASSETS });
  dev = await sandbox.startServer("dev", ["-f", "defs.ts"], { cwd: project, home: path.join(project, ".sluice") });
  url = dev.url;
});

afterAll(async () => {
  await sandbox.dispose();
  removeTempDirs();
});

async function definitions(): Promise<any> {
  return (await api(url, "GET", "/api/definitions")).body;
}

function waitForGeneration(generation: number): Promise<any> {
  return waitFor(`definitions generation ${generation}`, async () => {
    const d = await definitions();
    return d.generation >= generation ? d : undefined;
  }, 30_000, 100);
}

describe("reload on save", () => {
  it("an edited file is read again: a new asset in another module appears, and runs with the new code", async () => {
    expect((await definitions()).snapshot.assets.map((a: any) => a.key)).toEqual(["first"]);
    const stream = await openStream(url);
    await stream.waitFor("ready", (m) => m.event === "ready");
    writeFileSync(
      path.join(project, "assets.ts"),
      `import { asset } from "sluice";
export const first = asset({ key: "first", run: () => 1 });
export const second = asset({ key: "second", deps: [first], run: () => "v2" });
`,
    );
    writeFileSync(path.join(project, "defs.ts"), DEFS.replace("{ first }", "{ first, second }").replace("[first]", "[first, second]"));
    const d = await waitForGeneration(2);
    expect(d.snapshot.assets.map((a: any) => a.key)).toEqual(["first", "second"]);
    expect(d.loadError).toBeNull();
    const reloaded = await stream.waitFor("a definitions message", (m) => m.event === "definitions" && m.data.generation >= 2);
    expect(reloaded.data).toMatchObject({ ok: true, loadError: null });
    stream.close();
    // The daemon restarted with the new definitions, and its run worker loads them too.
    const res = await api(url, "POST", "/api/runs", { selection: "second" });
    expect(res.status).toBe(201);
    expect((await waitForRun(url, res.body.run.runId, ["SUCCESS", "FAILURE"])).status).toBe("SUCCESS");
    expect(dev.log()).toContain("reloading definitions");
  });

  it("a syntax error is served as loadError with file and line; the server stays up on the last good definitions", async () => {
    const before = await definitions();
    writeFileSync(path.join(project, "assets.ts"), `import { asset } from "sluice";\nexport const first = asset({ key: "first", run: () => 1 +; });\n`);
    const d = await waitFor("a load error", async () => {
      const now = await definitions();
      return now.loadError ? now : undefined;
    }, 30_000, 100);
    expect(d.loadError).toMatchObject({ file: path.join(project, "assets.ts"), line: 2 });
    expect(d.loadError.message).toContain("assets.ts");
    expect(d.generation).toBe(before.generation);
    expect(d.snapshot.assets.map((a: any) => a.key)).toEqual(["first", "second"]);
    const health = await api(url, "GET", "/api/health");
    expect(health.status).toBe(200);
    expect(health.body.definitions.loadError.line).toBe(2);
    const manual = await api(url, "POST", "/api/reload");
    expect(manual.status).toBe(200);
    expect(manual.body).toMatchObject({ ok: false, loadError: { line: 2 } });
    // Runs can still be launched on the last good definitions.
    expect((await api(url, "POST", "/api/runs", { selection: "first" })).status).toBe(201);
  });

  it("a throw at import points at the line that threw; fixing the file clears the error", async () => {
    writeFileSync(
      path.join(project, "assets.ts"),
      `import { asset } from "sluice";\nexport const first = asset({ key: "first", run: () => 1 });\nexport const second = first;\nthrow new Error("config missing");\n`,
    );
    const d = await waitFor("the new load error", async () => {
      const now = await definitions();
      return now.loadError?.message.includes("config missing") ? now : undefined;
    }, 30_000, 100);
    expect(d.loadError).toMatchObject({ file: path.join(project, "assets.ts"), line: 4 });
    writeFileSync(path.join(project, "assets.ts"), ASSETS);
    writeFileSync(path.join(project, "defs.ts"), DEFS);
    const fixed = await waitFor("the fix to load", async () => {
      const now = await definitions();
      return now.loadError === null && now.snapshot.assets.length === 1 ? now : undefined;
    }, 30_000, 100);
    expect(fixed.snapshot.assets.map((a: any) => a.key)).toEqual(["first"]);
  });

  it("POST /api/reload reloads without a file event, and files outside the sources (data) do not trigger reloads", async () => {
    const before = (await definitions()).generation;
    writeFileSync(path.join(project, "output.csv"), "a,b\n1,2\n");
    await new Promise((r) => setTimeout(r, 800));
    expect((await definitions()).generation).toBe(before);
    const res = await api(url, "POST", "/api/reload");
    expect(res.body).toMatchObject({ ok: true, generation: before + 1 });
  });
});

describe("definitions broken at start", () => {
  it("dev still starts, serves the load error (503 for what needs definitions), and comes up when the file is fixed", async () => {
    const broken = tempProject({ "defs.ts": `import { defineDefinitions } from "sluice";\nexport default defineDefinitions({ assets: [ });\n` });
    const server = await sandbox.startServer("dev", ["-f", "defs.ts"], { cwd: broken, home: path.join(broken, ".sluice") });
    const d = (await api(server.url, "GET", "/api/definitions")).body;
    expect(d).toMatchObject({ loaded: false, generation: 0, snapshot: null, loadError: { file: path.join(broken, "defs.ts"), line: 2 } });
    const assets = await api(server.url, "GET", "/api/assets");
    expect(assets.status).toBe(503);
    expect(assets.body.error.code).toBe("DEFINITIONS_NOT_LOADED");
    expect((await api(server.url, "GET", "/api/health")).body).toMatchObject({ ok: true, daemonInProcess: false });
    writeFileSync(path.join(broken, "defs.ts"), DEFS.replace('import { first } from "./assets.ts";', 'import { asset } from "sluice";\nconst first = asset({ key: "first", run: () => 1 });'));
    await waitFor("the fixed definitions", async () => ((await api(server.url, "GET", "/api/definitions")).body.loaded ? true : undefined), 30_000, 100);
    await waitFor("the daemon to start", async () => ((await api(server.url, "GET", "/api/health")).body.daemonInProcess ? true : undefined), 10_000, 100);
    const res = await api(server.url, "POST", "/api/runs", { selection: "first" });
    expect((await waitForRun(server.url, res.body.run.runId, ["SUCCESS", "FAILURE"])).status).toBe("SUCCESS");
  });
});

describe("workspace.yaml", () => {
  it("dev without -f or -m serves the code location workspace.yaml names, and watches its directory", async () => {
    const dir = tempProject({ "defs.ts": DEFS, "assets.ts": ASSETS, "workspace.yaml": "load_from:\n  - file: defs.ts\n" });
    const server = await sandbox.startServer("dev", [], { cwd: dir, home: path.join(dir, ".sluice") });
    const d = (await api(server.url, "GET", "/api/definitions")).body;
    expect(d).toMatchObject({ loaded: true, source: path.join(dir, "defs.ts") });
    writeFileSync(path.join(dir, "assets.ts"), ASSETS.replaceAll('"first"', '"renamed"'));
    await waitFor("the edit to load", async () => {
      const now = (await api(server.url, "GET", "/api/definitions")).body;
      return now.snapshot?.assets[0]?.key === "renamed" ? true : undefined;
    }, 30_000, 100);
  });
});
