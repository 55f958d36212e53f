import { describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { LoadError } from "../definitions/errors.js";
import { CodeLocationState, type LoadOutcome } from "./code-location.js";

const defsWith = (...keys: string[]) => defineDefinitions({ assets: keys.map((key) => asset({ key, run: () => 1 })) });

describe("CodeLocationState", () => {
  it("keeps the last good definitions when a reload fails, with the error's file and line", async () => {
    let attempt = 0;
    const state = new CodeLocationState(
      async () => {
        attempt++;
        if (attempt === 2) {
          throw new LoadError("Could not load definitions from defs.ts: Transform failed with 1 error:\n/p/assets.ts:7:3: ERROR: Unexpected \"}\"", "/p/defs.ts");
        }
        return { defs: defsWith(...Array.from({ length: attempt }, (_, i) => `a${i}`)), source: "/p/defs.ts" };
      },
      { cwd: "/p", fallbackFile: "/p/defs.ts" },
    );
    expect(await state.load()).toMatchObject({ ok: true, generation: 1 });
    const failed = await state.load();
    expect(failed).toMatchObject({ ok: false, loadError: { file: "/p/assets.ts", line: 7, column: 3 } });
    expect(state.current!.generation).toBe(1);
    expect(state.current!.snapshot.assets.map((a) => a.key)).toEqual(["a0"]);
    expect(state.loadError!.message).toContain("Unexpected");
    expect(await state.load()).toMatchObject({ ok: true, generation: 2 });
    expect(state.loadError).toBeUndefined();
    expect(state.current!.snapshot.assets).toHaveLength(3);
  });

  it("points at the definitions file when the error names no line", async () => {
    const error = new Error("boom");
    error.stack = "Error: boom\n    at node:internal/modules/esm/module_job:325:25";
    const state = new CodeLocationState(async () => Promise.reject(error), { cwd: "/p", fallbackFile: "/p/defs.ts" });
    const outcome = await state.load();
    expect(outcome).toMatchObject({ ok: false });
    expect(state.loadError).toMatchObject({ file: "/p/defs.ts", line: null, message: "boom" });
  });

  it("runs loads one at a time and folds the reloads asked for meanwhile into one", async () => {
    let calls = 0;
    let running = 0;
    let maxRunning = 0;
    const state = new CodeLocationState(
      async () => {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        return { defs: defsWith("a"), source: "x" };
      },
      { cwd: "/", fallbackFile: null },
    );
    const outcomes: LoadOutcome[] = [];
    state.onLoad((_s, o) => outcomes.push(o));
    await Promise.all([state.load(), state.load(), state.load(), state.load()]);
    expect(calls).toBe(2);
    expect(maxRunning).toBe(1);
    expect(outcomes.map((o) => o.ok && o.generation)).toEqual([1, 2]);
  });
});
