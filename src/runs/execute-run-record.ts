import { errorSummary } from "../definitions/errors.js";
import type { Definitions } from "../definitions/definitions.js";
import { EventType, FINISHED_RUN_STATUSES, LogLevel, RunStatus, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { EventListener } from "../execution/run-event-writer.js";
import { executeRun, type RunResult } from "../execution/execute-run.js";
import { loadDynamicPartitions } from "./dynamic-partitions.js";
import { failBeforeSteps } from "./fail-before-steps.js";
import { targetOfRun, type RunDestination } from "./run-target.js";
import { prepareRun } from "../execution/prepare-run.js";
import { partitionRangeOfTags } from "../execution/run-partition.js";
import { serializeError } from "../execution/serialize-error.js";
import { executorOfTags } from "../execution/executor-tag.js";

/** How a process executing a run behaves. */
export interface RunRecordOptions {
  signal?: AbortSignal;
  listeners?: EventListener[];
  maxConcurrent?: number;
  /** How often the run's heartbeat is written and a cancel request looked for (default 1 s). */
  heartbeatIntervalMs?: number;
}

/**
 * Executes a run that storage already holds (claimed: STARTING) with the executor its
 * `sluice/executor` tag names, else the Definitions': resolves its config, heartbeats
 * while it runs, and aborts its steps when someone sets it CANCELING. Config that fails at this
 * point (an env var missing on this machine), or a dynamic partition key removed since the run was
 * created, fails the run with a RUN_FAILURE event naming it.
 */
export async function executeRunRecord(target: RunDestination, defs: Definitions, run: RunRecord, options: RunRecordOptions = {}): Promise<RunResult> {
  const { storage } = target;
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort();
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const spec = targetOfRun(run);
  let prepared;
  let executor;
  try {
    executor = executorOfTags(run.tags);
    // The run's key was checked when it was created; it may have been removed since.
    await loadDynamicPartitions(defs, storage);
    prepared = prepareRun(defs, spec, run.config, { key: run.partition, range: partitionRangeOfTags(run.tags) });
  } catch (err) {
    const record = await failBeforeSteps(storage, run.runId, `Run failed before any step: ${errorSummary(err)}`, err);
    for (const listener of options.listeners ?? []) listener(record);
    return { runId: run.runId, status: RunStatus.Failure, success: false, succeeded: [], materialized: [], failures: [], skipped: [], runError: serializeError(err), outputOf: () => undefined };
  }
  const stopHeartbeat = startHeartbeat(storage, run.runId, options.heartbeatIntervalMs ?? 1000, controller);
  try {
    return await executeRun({
      defs,
      storage,
      runId: run.runId,
      prepared,
      valuesDir: target.valuesDir,
      partitionKey: run.partition,
      signal: controller.signal,
      listeners: options.listeners ?? [],
      inputSources: await inputSources(storage, run, prepared.plan.steps.map((s) => s.key)),
      ...(executor !== undefined ? { executor } : {}),
      ...(options.maxConcurrent !== undefined ? { maxConcurrent: options.maxConcurrent } : {}),
    });
  } finally {
    stopHeartbeat();
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}

/** Heartbeats the run and turns a CANCELING status into an abort; returns a stop function. */
function startHeartbeat(storage: Storage, runId: string, intervalMs: number, controller: AbortController): () => void {
  let stopped = false;
  let beating = false;
  const beat = async (): Promise<void> => {
    // While storage reconnects, a beat waits for it: the next one must not pile up behind it.
    if (beating) return;
    beating = true;
    try {
      await storage.heartbeatRun(runId);
      const current = await storage.getRun(runId);
      if (current?.status === RunStatus.Canceling && !controller.signal.aborted) controller.abort();
    } catch {
      // A missed heartbeat is retried next interval; monitoring tolerates several.
    } finally {
      beating = false;
    }
  };
  void beat();
  const timer = setInterval(() => {
    if (!stopped) void beat();
  }, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/**
 * Records that a run failed with `err` (an error that escaped its execution: storage lost for
 * longer than its reconnect window, most often), unless the run has ended already. A process whose
 * database is down can only wait for it: tries again every second until storage takes the event or
 * `giveUpMs` (10 min) passes. Returns whether the run is now ended.
 */
export async function recordRunFailure(storage: Storage, runId: string, err: unknown, options: { giveUpMs?: number; log?: (line: string) => void } = {}): Promise<boolean> {
  const deadline = Date.now() + (options.giveUpMs ?? 600_000);
  let reported = false;
  for (;;) {
    try {
      const run = await storage.getRun(runId);
      if (!run || FINISHED_RUN_STATUSES.includes(run.status)) return true;
      await storage.endRunIfUnfinished({
        runId,
        type: EventType.RunFailure,
        level: LogLevel.Error,
        message: `Run failed: ${errorSummary(err)}`,
        data: { error: serializeError(err), failedSteps: [] },
      });
      return true;
    } catch (retryErr) {
      if (!reported) {
        reported = true;
        options.log?.(`could not record the failure of run ${runId} yet (${errorSummary(retryErr)}); trying again every second`);
      }
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/**
 * For a re-execution: where each op output that this run does not recompute comes from — the
 * nearest ancestor run in which that op succeeded.
 */
async function inputSources(storage: Storage, run: RunRecord, planned: string[]): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  if (!run.parentRunId) return sources;
  const inPlan = new Set(planned);
  let ancestorId: string | null = run.parentRunId;
  const seen = new Set<string>();
  while (ancestorId && !seen.has(ancestorId)) {
    seen.add(ancestorId);
    for (const step of await storage.getStepStats(ancestorId)) {
      if (step.status === "SUCCESS" && !inPlan.has(step.key) && !sources.has(step.key)) sources.set(step.key, ancestorId);
    }
    ancestorId = (await storage.getRun(ancestorId))?.parentRunId ?? null;
  }
  return sources;
}
