import type { Definitions, ResourceBinding } from "../definitions/definitions.js";
import { errorMessage, errorSummary, UserCodeError } from "../definitions/errors.js";
import type { StepLogger } from "../definitions/step-logger.js";
import { resolveResourceConfig } from "../execution/run-config.js";
import { RunResources, type TeardownFailure } from "../execution/run-resources.js";
import { SecretRedactor } from "../execution/secret-redactor.js";

import { instigatorLogger } from "./run-requests.js";

/** What an evaluation scope needs. */
export interface EvaluationScopeOptions {
  defs: Definitions;
  /** Who evaluates, for messages: `Sensor "NAME"` or `Schedule "NAME" (tick ...)`. */
  what: string;
  /** The resources the schedule or sensor declares (bound in `defs.resources` when definitions loaded). */
  resourceNames: readonly string[];
  /** How long setting the resources up, and tearing them down, may take. */
  timeoutMs: number;
  /** The daemon's log; every line this scope writes is redacted first. */
  log: (line: string) => void;
  /** Told as setting up, or tearing down, begins (an evaluation thread's watchdog times each). */
  onPhase?: ((what: string) => void) | undefined;
}

/**
 * The resources of one schedule or sensor evaluation, as a run has its own: set up from their
 * Definitions config (EnvVars read now, their secret values added to {@link redactor}) the first
 * time {@link resources} is called, torn down in reverse order by {@link close}, which the
 * evaluation calls whether its function succeeded, threw or timed out. Errors name the schedule or
 * sensor and the resource; a secret never appears in what the scope logs or throws.
 *
 * @example
 * const scope = new EvaluationScope({ defs, what: 'Sensor "rows"', resourceNames: ["postgres"], timeoutMs: 60_000, log });
 * try {
 *   await sensor.evaluate({ ...context, log: scope.logger('Sensor "rows"'), resources: await scope.resources() });
 * } finally {
 *   await scope.close();
 * }
 */
export class EvaluationScope {
  /** Masks the secret values of the resources' config: use it on errors the evaluation records. */
  readonly redactor = new SecretRedactor();
  readonly #opts: EvaluationScopeOptions;
  /** Aborted when setting up takes longer than the timeout (the resources see it as `context.signal`). */
  readonly #controller = new AbortController();
  #setup: Promise<RunResources> | undefined;
  #setUp: RunResources | undefined;
  #values: Record<string, unknown> | undefined;

  constructor(opts: EvaluationScopeOptions) {
    this.#opts = opts;
  }

  /** The text with every secret of the resources' config masked. */
  readonly redact = (text: string): string => this.redactor.redact(text);

  /** A logger for the schedule's or sensor's function: lines go to the daemon's log, prefixed and redacted. */
  logger(prefix: string): StepLogger {
    return instigatorLogger(prefix, (line) => this.#opts.log(this.redact(line)));
  }

  /**
   * The resources' values by name, set up on the first call (an evaluation with nothing to do sets
   * nothing up). Throws UserCodeError naming the schedule or sensor and the resource when a config
   * cannot be resolved (an unset EnvVar, a value its schema rejects), a setup throws (those already
   * set up are torn down), or setting up takes longer than the timeout.
   */
  async resources(): Promise<Record<string, unknown>> {
    if (this.#values) return this.#values;
    if (this.#opts.resourceNames.length === 0) return (this.#values = {});
    const { what, timeoutMs } = this.#opts;
    if (!this.#setup) {
      this.#opts.onPhase?.(`${what}: setting up its resources`);
      this.#setup = this.#setUpAll();
    }
    const resources = await withTimeout(this.#setup, timeoutMs, () => {
      this.#controller.abort();
      return new UserCodeError(`${what}: its resources did not finish setting up within ${seconds(timeoutMs)} s. Check that what they connect to answers.`, undefined, undefined);
    });
    const values: Record<string, unknown> = {};
    for (const name of this.#opts.resourceNames) values[name] = resources.get(name);
    return (this.#values = values);
  }

  /**
   * Tears the resources down in reverse setup order (each teardown runs even when one fails).
   * Never throws: a teardown that fails or takes longer than the timeout is logged. Resources whose
   * setup is still running (it timed out) are torn down once it finishes, without waiting here.
   */
  async close(): Promise<void> {
    const setup = this.#setup;
    if (!setup) return;
    const { what, timeoutMs, log } = this.#opts;
    const report = (failures: TeardownFailure[]): void => {
      for (const f of failures) log(this.redact(`${what}: resource "${f.name}" failed to tear down: ${errorSummary(f.error)}`));
    };
    const teardown = setup.then(
      (resources) => resources.tearDown(),
      // A failed setup tore down what it had set up already.
      () => [],
    );
    if (!this.#setUp) {
      void teardown.then(report);
      return;
    }
    this.#opts.onPhase?.(`${what}: tearing down its resources`);
    try {
      report(await withTimeout(teardown, timeoutMs, () => new Error(`did not finish within ${seconds(timeoutMs)} s`)));
    } catch (err) {
      log(this.redact(`${what}: tearing down its resources ${errorMessage(err)}; going on without waiting.`));
    }
  }

  async #setUpAll(): Promise<RunResources> {
    const { defs, what, resourceNames } = this.#opts;
    const bindings: ResourceBinding[] = [];
    const configs = new Map<string, unknown>();
    for (const name of resourceNames) {
      const binding = defs.resources.get(name);
      if (!binding) throw new UserCodeError(`${what}: resource "${name}" is not defined. Add it to the resources of your Definitions.`, undefined, undefined);
      try {
        configs.set(name, resolveResourceConfig(binding, {}, this.redactor));
      } catch (err) {
        throw new UserCodeError(`${what}: resource "${name}" could not be configured: ${errorSummary(err)}`, undefined, err);
      }
      bindings.push(binding);
    }
    try {
      this.#setUp = await RunResources.setUp(bindings, configs, {
        runId: null,
        signal: this.#controller.signal,
        valuesDir: undefined,
        logFor: (name) => this.logger(`${what} resource "${name}"`),
      });
      return this.#setUp;
    } catch (err) {
      // RunResources names the resource: `Resource "NAME" failed to set up: ...`.
      const message = err instanceof Error ? err.message.replace(/^Resource /, "resource ") : errorSummary(err);
      throw new UserCodeError(`${what}: ${message}`, undefined, err);
    }
  }
}

/** Settles as `promise` does, or rejects with `onTimeout()` after `ms`, whichever comes first. */
async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    // A hung setup or teardown must not keep the process alive on its own.
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
