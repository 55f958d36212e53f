import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { UserCodeError } from "../definitions/errors.js";
import { serializeError } from "../execution/serialize-error.js";
import { packageRoot } from "../instance/package-root.js";
import type { SerializedError } from "../storage/records.js";
import { EvaluationHostClosedError } from "./evaluation-host.js";
import { describeRequest, type EvaluateMessage, type EvaluationOutcome, type EvaluationRequest, type EvaluationThreadData, type ThreadMessage } from "./evaluation-messages.js";

/** What an evaluation thread needs. */
export interface EvaluationThreadOptions extends EvaluationThreadData {
  /** How long each call of user code may take before the thread is taken as stuck (plus a grace). */
  timeoutMs: number;
  /** How long loading the code location may take. */
  loadTimeoutMs: number;
  /** The daemon's log: user code's log lines, and errors it throws outside any call. */
  log: (line: string) => void;
  /** Who goes on when user code throws outside any call, for that log line: `the daemon`, `the server`. */
  keepsRunning: string;
}

/** The evaluation in flight, and how to end it. */
interface Current {
  id: number;
  request: EvaluationRequest;
  resolve: (outcome: EvaluationOutcome) => void;
  reject: (err: Error) => void;
}

/**
 * One worker thread that loads the daemon's code location and runs schedule and sensor
 * evaluations, one at a time. A watchdog times each call of user code (the function, a resource's
 * setup or teardown): one that has not returned within the timeout plus a grace (the thread's own
 * timers fail an awaited call at the timeout, so only a thread that cannot run them, being stuck
 * in a synchronous loop, gets that far) has its thread terminated and its evaluation answered with
 * a failure naming the schedule or sensor and the timeout. The thread is then stopped for good:
 * its owner starts a fresh one.
 *
 * @example
 * const thread = new EvaluationThread({ location, cwd, timeoutMs: 60_000, loadTimeoutMs: 60_000, log, keepsRunning: "the daemon" }, onStop);
 * if ((await thread.loaded) === null) {
 *   const outcome = await thread.evaluate({ kind: "sensor", call });
 * }
 */
export class EvaluationThread {
  /** Resolves once the code location loaded (null) or failed to (its error: the thread then stops). */
  readonly loaded: Promise<SerializedError | null>;
  readonly #worker: Worker;
  readonly #opts: EvaluationThreadOptions;
  readonly #onStop: (thread: EvaluationThread) => void;
  #state: "loading" | "idle" | "busy" | "stopped" = "loading";
  #current: Current | undefined;
  #nextId = 1;
  #watchdog: NodeJS.Timeout | undefined;
  /** The last error the worker reported ('error' event), for the message of its exit. */
  #workerError: Error | undefined;

  /** `onStop` is called once, when the thread stops (stopped, timed out, crashed, or failed to load). */
  constructor(opts: EvaluationThreadOptions, onStop: (thread: EvaluationThread) => void) {
    this.#opts = opts;
    this.#onStop = onStop;
    this.#worker = startWorker({ location: opts.location, cwd: opts.cwd });
    // Only a call in flight keeps the process alive (through its watchdog timer), never an idle thread.
    this.#worker.unref();
    this.loaded = new Promise<SerializedError | null>((resolve) => {
      this.#arm(opts.loadTimeoutMs, () => {
        resolve(loadTimeoutError(opts));
        void this.stop();
      });
      this.#worker.on("message", (message: ThreadMessage) => {
        if (message.type === "ready") {
          this.#disarm();
          this.#state = "idle";
          resolve(null);
        } else if (message.type === "load-failed") {
          resolve(message.error);
          void this.stop();
        } else this.#onMessage(message);
      });
      this.#worker.on("error", (err) => (this.#workerError = err));
      this.#worker.on("exit", (code) => {
        // Settles `loaded` only if it is still pending: the thread ended while loading.
        const error = serializeError(this.#workerError ?? new Error(`the thread exited with code ${code}`));
        resolve({ ...error, message: `Loading the definitions in an evaluation thread failed: ${error.message}` });
        this.#exited(code);
      });
    });
  }

  /** True when the thread has loaded and runs nothing. */
  get idle(): boolean {
    return this.#state === "idle";
  }

  /** True until it has loaded (or failed to). */
  get loading(): boolean {
    return this.#state === "loading";
  }

  /**
   * Runs one evaluation; the thread must be idle. Resolves with its outcome (a timeout or a crash
   * of the thread is a failed outcome); rejects with EvaluationHostClosedError when the thread is
   * stopped meanwhile.
   */
  evaluate(request: EvaluationRequest): Promise<EvaluationOutcome> {
    if (this.#state !== "idle") return Promise.reject(new Error(`An evaluation thread that is ${this.#state} was given ${describeRequest(request)}.`));
    this.#state = "busy";
    const id = this.#nextId++;
    return new Promise<EvaluationOutcome>((resolve, reject) => {
      this.#current = { id, request, resolve, reject };
      this.#watch(describeRequest(request));
      const message: EvaluateMessage = { type: "evaluate", id, request, timeoutMs: this.#opts.timeoutMs };
      this.#worker.postMessage(message);
    });
  }

  /** Terminates the thread; an evaluation in flight rejects with EvaluationHostClosedError. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#stopped();
    const current = this.#current;
    this.#current = undefined;
    current?.reject(new EvaluationHostClosedError(describeRequest(current.request)));
    await this.#worker.terminate();
  }

  #onMessage(message: ThreadMessage): void {
    const current = this.#current;
    switch (message.type) {
      case "log":
        this.#opts.log(message.line);
        return;
      case "stray-error":
        this.#opts.log(`error in user code or a background task (${this.#opts.keepsRunning} keeps running), in a schedule and sensor evaluation thread: ${message.text}`);
        return;
      case "phase":
        if (current?.id === message.id) this.#watch(message.what);
        return;
      case "result":
        if (current?.id !== message.id) return;
        this.#disarm();
        this.#current = undefined;
        this.#state = "idle";
        current.resolve(message.outcome);
        return;
    }
  }

  /** Restarts the watchdog for a call of user code named `what`. */
  #watch(what: string): void {
    const { timeoutMs } = this.#opts;
    this.#arm(timeoutMs + graceMs(timeoutMs), () => {
      const current = this.#current;
      this.#current = undefined;
      void this.stop();
      current?.resolve({ ok: false, error: serializeError(stuckError(what, timeoutMs)) });
    });
  }

  #arm(ms: number, fire: () => void): void {
    this.#disarm();
    this.#watchdog = setTimeout(fire, ms);
  }

  #disarm(): void {
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
  }

  /** The worker ended on its own (user code called process.exit, it ran out of memory...). */
  #exited(code: number): void {
    if (this.#state === "stopped") return;
    this.#stopped();
    const current = this.#current;
    this.#current = undefined;
    if (!current) return;
    const what = describeRequest(current.request);
    const cause = this.#workerError ? `: ${this.#workerError.message}` : ` with code ${code} (process.exit() in user code?)`;
    const error = new UserCodeError(`${what} ended its evaluation thread${cause}. The evaluation failed; the next one starts a fresh thread.`, undefined, this.#workerError);
    current.resolve({ ok: false, error: serializeError(error) });
  }

  #stopped(): void {
    this.#state = "stopped";
    this.#disarm();
    this.#onStop(this);
  }
}

/**
 * How long past the timeout a call may go before its thread is taken as stuck: the thread's own
 * timer fails an awaited call at the timeout (and its resources are torn down); a thread that
 * could not run that timer for a whole grace is busy in a synchronous loop.
 */
function graceMs(timeoutMs: number): number {
  return Math.min(10_000, Math.max(1000, timeoutMs / 10));
}

function stuckError(what: string, timeoutMs: number): UserCodeError {
  return new UserCodeError(
    `${what} did not finish within ${seconds(timeoutMs)} and kept its evaluation thread busy (a synchronous loop?), so the thread was stopped. ` +
      "Resources set up in that thread were not torn down; the next evaluation starts a fresh thread. Make it faster, or move the slow work into a run.",
    undefined,
    undefined,
  );
}

function loadTimeoutError(opts: EvaluationThreadOptions): SerializedError {
  const where = opts.location.file ?? opts.location.module ?? "the workspace's code location";
  return serializeError(new UserCodeError(`Loading ${where} in an evaluation thread did not finish within ${seconds(opts.loadTimeoutMs)}; the thread was stopped. Check what the definitions do when imported.`, undefined, undefined));
}

/** `1 s`, `2.5 s`, `0.2 s`. */
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Starts the worker on the thread's entry: from the bundle in dist/ (whose chunks do not sit beside
 * their sources), or from the TypeScript sources when this module is one (tests import src/), with
 * tsx's tsImport: on Node 20 a worker ignores `--import tsx` in its execArgv, and loader hooks
 * registered inside it.
 */
function startWorker(data: EvaluationThreadData): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(path.join(packageRoot(), "dist", "daemon", "evaluation-thread-entry.js"), { workerData: data });
  const entry = new URL("./evaluation-thread-entry.ts", here).href;
  const code = `import(${JSON.stringify(tsxEsmApi(here))}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}));`;
  return new Worker(code, { eval: true, workerData: data });
}

/** The URL of tsx's ESM API (its CommonJS build cannot import TypeScript from a worker). */
function tsxEsmApi(from: string): string {
  const pkgFile = createRequire(from).resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports["./esm/api"]!.import.default)).href;
}
