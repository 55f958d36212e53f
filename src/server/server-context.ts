import type { Storage } from "../storage/storage.js";
import type { CodeLocationState, LoadedLocation } from "../instance/code-location.js";
import { HttpError, HttpErrorCode } from "./http-errors.js";
import type { LiveEventHub } from "./live-events.js";

/** What the API handlers work with: storage, the code location's snapshot, the live event hub. */
export interface ServerContext {
  storage: Storage;
  location: CodeLocationState;
  hub: LiveEventHub;
  /** `dev`: server + daemon + reload on save; `server`: the web server alone. */
  mode: "dev" | "server";
  /** Absolute path of the instance home. */
  home: string;
  /** Sluice's version. */
  version: string;
  startedAt: number;
  /** Whether a daemon runs inside this process (sluice dev). */
  daemonInProcess: () => boolean;
  /** When set, every /api request must present it. */
  token: string | undefined;
  /** Where the built UI lives (served when it exists). */
  uiDir: string;
  log: (line: string) => void;
}

/** The loaded definitions, or a 503 naming the load error when none ever loaded. */
export function requireLoaded(ctx: ServerContext): LoadedLocation {
  const current = ctx.location.current;
  if (current) return current;
  const error = ctx.location.loadError;
  throw new HttpError(
    503,
    HttpErrorCode.DefinitionsNotLoaded,
    error
      ? `The definitions failed to load, so there is nothing to run yet: ${error.message}`
      : "The definitions are still loading; try again in a moment.",
  );
}
