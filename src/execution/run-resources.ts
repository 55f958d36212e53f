import type { ResourceBinding } from "../definitions/definitions.js";
import { errorSummary, UserCodeError } from "../definitions/errors.js";
import type { ResourceContext } from "../definitions/resource.js";
import type { StepLogger } from "../definitions/step-logger.js";
import { EventType, LogLevel, type NewEvent } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { DefaultIOManager } from "./default-io-manager.js";
import { serializeError } from "./serialize-error.js";

/** What setting up and tearing down resources needs from the run (or schedule or sensor evaluation). */
export interface ResourceRunContext {
  /** The run; null for a schedule's or sensor's evaluation. */
  runId: string | null;
  signal: AbortSignal;
  /** Directory of the default IO manager's files (runs only: definitions keep schedules and sensors from using it). */
  valuesDir: string | undefined;
  /** Where the default IO manager keeps small values (runs only, as valuesDir). */
  storage?: Storage;
  logFor(resourceName: string): StepLogger;
}

/** A resource that failed to tear down. */
export interface TeardownFailure {
  name: string;
  error: unknown;
}

/** The LOG event recording that a resource failed to tear down, its texts passed through `redact`. */
export function teardownFailureEvent(runId: string, failure: TeardownFailure, redact: (text: string) => string): NewEvent {
  return {
    runId,
    type: EventType.Log,
    stepKey: `resource:${failure.name}`,
    level: LogLevel.Error,
    message: redact(`Resource "${failure.name}" failed to tear down: ${errorSummary(failure.error)}`),
    data: { error: serializeError(failure.error, redact) },
  };
}

/** The resources of one run (or schedule or sensor evaluation): set up once at its start, torn down at its end. */
export class RunResources {
  private readonly values = new Map<string, unknown>();
  private readonly setUpOrder: { binding: ResourceBinding; context: ResourceContext }[] = [];

  private constructor(private readonly ctx: ResourceRunContext) {}

  /**
   * Sets up each named resource with its resolved config. When one fails, those already set up are
   * torn down and a UserCodeError naming the resource is thrown.
   */
  static async setUp(
    bindings: readonly ResourceBinding[],
    configs: ReadonlyMap<string, unknown>,
    ctx: ResourceRunContext,
  ): Promise<RunResources> {
    const resources = new RunResources(ctx);
    for (const binding of bindings) {
      const context: ResourceContext = { name: binding.name, runId: ctx.runId, log: ctx.logFor(binding.name), signal: ctx.signal };
      if (!binding.definition) {
        if (ctx.valuesDir === undefined || ctx.storage === undefined) {
          await resources.tearDown();
          throw new UserCodeError(`Resource "${binding.name}" is the default IO manager, which needs a run's storage.`, undefined, undefined);
        }
        resources.values.set(binding.name, new DefaultIOManager(ctx.storage, ctx.valuesDir));
        continue;
      }
      try {
        const value = await binding.definition.setup(configs.get(binding.name), context);
        resources.values.set(binding.name, value);
        resources.setUpOrder.push({ binding, context });
      } catch (err) {
        await resources.tearDown();
        throw new UserCodeError(`Resource "${binding.name}" failed to set up: ${errorSummary(err)}`, undefined, err);
      }
    }
    return resources;
  }

  /** The value of a resource that was set up. */
  get(name: string): unknown {
    return this.values.get(name);
  }

  /** Tears down in reverse setup order; every teardown runs even when one fails. */
  async tearDown(): Promise<TeardownFailure[]> {
    const failures: TeardownFailure[] = [];
    while (this.setUpOrder.length > 0) {
      const { binding, context } = this.setUpOrder.pop()!;
      if (!binding.definition?.teardown) continue;
      try {
        await binding.definition.teardown(this.values.get(binding.name), context);
      } catch (error) {
        failures.push({ name: binding.name, error });
      }
    }
    return failures;
  }
}
