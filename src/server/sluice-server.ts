import path from "node:path";
import type { Definitions } from "../definitions/definitions.js";
import { LoadError } from "../definitions/errors.js";
import type { CodeLocationState } from "../instance/code-location.js";
import type { Instance } from "../instance/instance.js";
import { packageRoot } from "../instance/package-root.js";
import { createApp } from "./app.js";
import { listen } from "./http-listener.js";
import { LiveEventHub } from "./live-events.js";
import type { ServerContext } from "./server-context.js";

/** How to run the server. */
export interface SluiceServerOptions {
  instance: Instance;
  /** The code location it serves, not loaded yet: the server loads it first (and on POST /api/reload). */
  location: CodeLocationState;
  /** The file or module it comes from, for a load error at start. */
  source: string;
  host: string;
  port: number;
  /** Required on every /api request when set (see auth.ts). */
  token: string | undefined;
  /**
   * `dev`: a load error is served (the server keeps the last definitions that loaded, if any).
   * `server`: the web server alone; definitions that fail to load at start are an error.
   */
  mode: "dev" | "server";
  /** Whether a daemon runs in this process (`sluice dev`), for /api/health and the overview. */
  daemonInProcess?: () => boolean;
  /** Called with the definitions after each successful load (`sluice dev` restarts its daemon on them). */
  onDefinitions?: (defs: Definitions) => void;
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
  /** Stops the HTTP server and its live streams. */
  close(): Promise<void>;
}

/**
 * Loads the definitions and starts the HTTP server: the API, the live stream, the UI. What runs
 * beside it in `sluice dev` (the daemon, the file watcher) is composed by the CLI around the same
 * code location state.
 */
export async function startSluiceServer(options: SluiceServerOptions): Promise<SluiceServer> {
  const { instance, location: state, log, mode } = options;
  const hub = new LiveEventHub(instance.storage, { log });

  state.onLoad((s, outcome) => {
    if (outcome.ok) {
      const snap = s.current!.snapshot;
      log(`definitions loaded (generation ${outcome.generation}): ${snap.assets.length} assets, ${snap.jobs.length} jobs, ${snap.schedules.length} schedules, ${snap.sensors.length} sensors`);
      options.onDefinitions?.(s.current!.defs);
    } else {
      const e = outcome.loadError;
      log(`definitions failed to load${e.file ? ` (${e.file}${e.line ? `:${e.line}` : ""})` : ""}: ${e.message}`);
    }
    hub.publishDefinitions({ ok: outcome.ok, generation: s.current?.generation ?? 0, loadError: s.loadError ?? null });
  });

  const first = await state.load();
  if (!first.ok && mode === "server") {
    hub.close();
    throw new LoadError(first.loadError.message, first.loadError.file ?? options.source);
  }

  const ctx: ServerContext = {
    storage: instance.storage,
    location: state,
    hub,
    mode,
    home: instance.home,
    version: options.version,
    startedAt: Date.now(),
    daemonInProcess: options.daemonInProcess ?? (() => false),
    token: options.token,
    uiDir: options.uiDir ?? path.join(packageRoot(), "dist", "ui"),
    log,
  };
  let listener;
  try {
    listener = await listen(createApp(ctx), { host: options.host, port: options.port });
  } catch (err) {
    hub.close();
    throw err;
  }

  return {
    url: listener.url,
    port: listener.port,
    host: listener.host,
    location: state,
    async close() {
      hub.close();
      await listener.close();
    },
  };
}
