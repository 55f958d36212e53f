/**
 * The API of `sluice server` over definitions given in code, on a fresh SQLite instance in a temp
 * directory, answering `app.request(...)` in-process (no port, no daemon): for route tests.
 */
import type { Definitions } from "../../definitions/definitions.js";
import { CodeLocationState } from "../../instance/code-location.js";
import { tempTarget, type TempTarget } from "../../runs/testing/temp-target.js";
import { createApp } from "../app.js";
import { LiveEventHub } from "../live-events.js";

/** An app and the instance it serves; `dispose()` closes the storage and removes the directory. */
export interface InProcessApp {
  app: ReturnType<typeof createApp>;
  target: TempTarget;
  /** The code location: `location.load()` reloads it (from `defs` again, when `defs` is a function). */
  location: CodeLocationState;
  dispose(): Promise<void>;
}

/**
 * Loads `defs` as the code location of a server app on a temporary instance. Given a function, each
 * load (reload) calls it, as a reload reads the edited file.
 */
export async function inProcessApp(defs: Definitions | (() => Definitions)): Promise<InProcessApp> {
  const target = await tempTarget();
  const location = new CodeLocationState(async () => ({ defs: typeof defs === "function" ? defs() : defs, source: "defs.ts" }), { cwd: target.dir, fallbackFile: null });
  await location.load();
  const app = createApp({
    storage: target.storage,
    location,
    hub: new LiveEventHub(target.storage),
    mode: "server",
    home: target.dir,
    version: "test",
    startedAt: Date.now(),
    daemonInProcess: () => false,
    token: undefined,
    uiDir: target.dir,
    log: () => undefined,
  });
  return { app, target, location, dispose: () => target.dispose() };
}
