import type { Definitions } from "../definitions/definitions.js";
import { errorSummary } from "../definitions/errors.js";
import { EventType, LogLevel, type EventRecord, type NewEvent, type SerializedError } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { runCheckStep } from "./check-runner.js";
import { stepAssetKey, type PlanStep } from "./plan.js";
import { prepareRun, type PreparedRun } from "./prepare-run.js";
import { maskProcessOutput } from "./masked-output.js";
import { RunResources, teardownFailureEvent } from "./run-resources.js";
import { stepPartition } from "./run-partition.js";
import { serializeError } from "./serialize-error.js";
import type { FromStepProcess, StepProcessInit, ToStepProcess } from "./step-process-protocol.js";
import { runStep, stepLogger, type StepOutcome, type StepRunContext } from "./step-runner.js";
import { routeUncaughtErrors, runOwnedBy } from "./uncaught-errors.js";

/** How a step's child process loads what its parent has. */
export interface StepProcessServeOptions {
  /** Loads the same definitions as the run's process (from the code location it loaded them from). */
  loadDefinitions: () => Promise<Definitions>;
  /** Runs before the run is prepared, e.g. to read the dynamic partitions' keys from the run's storage. */
  beforePrepare?: (defs: Definitions, storage: Storage) => Promise<void>;
}

interface Loaded {
  defs: Definitions;
  prepared: PreparedRun;
  init: StepProcessInit;
}

/**
 * The child's side of the multiprocess executor (see StepProcessPool): waits for the run's init,
 * loads the definitions and prepares the run as its parent did (so config and the secrets to mask
 * are resolved alike), then runs each step it is sent, one at a time, with the resources that step
 * needs, set up before it and torn down after it. The step's events, and its reads of storage, go
 * through the parent, which writes them with the run's event writer: the run keeps one writer, its
 * events one order, and the child needs no connection of its own to the database. SIGTERM aborts
 * the step's signal. Call once, in a process started with an IPC channel.
 */
export function serveStepProcess(options: StepProcessServeOptions): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("serveStepProcess needs an IPC channel: start the process with child_process.fork().");
  // Errors a step's timers throw fail that step, as in the run's own process, instead of ending this one.
  routeUncaughtErrors();
  // What a step prints goes to the run's own output (the terminal, or the run's log file): masked
  // as the run's process masks it, once preparing the run has made its secrets known here.
  maskProcessOutput();
  const pending = new Map<number, { resolve: (value: any) => void; reject: (err: unknown) => void }>();
  let nextId = 1;
  const ask = <T>(message: (id: number) => FromStepProcess): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      send(message(id));
    });
  // Every method of the run's storage, called in the parent: the child only reads through it.
  const storage = new Proxy({} as Storage, {
    get: (_target, method) =>
      typeof method === "string" && method !== "then" ? (...args: unknown[]) => ask((id) => ({ type: "call", id, method, args })) : undefined,
  });
  const writer = {
    write(event: NewEvent, opts: { unlessLost?: boolean } = {}): Promise<EventRecord> {
      // Stamped when emitted here, not when the parent receives it.
      event.timestamp ??= Date.now();
      return ask<EventRecord>((id) => ({ type: "event", id, event, unlessLost: opts.unlessLost === true }));
    },
  };
  const controller = new AbortController();
  process.once("SIGTERM", () => controller.abort());
  // Ctrl-C in a terminal reaches the whole process group: the run's process turns it into a cancel,
  // which reaches this one as SIGTERM; ended by SIGINT now, the step would fail instead.
  process.on("SIGINT", () => undefined);
  // The run's process is gone: nobody would record what this one does.
  process.once("disconnect", () => process.exit(1));
  let loaded: Loaded | undefined;

  const init = async (given: StepProcessInit): Promise<void> => {
    try {
      const defs = await options.loadDefinitions();
      await options.beforePrepare?.(defs, storage);
      const { target, runConfig, partitionKey, partitionRange } = given.request;
      const prepared = prepareRun(defs, target, runConfig, { key: partitionKey, range: partitionRange }, { inputsThroughIOManagers: true });
      loaded = { defs, prepared, init: given };
      send({ type: "ready" });
    } catch (err) {
      send({ type: "init-failed", error: serializeError(err) });
    }
  };

  const runOne = async (stepKey: string): Promise<void> => {
    let outcome: StepOutcome;
    try {
      outcome = await executeStep(loaded!, stepKey, storage, writer, controller.signal);
    } catch (err) {
      // executeStep records what user code throws: this is a failure of ours, or of the pipe.
      outcome = { ok: false, error: serializeError(err), summary: errorSummary(err) };
    }
    send({ type: "outcome", stepKey, outcome });
  };

  process.on("message", (message: ToStepProcess) => {
    switch (message.type) {
      case "init":
        void init(message.init);
        return;
      case "step":
        void runOne(message.stepKey);
        return;
      case "stored":
      case "returned": {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        waiting?.resolve(message.type === "stored" ? message.record : message.value);
        return;
      }
      case "lost":
      case "threw": {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        waiting?.reject(revive(message.error));
        return;
      }
      case "close":
        // Sent only between steps: every event of the last one has reached the parent.
        process.exit(0);
    }
  });
}

/** Runs one step with the resources it needs; records what fails as its events. */
async function executeStep(loaded: Loaded, stepKey: string, storage: Storage, writer: StepRunContext["writer"], signal: AbortSignal): Promise<StepOutcome> {
  const { defs, prepared, init } = loaded;
  const step = prepared.plan.steps.find((s) => s.key === stepKey);
  if (!step) throw new Error(`Step "${stepKey}" is not in this run's plan as the step's process prepared it.`);
  const { runId } = init;
  const redactor = prepared.redactor;
  const names = resourcesOfStep(step, prepared);
  let resources: RunResources;
  try {
    resources = await RunResources.setUp(
      names.map((n) => defs.resources.get(n)!),
      prepared.resourceConfigs,
      { runId, signal, valuesDir: init.valuesDir, storage, logFor: (name) => stepLogger({ runId, writer, redactor }, `resource:${name}`) },
    );
  } catch (err) {
    // In the run's own process this fails the whole run; here it fails the step that needed them.
    const error = serializeError(err, (t) => redactor.redact(t));
    const summary = redactor.redact(errorSummary(err));
    const partition = stepPartition(step.node.partitions, { key: init.partitionKey, range: prepared.partitionRange, rangeKeys: prepared.rangeKeys });
    await writer.write({
      runId,
      type: EventType.StepFailure,
      stepKey,
      assetKey: step.node.kind === "check" || step.node.observes ? null : stepAssetKey(step.node),
      partition: partition.partitionKey,
      level: LogLevel.Error,
      message: `Step "${stepKey}" failed: ${summary}`,
      data: { error, attempt: 1 },
    });
    return { ok: false, error, summary };
  }
  const ctx: StepRunContext = {
    runId,
    partitionKey: init.partitionKey,
    partitionRange: prepared.partitionRange,
    rangeKeys: prepared.rangeKeys,
    storage,
    writer,
    resources,
    redactor,
    signal,
    assetConfigs: prepared.assetConfigs,
    outputs: new Map(),
    nodes: prepared.plan.nodes,
    inputSources: new Map(init.inputSources),
    dataVersions: new Map(),
    inputsThroughIOManagers: true,
  };
  const log = stepLogger(ctx, stepKey);
  // What the step's resources throw uncaught is logged on the step, as the run logs a resource's in process.
  const owner = { take: (err: unknown) => log.error(`An error was thrown outside the step's function (by a resource, or a callback no attempt owns): ${redactor.redact(errorSummary(err))}`) };
  let outcome: StepOutcome;
  try {
    outcome = await runOwnedBy(owner, () => (step.node.kind === "check" ? runCheckStep(step, ctx) : runStep(step, ctx)));
  } finally {
    for (const failure of await resources.tearDown()) {
      await writer.write(teardownFailureEvent(runId, failure, (t) => redactor.redact(t)));
    }
  }
  return outcome;
}

/** The run's resources one step uses, in the run's setup order: its own, and the IO managers of its outputs and inputs. */
function resourcesOfStep(step: PlanStep, prepared: PreparedRun): string[] {
  const needed = new Set<string>(Object.keys(step.node.resources));
  needed.add(step.node.ioManager);
  for (const out of step.node.outputs ?? []) needed.add(out.ioManager);
  for (const input of step.inputs) needed.add(prepared.plan.nodes.get(input.upstreamKey)!.ioManager);
  return prepared.resourceNames.filter((name) => needed.has(name));
}

/** An error the parent passed back, as an Error with its class name and code. */
function revive(error: SerializedError): Error {
  const err = new Error(error.message);
  err.name = error.className;
  if (error.stack) err.stack = error.stack;
  if (error.code !== undefined) (err as { code?: string }).code = error.code;
  return err;
}
