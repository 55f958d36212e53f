import { errorSummary } from "../definitions/errors.js";
import { ExecutorKind, type Definitions } from "../definitions/definitions.js";
import { EventType, LogLevel, RunStatus, type SerializedError } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { runCheckStep } from "./check-runner.js";
import { RunEventWriter, type EventListener } from "./run-event-writer.js";
import { stepAssetKey, stepAssetKeys, type PlanStep } from "./plan.js";
import type { PreparedRun } from "./prepare-run.js";
import { RunResources, teardownFailureEvent } from "./run-resources.js";
import { serializeError } from "./serialize-error.js";
import { stepProcessLauncherOf, type StepProcessLauncher } from "./step-process-launcher.js";
import { StepProcessPool } from "./step-process-pool.js";
import { runStep, stepLogger, type StepOutcome, type StepRunContext } from "./step-runner.js";
import { runOwnedBy, type ErrorOwner } from "./uncaught-errors.js";

/** What executing a run needs. */
export interface ExecuteRunOptions {
  defs: Definitions;
  storage: Storage;
  /** The run record must exist already. */
  runId: string;
  prepared: PreparedRun;
  /** Directory of the default IO manager's files. */
  valuesDir: string;
  /** Steps at the same time, at most (default: the Definitions' executor setting). */
  maxConcurrent?: number;
  /** The run's partition (default: the prepared run's). */
  partitionKey?: string | null;
  /** Aborting it stops starting steps, signals running ones, and ends the run CANCELED. */
  signal?: AbortSignal;
  /** Called with each event once stored (progress display). */
  listeners?: EventListener[];
  /** For op inputs from outside the run (re-execution): the run whose output to load, by op name. */
  inputSources?: ReadonlyMap<string, string>;
  /** Where steps run (default: the Definitions' executor setting; a run's `sluice/executor` tag overrides it). */
  executor?: ExecutorKind;
  /**
   * How the multiprocess executor starts its child processes (default: the one registered for the
   * definitions by whoever loaded them from a code location, see setStepProcessLauncher).
   */
  stepProcesses?: StepProcessLauncher;
  /** Multiprocess: how long a canceled step's process may take to exit after SIGTERM before SIGKILL (default 5 s). */
  killGraceMs?: number;
}

/** A step that failed, as the run result reports it. */
export interface StepFailure {
  stepKey: string;
  error: SerializedError;
}

/** How a run ended. */
export interface RunResult {
  runId: string;
  status: RunStatus;
  success: boolean;
  /** Keys of the steps that succeeded (an asset's key, an op's or a multi-asset's name). */
  succeeded: string[];
  /** Keys of the assets the succeeded steps materialized (a multi-asset's step materializes several). */
  materialized: string[];
  failures: StepFailure[];
  skipped: string[];
  /** An error that stopped the whole run (a resource that failed to set up), if any. */
  runError: SerializedError | null;
  /**
   * The value a step of this run (an asset, or an op) returned, by its key; undefined when it did
   * not succeed here, or ran in another process (a run the daemon executed).
   */
  outputOf(key: string): unknown;
}

type StepState = "pending" | "running" | "success" | "failure" | "skipped";

/**
 * Executes a prepared run in this process: steps run as soon as their upstream steps succeed, up to
 * `maxConcurrent` at once; a failed step's downstream steps are skipped while independent branches
 * go on. Every event is stored before the run is reported finished.
 */
export async function executeRun(options: ExecuteRunOptions): Promise<RunResult> {
  const { runId, prepared } = options;
  const partitionKey = options.partitionKey ?? prepared.partitionKey;
  const writer = new RunEventWriter(options.storage, options.listeners ?? [], partitionKey);
  const steps = prepared.plan.steps;
  await writer.write({
    runId,
    type: EventType.RunStart,
    message: `Started run of ${steps.length} step${steps.length === 1 ? "" : "s"}.`,
  });
  // Steps stop being started, and running ones are signalled, on a cancel or when the run crashes.
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = (): void => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  const crash: RunCrash = { error: undefined };
  const owner = runErrorOwner(runId, writer, prepared, crash, controller);
  try {
    return await runOwnedBy(owner, () => executeSteps(options, writer, partitionKey, controller.signal, crash));
  } finally {
    owner.ended = true;
    outer?.removeEventListener("abort", onOuterAbort);
  }
}

/** An error that user code threw outside every step (a resource's timer, say): it fails the run. */
interface RunCrash {
  error: unknown;
}

/**
 * Answers for errors thrown uncaught by what the run started outside its steps: the first fails
 * the run (steps stop being started, running ones are signalled); each is logged on the run.
 */
function runErrorOwner(runId: string, writer: RunEventWriter, prepared: PreparedRun, crash: RunCrash, controller: AbortController): ErrorOwner & { ended: boolean } {
  return {
    ended: false,
    take(err: unknown): void {
      const summary = prepared.redactor.redact(errorSummary(err));
      void writer
        .write({
          runId,
          type: EventType.Log,
          level: LogLevel.Error,
          message: this.ended
            ? `An error was thrown after the run ended, outside any step: ${summary}`
            : `An error was thrown outside any step (by a resource, or a callback no step owns): ${summary}`,
          data: { error: serializeError(err, (t) => prepared.redactor.redact(t)) },
        })
        .catch(() => {
          // The writer remembers storage failures; the run reports them at its end.
        });
      if (this.ended || crash.error !== undefined) return;
      crash.error = err;
      controller.abort();
    },
  };
}

async function executeSteps(options: ExecuteRunOptions, writer: RunEventWriter, partitionKey: string | null, signal: AbortSignal, crash: RunCrash): Promise<RunResult> {
  const { defs, storage, runId, prepared } = options;
  const steps = prepared.plan.steps;

  const launcher = await stepLauncher(options, writer);
  const limit = options.maxConcurrent ?? defs.executor.maxConcurrent;
  const pool = launcher ? stepProcessPool(options, launcher, writer, partitionKey, signal) : undefined;
  // As many children as will run steps at once load the definitions while the run sets up.
  pool?.warm(Math.min(limit, steps.length));
  let resources: RunResources;
  try {
    resources = await RunResources.setUp(
      // With the multiprocess executor, each step's process sets up the resources its step needs.
      launcher ? [] : prepared.resourceNames.map((n) => defs.resources.get(n)!),
      prepared.resourceConfigs,
      { runId, signal, valuesDir: options.valuesDir, storage, logFor: (name) => stepLogger({ runId, writer, redactor: prepared.redactor }, `resource:${name}`) },
    );
  } catch (err) {
    await pool?.close();
    const error = serializeError(err, (t) => prepared.redactor.redact(t));
    const summary = prepared.redactor.redact(errorSummary(err));
    for (const step of steps) {
      void writer.write({
        runId,
        type: EventType.StepSkipped,
        stepKey: step.key,
        assetKey: stepAssetKey(step.node),
        partition: step.node.partitions ? partitionKey : null,
        level: LogLevel.Warn,
        message: `Skipped step "${step.key}" because the run's resources failed to set up.`,
        ...(step.node.outputs ? { data: { assetKeys: stepAssetKeys(step.node) } } : {}),
      }).catch(() => {
        // The writer remembers the failure; the flush below reports it.
      });
    }
    await writer.write({
      runId,
      type: EventType.RunFailure,
      level: LogLevel.Error,
      message: `Run failed: ${summary}`,
      data: { error, failedSteps: [], skippedSteps: steps.map((s) => s.key) },
    });
    await writer.flush();
    return result(runId, RunStatus.Failure, [], [], [], steps.map((s) => s.key), error, new Map());
  }

  const outputs = new Map<string, unknown>();
  const ctx: StepRunContext = {
    runId,
    partitionKey,
    partitionRange: prepared.partitionRange,
    rangeKeys: prepared.rangeKeys,
    storage,
    writer,
    resources,
    redactor: prepared.redactor,
    signal,
    assetConfigs: prepared.assetConfigs,
    outputs,
    nodes: prepared.plan.nodes,
    inputSources: options.inputSources ?? new Map(),
    dataVersions: new Map(),
  };
  let states: Map<string, StepEntry>;
  if (pool) {
    try {
      states = await runSteps(steps, limit, ctx, (step) => pool.run(step));
    } finally {
      await pool.close();
    }
  } else {
    states = await runSteps(steps, limit, ctx, (step) => (step.node.kind === "check" ? runCheckStep(step, ctx) : runStep(step, ctx)));
  }

  for (const failure of await resources.tearDown()) {
    await writer.write(teardownFailureEvent(runId, failure, (t) => prepared.redactor.redact(t)));
  }

  const succeeded = steps.filter((s) => states.get(s.key)?.state === "success").map((s) => s.key);
  const materialized = steps.filter((s) => states.get(s.key)?.state === "success").flatMap((s) => stepAssetKeys(s.node));
  const failed = steps.filter((s) => states.get(s.key)?.state === "failure");
  const skipped = steps.filter((s) => states.get(s.key)?.state === "skipped").map((s) => s.key);
  const failures = failed.map((s) => ({ stepKey: s.key, error: states.get(s.key)!.error! }));
  let status: RunStatus;
  if (crash.error !== undefined) {
    status = RunStatus.Failure;
    const error = serializeError(crash.error, (t) => prepared.redactor.redact(t));
    await writer.write({
      runId,
      type: EventType.RunFailure,
      level: LogLevel.Error,
      message: `Run failed: an error was thrown outside any step: ${prepared.redactor.redact(errorSummary(crash.error))}`,
      data: { error, failedSteps: failed.map((s) => s.key), skippedSteps: skipped },
    });
    await writer.flush();
    return result(runId, status, succeeded, materialized, failures, skipped, error, outputs);
  } else if (signal.aborted) {
    status = RunStatus.Canceled;
    await writer.write({ runId, type: EventType.RunCanceled, level: LogLevel.Warn, message: "Run canceled." });
  } else if (failures.length > 0) {
    status = RunStatus.Failure;
    const list = failed.map((s) => `"${s.key}" (${states.get(s.key)!.summary})`).join(", ");
    await writer.write({
      runId,
      type: EventType.RunFailure,
      level: LogLevel.Error,
      message:
        `Run failed: ${failures.length} step${failures.length === 1 ? "" : "s"} failed: ${list}` +
        (skipped.length > 0 ? `; ${skipped.length} skipped.` : "."),
      data: { failedSteps: failed.map((s) => s.key), skippedSteps: skipped },
    });
  } else {
    status = RunStatus.Success;
    try {
      await writer.write({ runId, type: EventType.RunSuccess, message: `Run succeeded: ${succeeded.length} steps.` }, { unlessLost: true });
    } catch (err) {
      // Some of its events (or this one) could not be stored (a full disk, a corrupted page): the
      // run is not recorded as a success. This may not be storable either; then it throws.
      const lost = writer.storageFailure ?? err;
      const error = serializeError(lost);
      await writer.write({
        runId,
        type: EventType.RunFailure,
        level: LogLevel.Error,
        message: `Run failed: its steps succeeded, but some of its events could not be stored: ${errorSummary(lost)}`,
        data: { error, failedSteps: [], reason: "events_lost" },
      });
      return result(runId, RunStatus.Failure, succeeded, materialized, failures, skipped, error, outputs);
    }
  }
  await writer.flush();
  return result(runId, status, succeeded, materialized, failures, skipped, null, outputs);
}

function stepProcessPool(options: ExecuteRunOptions, launcher: StepProcessLauncher, writer: RunEventWriter, partitionKey: string | null, signal: AbortSignal): StepProcessPool {
  const { runId, prepared } = options;
  return new StepProcessPool({
    launcher,
    init: { runId, request: prepared.request, partitionKey, valuesDir: options.valuesDir, inputSources: [...(options.inputSources ?? new Map<string, string>())] },
    prepared,
    writer,
    storage: options.storage,
    signal,
    ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
  });
}

/**
 * The launcher of the multiprocess executor's child processes when the run uses it, else undefined.
 * Definitions made in code (not loaded from a code location) cannot be loaded again in a child:
 * their steps run in this process, and the run says so in a warning.
 */
async function stepLauncher(options: ExecuteRunOptions, writer: RunEventWriter): Promise<StepProcessLauncher | undefined> {
  if ((options.executor ?? options.defs.executor.kind) !== ExecutorKind.Multiprocess) return undefined;
  const launcher = options.stepProcesses ?? stepProcessLauncherOf(options.defs);
  if (!launcher) {
    await writer.write({
      runId: options.runId,
      type: EventType.Log,
      level: LogLevel.Warn,
      message:
        'The multiprocess executor runs steps in processes that load the definitions from their code location, and these definitions were ' +
        "made in code (not loaded with -f or -m): the steps run in this process. Start the run with `sluice materialize -f FILE` to run each step in a process.",
    });
  }
  return launcher;
}

interface StepEntry {
  state: StepState;
  error?: SerializedError;
  summary?: string;
}

/** Runs steps in dependency order with at most `limit` at once; resolves when none can run any more. */
function runSteps(steps: PlanStep[], limit: number, ctx: StepRunContext, runOne: (step: PlanStep) => Promise<StepOutcome>): Promise<Map<string, StepEntry>> {
  const entries = new Map<string, StepEntry>(steps.map((s) => [s.key, { state: "pending" }]));
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const waiting = new Map(steps.map((s) => [s.key, s.upstream.length]));
  const ready: PlanStep[] = steps.filter((s) => s.upstream.length === 0);
  let running = 0;

  return new Promise((resolve) => {
    const pump = (): void => {
      while (running < limit && ready.length > 0 && !ctx.signal.aborted) {
        const step = ready.shift()!;
        entries.get(step.key)!.state = "running";
        running++;
        runOne(step)
          .catch((err: unknown) => ({ ok: false as const, error: serializeError(err), summary: errorSummary(err) }))
          .then(async (outcome) => {
            running--;
            if (outcome.ok) {
              entries.get(step.key)!.state = "success";
              for (const down of step.downstream) {
                const left = waiting.get(down)! - 1;
                waiting.set(down, left);
                if (left === 0 && entries.get(down)!.state === "pending") ready.push(byKey.get(down)!);
              }
            } else {
              Object.assign(entries.get(step.key)!, { state: "failure", error: outcome.error, summary: outcome.summary });
              await skipDownstream(step, entries, byKey, ctx);
            }
            pump();
          });
      }
      if (running === 0 && (ready.length === 0 || ctx.signal.aborted)) resolve(entries);
    };
    pump();
  });
}

async function skipDownstream(
  failed: PlanStep,
  entries: Map<string, StepEntry>,
  byKey: Map<string, PlanStep>,
  ctx: StepRunContext,
): Promise<void> {
  const queue = [...failed.downstream];
  const writes: Promise<unknown>[] = [];
  while (queue.length > 0) {
    const key = queue.shift()!;
    const entry = entries.get(key)!;
    if (entry.state !== "pending") continue;
    entry.state = "skipped";
    writes.push(
      ctx.writer.write({
        runId: ctx.runId,
        type: EventType.StepSkipped,
        stepKey: key,
        assetKey: stepAssetKey(byKey.get(key)!.node),
        partition: byKey.get(key)!.node.partitions ? ctx.partitionKey : null,
        level: LogLevel.Warn,
        message: `Skipped step "${key}" because upstream step "${failed.key}" failed.`,
        data: { skippedBecause: [failed.key], ...(byKey.get(key)!.node.outputs ? { assetKeys: stepAssetKeys(byKey.get(key)!.node) } : {}) },
      }).catch(() => {
        // Storage lost: the writer remembers it and the run reports it when it flushes. Thrown
        // here, it would stop the scheduler from ever pumping again and the run would hang.
      }),
    );
    queue.push(...byKey.get(key)!.downstream);
  }
  await Promise.all(writes);
}

function result(
  runId: string,
  status: RunStatus,
  succeeded: string[],
  materialized: string[],
  failures: StepFailure[],
  skipped: string[],
  runError: SerializedError | null,
  outputs: Map<string, unknown>,
): RunResult {
  return {
    runId,
    status,
    success: status === RunStatus.Success,
    succeeded,
    materialized,
    failures,
    skipped,
    runError,
    outputOf: (key) => outputs.get(key),
  };
}
