import type { AssetCheckContext, AssetCheckResult } from "../definitions/asset-check.js";
import { CheckedAssetNotMaterializedError, CheckFailedError, errorSummary, UserCodeError } from "../definitions/errors.js";
import { normalizeMetadata } from "../definitions/metadata.js";
import type { StepLogger } from "../definitions/step-logger.js";
import { CheckStatus, EventType, LogLevel, type CheckEvaluationData, type SerializedError } from "../storage/records.js";
import type { PlanStep } from "./plan.js";
import { stepPartition } from "./run-partition.js";
import { serializeError } from "./serialize-error.js";
import { ioManager, resourceView, stepLogger, uncaughtErrorOwner, type StepOutcome, type StepRunContext } from "./step-runner.js";
import { runOwnedBy } from "./uncaught-errors.js";

/** How one evaluation of a check ended, before it is recorded. */
interface Evaluation {
  data: CheckEvaluationData;
  /** What the check function threw (status EXECUTION_FAILED). */
  error?: { serialized: SerializedError; summary: string };
}

/**
 * Runs an asset check's step: evaluates the check once per partition the run covers (once for an
 * unpartitioned asset; in a range run, once per key of the range, each on the value stored for
 * that key) and records each evaluation as an ASSET_CHECK_EVALUATION event. The step fails when the
 * function throws or returns something that is not a result (EXECUTION_FAILED), or when a blocking
 * check fails with severity ERROR; a failed non-blocking check, or one failed with WARN, is a
 * succeeded step. Checks are never retried. Step events name no asset: a check's step is not an
 * attempt at its asset's partition.
 */
export async function runCheckStep(step: PlanStep, ctx: StepRunContext): Promise<StepOutcome> {
  const key = step.key;
  const check = step.node.check!;
  const partition = stepPartition(step.node.partitions, { key: ctx.partitionKey, range: ctx.partitionRange, rangeKeys: ctx.rangeKeys });
  const base = { runId: ctx.runId, stepKey: key, assetKey: null, partition: partition.partitionKey };
  const log = stepLogger(ctx, key, partition.partitionKey);
  await ctx.writer.write({ ...base, type: EventType.StepStart, message: `Started check "${key}".`, data: { attempt: 1 } });
  const keys: (string | null)[] = step.node.partitions && partition.partitionKeysInRun.length > 0 ? [...partition.partitionKeysInRun] : [null];
  const evaluations: Evaluation[] = [];
  for (const partitionKey of keys) {
    if (ctx.signal.aborted) break;
    const evaluation = await evaluate(step, ctx, log, partitionKey);
    evaluations.push(evaluation);
    await ctx.writer.write({
      runId: ctx.runId,
      type: EventType.AssetCheckEvaluation,
      stepKey: key,
      assetKey: check.assetKey,
      partition: partitionKey,
      level: evaluation.data.passed ? LogLevel.Info : evaluation.data.severity === "WARN" ? LogLevel.Warn : LogLevel.Error,
      message: evaluationMessage(key, partitionKey, evaluation.data),
      data: { ...evaluation.data, ...(evaluation.error ? { error: evaluation.error.serialized } : {}) },
    });
  }
  if (evaluations.length < keys.length) {
    // Canceled between partitions: the check did not finish, so it did not succeed.
    const summary = `the run was canceled after ${evaluations.length} of ${keys.length} partitions were checked.`;
    const serialized = serializeError(new Error(summary));
    await ctx.writer.write({ ...base, type: EventType.StepFailure, level: LogLevel.Error, message: `Step "${key}" failed: ${summary}`, data: { error: serialized, attempt: 1 } });
    return { ok: false, error: serialized, summary };
  }
  const crashed = evaluations.find((e) => e.error !== undefined);
  const blocked = check.blocking ? evaluations.find((e) => !e.data.passed && e.data.severity === "ERROR") : undefined;
  if (crashed?.error !== undefined || blocked !== undefined) {
    const { serialized, summary } = crashed?.error ?? blockedFailure(key, blocked!.data);
    await ctx.writer.write({ ...base, type: EventType.StepFailure, level: LogLevel.Error, message: `Step "${key}" failed: ${summary}`, data: { error: serialized, attempt: 1 } });
    return { ok: false, error: serialized, summary };
  }
  // Not awaited, as an asset's STEP_SUCCESS: steps waiting on this check start in its transaction.
  void ctx.writer.write({ ...base, type: EventType.StepSuccess, message: `Check "${key}" ran.`, data: { attempt: 1 } }).catch(() => {
    // The writer remembers the failure; the run reports it when it flushes.
  });
  return { ok: true };
}

/** One evaluation of the check on one partition (or the unpartitioned asset); never throws. */
async function evaluate(step: PlanStep, ctx: StepRunContext, log: StepLogger, partitionKey: string | null): Promise<Evaluation> {
  const check = step.node.check!;
  try {
    const value = await checkedValue(step, ctx, log, partitionKey);
    const context: AssetCheckContext = {
      runId: ctx.runId,
      assetKey: check.assetKey,
      checkName: check.checkName,
      partitionKey,
      log,
      resources: resourceView(step, ctx),
      config: ctx.assetConfigs.get(step.key),
      signal: ctx.signal,
    };
    // As an asset step's: an error thrown uncaught while the check runs fails the evaluation.
    const owner = uncaughtErrorOwner(`Check "${step.key}"`, "check", log);
    let returned: unknown;
    try {
      returned = await Promise.race([runOwnedBy(owner, () => step.node.run(value as Record<string, unknown>, context)), owner.thrown]);
    } catch (err) {
      throw new UserCodeError(`Check "${step.key}" failed: ${errorSummary(err)}`, check.assetKey, err);
    } finally {
      owner.finished = true;
    }
    const result = checkResult(step.key, returned);
    const passed = result.passed;
    return {
      data: {
        checkName: check.checkName,
        status: passed ? CheckStatus.Passed : CheckStatus.Failed,
        passed,
        severity: result.severity ?? "ERROR",
        description: result.description === undefined ? null : ctx.redactor.redact(result.description),
        metadata: normalizeMetadata(result.metadata ?? {}),
      },
    };
  } catch (err) {
    const original = err instanceof UserCodeError ? err.cause : err;
    const summary = ctx.redactor.redact(errorSummary(original));
    return {
      data: { checkName: check.checkName, status: CheckStatus.ExecutionFailed, passed: false, severity: "ERROR", description: summary, metadata: {} },
      error: { serialized: serializeError(original, (t) => ctx.redactor.redact(t)), summary },
    };
  }
}

/**
 * The asset's value for one partition: from this run when its asset step ran here, else loaded by
 * the asset's IO manager (after asking the index, so every IO manager gives the same clear error).
 */
async function checkedValue(step: PlanStep, ctx: StepRunContext, log: StepLogger, partitionKey: string | null): Promise<unknown> {
  const { assetKey } = step.node.check!;
  if (step.upstream.includes(assetKey) && ctx.outputs.has(assetKey)) return ctx.outputs.get(assetKey);
  const indexed = (await ctx.storage.getAssetIndex([assetKey])).some((row) => row.partition === partitionKey);
  if (!indexed) throw new CheckedAssetNotMaterializedError(step.key, assetKey, partitionKey);
  return ioManager(ctx, step.node.ioManager).loadInput({
    assetKey,
    upstreamStepKey: assetKey,
    upstreamRunId: null,
    downstreamKey: step.key,
    inputName: "value",
    runId: ctx.runId,
    partitionKey,
    log,
  });
}

/** The function's return value as a result; throws a TypeError naming the check and what it returned. */
function checkResult(checkKey: string, returned: unknown): AssetCheckResult {
  const problem = resultProblem(returned);
  if (problem === undefined) return returned as AssetCheckResult;
  throw new UserCodeError(
    `Check "${checkKey}" returned ${problem}. Return { passed: boolean, severity?: "WARN" | "ERROR", description?: string, metadata?: {...} }.`,
    undefined,
    new TypeError(`Check "${checkKey}" returned ${problem}. Return { passed: boolean, severity?: "WARN" | "ERROR", description?: string, metadata?: {...} }.`),
  );
}

function resultProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `${describe(value)}, not a check result`;
  const { passed, severity, description, metadata } = value as Record<string, unknown>;
  if (typeof passed !== "boolean") return `passed: ${describe(passed)}, not a boolean`;
  if (severity !== undefined && severity !== "WARN" && severity !== "ERROR") return `severity: ${describe(severity)}, not "WARN" or "ERROR"`;
  if (description !== undefined && typeof description !== "string") return `description: ${describe(description)}, not a string`;
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) return `metadata: ${describe(metadata)}, not an object`;
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

function blockedFailure(checkKey: string, data: CheckEvaluationData): { serialized: SerializedError; summary: string } {
  const summary = `blocking check "${checkKey}" failed${data.description ? `: ${data.description}` : ""}; steps downstream of its asset are skipped.`;
  return { serialized: serializeError(new CheckFailedError(checkKey, summary)), summary };
}

function evaluationMessage(checkKey: string, partitionKey: string | null, data: CheckEvaluationData): string {
  const where = partitionKey === null ? "" : ` (partition "${partitionKey}")`;
  const what = data.status === CheckStatus.Passed ? "passed" : data.status === CheckStatus.Failed ? `failed (${data.severity})` : "could not run";
  return `Check "${checkKey}"${where} ${what}${data.description ? `: ${data.description}` : "."}`;
}
