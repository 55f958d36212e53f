import { errorMessage } from "../definitions/errors.js";
import type { Definitions } from "../definitions/definitions.js";
import path from "node:path";
import { loadDefinitions, type CodeLocation, type LoadedDefinitions } from "./load-definitions.js";
import { importFresh, locateLoadError } from "./fresh-import.js";
import { snapshotOf, type DefinitionsSnapshot } from "./snapshot.js";

/** Definitions that loaded, with their snapshot. */
export interface LoadedLocation {
  defs: Definitions;
  snapshot: DefinitionsSnapshot;
  /** Absolute file path, or the module name. */
  source: string;
  /** 1 for the first successful load, then one more per successful reload. */
  generation: number;
  loadedAt: number;
}

/** Why the last load failed: file and line where known, and the loader's message. */
export interface LoadErrorInfo {
  file: string | null;
  line: number | null;
  column: number | null;
  message: string;
  /** ISO time of the failed attempt. */
  at: string;
}

/** What one (re)load did. */
export type LoadOutcome = { ok: true; generation: number; loadedAt: string } | { ok: false; loadError: LoadErrorInfo };

/** Loads the code location: `attempt` is 0 for the first load (which may share modules with the CLI), then 1, 2... */
export type DefinitionsLoader = (attempt: number) => Promise<LoadedDefinitions>;

/**
 * The server's view of its code location: the definitions and snapshot of the last successful
 * load, and the error of the last attempt if it failed (the previous definitions stay in use).
 * Loads run one at a time; a reload asked for during one runs once after it.
 */
export class CodeLocationState {
  #current: LoadedLocation | undefined;
  #loadError: LoadErrorInfo | undefined;
  #attempts = 0;
  #generation = 0;
  #running: Promise<LoadOutcome> | undefined;
  #queued: Promise<LoadOutcome> | undefined;
  readonly #listeners = new Set<(state: CodeLocationState, outcome: LoadOutcome) => void>();

  constructor(
    private readonly loader: DefinitionsLoader,
    private readonly options: { cwd: string; fallbackFile: string | null },
  ) {}

  /** The definitions in use, if any load has succeeded. */
  get current(): LoadedLocation | undefined {
    return this.#current;
  }

  /** The error of the last load attempt, when it failed. */
  get loadError(): LoadErrorInfo | undefined {
    return this.#loadError;
  }

  /** Calls `listener` after every load attempt; returns the unsubscribe function. */
  onLoad(listener: (state: CodeLocationState, outcome: LoadOutcome) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Loads (or reloads) the definitions. Never throws: a failure is kept as loadError. */
  load(): Promise<LoadOutcome> {
    if (!this.#running) {
      this.#running = this.#attempt().finally(() => (this.#running = undefined));
      return this.#running;
    }
    // One reload after the one running is enough, however many were asked for meanwhile.
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.load();
    });
    return this.#queued;
  }

  async #attempt(): Promise<LoadOutcome> {
    const attempt = this.#attempts++;
    let outcome: LoadOutcome;
    try {
      const loaded = await this.loader(attempt);
      const snapshot = snapshotOf(loaded.defs);
      const loadedAt = Date.now();
      this.#current = { defs: loaded.defs, snapshot, source: loaded.source, generation: ++this.#generation, loadedAt };
      this.#loadError = undefined;
      outcome = { ok: true, generation: this.#generation, loadedAt: new Date(loadedAt).toISOString() };
    } catch (err) {
      const where = locateLoadError(err, this.options.cwd, this.options.fallbackFile);
      this.#loadError = { ...where, message: errorMessage(err), at: new Date().toISOString() };
      outcome = { ok: false, loadError: this.#loadError };
    }
    for (const listener of this.#listeners) {
      try {
        listener(this, outcome);
      } catch {
        // A listener's failure must not turn a load into a failed one.
      }
    }
    return outcome;
  }
}

/**
 * The state of a code location that a long-running process serves and reloads: the first load
 * shares modules with the rest of the process (the CLI loaded them already); each reload imports
 * the project's modules afresh so that edits are seen. Loads nothing yet: call `load()`.
 */
export function codeLocationState(location: CodeLocation, cwd: string): CodeLocationState {
  const loader: DefinitionsLoader = (attempt) => (attempt === 0 ? loadDefinitions(location, cwd) : importFresh(location, cwd));
  return new CodeLocationState(loader, { cwd, fallbackFile: location.file ? path.resolve(cwd, location.file) : null });
}
