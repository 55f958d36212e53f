import path from "node:path";
import { LoadError } from "../definitions/errors.js";
import type { Instance } from "../instance/instance.js";
import { loadDefinitions, type CodeLocation } from "../instance/load-definitions.js";
import { packageRoot } from "../instance/package-root.js";
import { createApp } from "./app.js";
import { CodeLocationState, type DefinitionsLoader } from "./code-location.js";
import { DaemonSupervisor } from "./daemon-supervisor.js";
import { importFresh, projectDirOf } from "./fresh-import.js";
import { listen } from "./http-listener.js";
import { LiveEventHub } from "./live-events.js";
import { watchProject, type ProjectWatcher } from "./project-watcher.js";
import type { ServerContext } from "./server-context.js";

/** How to run the server. */
export interface SluiceServerOptions {
  instance: Instance;
  location: CodeLocation;
  /** Where relative paths, .env and modules are resolved (default: the working directory). */
  cwd?: string;
  host: string;
  port: number;
  /** Required on every /api request when set (see auth.ts). */
  token: string | undefined;
  /**
   * `dev`: the daemon runs in this process (restarted on each successful reload) and the project
   * is watched; a load error is served instead of stopping the server. `server`: the web server
   * alone; definitions that fail to load at start are an error.
   */
  mode: "dev" | "server";
  /** Watch the project's files and reload on change (dev; default true). */
  watch?: boolean;
  /** Sluice's version, for /api/health. */
  version: string;
  /** Directory of the built UI (default: dist/ui of the package). */
  uiDir?: string;
  log: (line: string) => void;
}

/** A running server. */
export interface SluiceServer {
  url: string;
  port: number;
  host: string;
  location: CodeLocationState;
  /** Stops the watcher, the HTTP server (and its live streams) and the daemon's loops. Runs in flight go on in their workers. */
  close(): Promise<void>;
}

/** Loads the definitions, starts the HTTP server (and in dev mode the daemon and the file watcher). */
export async function startSluiceServer(options: SluiceServerOptions): Promise<SluiceServer> {
  const { instance, location, log, mode } = options;
  const cwd = options.cwd ?? process.cwd();
  // The first load shares modules with the CLI; reloads need a fresh module instance to see edits.
  const loader: DefinitionsLoader = (attempt) => (attempt === 0 ? loadDefinitions(location, cwd) : importFresh(location, cwd));
  const state = new CodeLocationState(loader, { cwd, fallbackFile: location.file ? path.resolve(cwd, location.file) : null });
  const hub = new LiveEventHub(instance.storage, { log });
  const daemon = mode === "dev" ? new DaemonSupervisor({ instance, location, log }) : undefined;

  state.onLoad((s, outcome) => {
    if (outcome.ok) {
      const snap = s.current!.snapshot;
      log(`definitions loaded (generation ${outcome.generation}): ${snap.assets.length} assets, ${snap.jobs.length} jobs, ${snap.schedules.length} schedules, ${snap.sensors.length} sensors`);
      if (daemon) void daemon.restart(s.current!.defs);
    } else {
      const e = outcome.loadError;
      log(`definitions failed to load${e.file ? ` (${e.file}${e.line ? `:${e.line}` : ""})` : ""}: ${e.message}`);
    }
    hub.publishDefinitions({ ok: outcome.ok, generation: s.current?.generation ?? 0, loadError: s.loadError ?? null });
  });

  const first = await state.load();
  if (!first.ok && mode === "server") {
    hub.close();
    throw new LoadError(first.loadError.message, first.loadError.file ?? String(location.file ?? location.module));
  }

  const ctx: ServerContext = {
    storage: instance.storage,
    location: state,
    hub,
    mode,
    home: instance.home,
    version: options.version,
    startedAt: Date.now(),
    daemonInProcess: () => daemon?.running ?? false,
    token: options.token,
    uiDir: options.uiDir ?? path.join(packageRoot(), "dist", "ui"),
    log,
  };
  let listener;
  try {
    listener = await listen(createApp(ctx), { host: options.host, port: options.port });
  } catch (err) {
    hub.close();
    await daemon?.stop();
    throw err;
  }

  let watcher: ProjectWatcher | undefined;
  const projectDir = mode === "dev" && options.watch !== false ? projectDirOf(location, cwd) : undefined;
  if (projectDir) {
    watcher = watchProject(
      projectDir,
      (files) => {
        log(`changed: ${files.map((f) => path.relative(cwd, f) || f).slice(0, 5).join(", ")}${files.length > 5 ? ", ..." : ""}; reloading definitions`);
        void state.load();
      },
      { ignore: [instance.home], log },
    );
  }

  return {
    url: listener.url,
    port: listener.port,
    host: listener.host,
    location: state,
    async close() {
      watcher?.close();
      hub.close();
      await listener.close();
      await daemon?.stop();
    },
  };
}
