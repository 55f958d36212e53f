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

/** Resolves once `check` holds (polled), or fails naming `what` after 10 s. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; batches: ${JSON.stringify(batches)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("watchProject", () => {
  it("reports source changes in nested directories once, no sooner than the debounce time after the last", async () => {
    const debounceMs = 300;
    let reportedAt = 0;
    watcher = watchProject(dir, (files) => ((reportedAt = Date.now()), batches.push(files)), { debounceMs });
    writeFileSync(path.join(dir, "defs.ts"), "1");
    writeFileSync(path.join(dir, "src", "assets.ts"), "2");
    writeFileSync(path.join(dir, "src", "assets.ts"), "3");
    const lastWrite = Date.now();
    await until("a batch", () => batches.length > 0);
    expect(reportedAt - lastWrite).toBeGreaterThanOrEqual(debounceMs - 5);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.sort()).toEqual([path.join(dir, "defs.ts"), path.join(dir, "src", "assets.ts")]);
  });

  it("ignores node_modules, the instance home, and files that are not sources", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 50, ignore: [path.join(dir, "home")] });
    writeFileSync(path.join(dir, "node_modules", "pkg", "index.js"), "x");
    writeFileSync(path.join(dir, "home", "sluice.db"), "x");
    writeFileSync(path.join(dir, "home", "x.ts"), "x");
    writeFileSync(path.join(dir, "output.csv"), "a,b");
    // Written last: once it is reported, anything the writes above caused has been too.
    writeFileSync(path.join(dir, ".env"), "A=1");
    await until(".env to be reported", () => batches.flat().includes(path.join(dir, ".env")));
    expect(batches.flat()).toEqual([path.join(dir, ".env")]);
  });

  it("watches directories created after it started", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 50 });
    mkdirSync(path.join(dir, "lib"));
    // The directory is watched once its creation has been seen: write until a change in it shows.
    // (Not more often than the debounce lets a batch out: each write restarts its wait.)
    const file = path.join(dir, "lib", "more.ts");
    let lastWrite = 0;
    await until("a file in the new directory to be reported", () => {
      if (batches.flat().includes(file)) return true;
      if (Date.now() - lastWrite > 300) {
        writeFileSync(file, String(lastWrite));
        lastWrite = Date.now();
      }
      return false;
    });
  });

  it("takes a new output folder for no change, but a folder of sources moved in for one", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 50 });
    mkdirSync(path.join(dir, "out"));
    writeFileSync(path.join(dir, "out", "report.csv"), "a,b");

    const outside = mkdtempSync(path.join(os.tmpdir(), "sluice-watch-src-"));
    mkdirSync(path.join(outside, "nested"));
    writeFileSync(path.join(outside, "nested", "more.ts"), "x");
    renameSync(outside, path.join(dir, "moved"));
    const moved = path.join(dir, "moved", "nested", "more.ts");
    await until("the moved source to be reported", () => batches.flat().includes(moved));
    expect(batches.flat()).toEqual([moved]);
  });

  it("stops reporting once closed", async () => {
    watcher = watchProject(dir, (files) => batches.push(files), { debounceMs: 50 });
    watcher.close();
    // A second watcher, still open, tells when the change has been delivered.
    const seen: string[][] = [];
    const witness = watchProject(dir, (files) => seen.push(files), { debounceMs: 50 });
    try {
      writeFileSync(path.join(dir, "defs.ts"), "1");
      await until("the open watcher to report the change", () => seen.length > 0);
      expect(batches).toEqual([]);
    } finally {
      witness.close();
    }
  });
});
