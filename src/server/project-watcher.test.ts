import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { watchProject, type ProjectWatcher } from "./project-watcher.js";

let dir: string;
let watcher: ProjectWatcher | undefined;
let batches: string[][];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "sluice-watch-"));
  mkdirSync(path.join(dir, "src"));
  mkdirSync(path.join(dir, "node_modules", "pkg"), { recursive: true });
  mkdirSync(path.join(dir, "home"));
  batches = [];
});
afterEach(() => {
  watcher?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("watchProject", () => {
  it("reports source changes in nested directories once, after they stop for the debounce time", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 100 });
    writeFileSync(path.join(dir, "defs.ts"), "1");
    writeFileSync(path.join(dir, "src", "assets.ts"), "2");
    await sleep(30);
    writeFileSync(path.join(dir, "src", "assets.ts"), "3");
    await sleep(400);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.sort()).toEqual([path.join(dir, "defs.ts"), path.join(dir, "src", "assets.ts")]);
  });

  it("ignores node_modules, the instance home, and files that are not sources", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 50, ignore: [path.join(dir, "home")] });
    writeFileSync(path.join(dir, "node_modules", "pkg", "index.js"), "x");
    writeFileSync(path.join(dir, "home", "sluice.db"), "x");
    writeFileSync(path.join(dir, "home", "x.ts"), "x");
    writeFileSync(path.join(dir, "output.csv"), "a,b");
    await sleep(300);
    expect(batches).toEqual([]);
    writeFileSync(path.join(dir, ".env"), "A=1");
    await sleep(300);
    expect(batches).toEqual([[path.join(dir, ".env")]]);
  });

  it("watches directories created after it started", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 50 });
    mkdirSync(path.join(dir, "lib"));
    await sleep(100);
    batches = [];
    writeFileSync(path.join(dir, "lib", "more.ts"), "x");
    await sleep(300);
    expect(batches.flat()).toContain(path.join(dir, "lib", "more.ts"));
  });

  it("takes a new output folder for no change, but a folder of sources moved in for one", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 50 });
    mkdirSync(path.join(dir, "out"));
    writeFileSync(path.join(dir, "out", "report.csv"), "a,b");
    await sleep(300);
    expect(batches).toEqual([]);

    const outside = mkdtempSync(path.join(os.tmpdir(), "sluice-watch-src-"));
    mkdirSync(path.join(outside, "nested"));
    writeFileSync(path.join(outside, "nested", "more.ts"), "x");
    renameSync(outside, path.join(dir, "moved"));
    await sleep(300);
    expect(batches).toEqual([[path.join(dir, "moved", "nested", "more.ts")]]);
  });

  it("stops reporting once closed", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 50 });
    watcher.close();
    writeFileSync(path.join(dir, "defs.ts"), "1");
    await sleep(200);
    expect(batches).toEqual([]);
  });
});
