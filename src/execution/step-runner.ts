import type { AssetContext, PartitionKeyRange } from "../definitions/asset.js";
import type { OpContext } from "../definitions/op.js";
import { ErrorCode, errorSummary, InputNotMaterializedError, isSluiceError, MultiAssetOutputError, UserCodeError } from "../definitions/errors.js";
import { normalizeMetadata, type MetadataInput } from "../definitions/metadata.js";
import { isObservation, type Observation } from "../definitions/observable-source-asset.js";
import { retryDelayMs } from "../definitions/retry-policy.js";
import type { StepLogger } from "../definitions/step-logger.js";
import { EventType, LogLevel, type SerializedError, type StoredValue } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { RunEventWriter } from "./run-event-writer.js";
import { DefaultIOManager } from "./default-io-manager.js";
import { isIOManager, type IOManager } from "./io-manager.js";
import { stepAssetKey, type PlanStep, type StepNode, type StepOutput } from "./plan.js";
import { stepResults, type StepResult } from "./step-results.js";
import type { RunResources } from "./run-resources.js";
import type { SecretRedactor } from "./secret-redactor.js";
import { serializeError } from "./serialize-error.js";
import { abortableSleep } from "./abortable-sleep.js";
import { effectiveMapping, readsOneKey } from "../definitions/partitions/default-mapping.js";
import type { PartitionPair } from "../definitions/partitions/partition-mapping.js";
import { definePartition, stepPartition, type StepPartition } from "./run-partition.js";
import { runOwnedBy, type ErrorOwner } from "./uncaught-errors.js";
import { materializationVersions, readUpstreamVersions } from "./materialization-versions.js";

/** Failures no retry can fix: retrying them only wastes the delay. */
const NOT_RETRIABLE: readonly string[] = [
  ErrorCode.InputNotMaterialized,
  ErrorCode.Serialization,
  ErrorCode.Config,
  ErrorCode.MissingEnvVar,
];

/** What every step of a run shares. */
export interface StepRunContext {
  runId: string;
  /** The run's partition (a step of an unpartitioned asset materializes none even then); null in a range run. */
  partitionKey: string | null;
  /** The run's partition range (both ends included), or null. */
  partitionRange: PartitionKeyRange | null;
  /** The keys of that range, in order (empty unless a range run). */
  rangeKeys: readonly string[];
  storage: Storage;
  /** Where the step's events go: the run's writer, or (in a step's child process) the pipe to it. */
  writer: Pick<RunEventWriter, "write">;
  resources: RunResources;
  redactor: SecretRedactor;
  signal: AbortSignal;
  assetConfigs: ReadonlyMap<string, unknown>;
  /** Values of steps of this run that succeeded, by step key. */
  outputs: Map<string, unknown>;
  /** Every node of the run's job (for inputs from outside the run). */
  nodes: ReadonlyMap<string, StepNode>;
  /** For op inputs from outside the run: the earlier run whose output to load, by op name. */
  inputSources: ReadonlyMap<string, string>;
  /**
   * Data versions of the materializations of this run, asset key → partition (null: unpartitioned)
   * → version: a downstream step records them as its inputs' before the events are committed.
   */
  dataVersions: Map<string, Map<string | null, string>>;
  /**
   * Inputs computed by this run are loaded through their IO manager too, not taken from `outputs`
   * (a step in a child process has no other step's value in memory).
   */
  inputsThroughIOManagers?: boolean;
}

/** How a step ended. */
export type StepOutcome = { ok: true } | { ok: false; error: SerializedError; summary: string };

/**
 * A logger whose lines become LOG events of the step (redacted), in emission order. `partition`
 * (when given) is the step's partition; otherwise the lines carry the run's.
 */
export function stepLogger(ctx: Pick<StepRunContext, "runId" | "writer" | "redactor">, stepKey: string | null, partition?: string | null): StepLogger {
  const emit = (level: LogLevel) => (message: string) => {
    void ctx.writer
      .write({
        runId: ctx.runId,
        type: EventType.Log,
        stepKey,
        ...(partition !== undefined ? { partition } : {}),
        level,
        message: ctx.redactor.redact(String(message)),
      })
      .catch(() => {
        // The writer remembers storage failures; the run reports them at its end.
      });
  };
  return { debug: emit(LogLevel.Debug), info: emit(LogLevel.Info), warn: emit(LogLevel.Warn), error: emit(LogLevel.Error) };
}

/** Runs one step to its end, retrying as its asset's retry policy allows. */
export async function runStep(step: PlanStep, ctx: StepRunContext): Promise<StepOutcome> {
  const key = step.key;
  const isAsset = step.node.kind === "asset";
  const outputs = step.node.outputs;
  const what = outputs ? "Multi-asset" : isAsset ? "Asset" : "Op";
  const partition = stepPartition(step.node.partitions, { key: ctx.partitionKey, range: ctx.partitionRange, rangeKeys: ctx.rangeKeys });
  const base = {
    runId: ctx.runId,
    stepKey: key,
    // An observing step's events name no asset: only its ASSET_OBSERVATION does (see writeObservations).
    assetKey: step.node.observes ? null : stepAssetKey(step.node),
    partition: partition.partitionKey,
  };
  // A multi-asset's step events name the assets it materializes: their partition statuses follow it.
  const assetKeys = outputs ? { assetKeys: outputs.map((o) => o.assetKey) } : {};
  const log = stepLogger(ctx, key, partition.partitionKey);
  const policy = step.node.retry;
  if (step.node.addedAssetKeys?.length) {
    log.info(
      `Multi-asset "${key}" cannot compute a subset of its outputs (it has no canSubset), so this step also materializes ` +
        `${step.node.addedAssetKeys.map((k) => `"${k}"`).join(", ")}, which the run did not select.`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    // Awaited: user code runs only once its STEP_START is committed, and with it (the writer keeps
    // the order) the STEP_SUCCESS of every upstream step, which are written without waiting below.
    await ctx.writer.write({
      ...base,
      type: EventType.StepStart,
      message: attempt === 1 ? `Started step "${key}".` : `Started step "${key}" (attempt ${attempt}).`,
      data: { attempt, ...assetKeys },
    });
    try {
      // Read before the inputs are: should an upstream change meanwhile, the materialization records
      // the older version, and shows stale rather than falsely up to date.
      const upstreamVersions = isAsset ? await readUpstreamVersions(step, ctx) : undefined;
      const inputs = await loadInputs(step, ctx, log, partition);
      const added: Record<string, any> = {};
      const context: AssetContext & Pick<OpContext, "opName"> & { stepKey: string } = definePartition(
        {
          runId: ctx.runId,
          assetKey: key,
          opName: key,
          stepKey: key,
          attempt,
          config: ctx.assetConfigs.get(key),
          resources: resourceView(step, ctx),
          log,
          signal: ctx.signal,
          addMetadata: (m: MetadataInput) => Object.assign(added, m),
          ...(outputs ? multiAssetContext(key, outputs, added) : {}),
        },
        key,
        partition,
      );
      let returned: unknown;
      const owner = uncaughtErrorOwner(`${what} "${key}"`, "step", log);
      try {
        // An error its function throws from a timer or callback, where no promise catches it, fails
        // the step as if the function had thrown it (when the process routes such errors).
        returned = await Promise.race([runOwnedBy(owner, () => step.node.run(inputs, context)), owner.thrown]);
      } catch (err) {
        throw new UserCodeError(`${what} "${key}" failed: ${errorSummary(err)}`, key, err);
      } finally {
        owner.finished = true;
      }
      if (isObservation(returned)) {
        writeObservations(step, ctx, base, partition, returned, added, attempt);
        return { ok: true };
      }
      const results = stepResults(step.node, returned, added);
      // A range run stores the value once under each key of the range, and records each key
      // materialized, so that every partition shows in the asset index.
      const keys: (string | null)[] = partition.partitionKeyRange && partition.partitionKey === null ? [...partition.partitionKeysInRun] : [partition.partitionKey];
      const events: { result: StepResult; partitionKey: string | null; metadata: MetadataInput; value?: StoredValue }[] = [];
      // Every value is stored (or, by the default IO manager, made ready to store with its event)
      // before any is recorded: a multi-asset whose second output fails to store records none of
      // its outputs as materialized.
      for (const result of results) {
        for (const partitionKey of keys) {
          const keyMetadata: MetadataInput = { ...result.metadata };
          let value: StoredValue | undefined;
          if (result.value !== undefined) {
            const io = ioManager(ctx, result.ioManager);
            const outputContext = { assetKey: result.assetKey, stepKey: key, runId: ctx.runId, partitionKey, definitionMetadata: result.definitionMetadata, log };
            if (io instanceof DefaultIOManager) {
              value = await io.prepareOutput(outputContext, result.value);
            } else {
              const stored = await io.handleOutput(outputContext, result.value);
              if (stored) Object.assign(keyMetadata, stored);
            }
          }
          events.push({ result, partitionKey, metadata: keyMetadata, ...(value ? { value } : {}) });
        }
      }
      for (const result of results) ctx.outputs.set(result.outputKey, result.value);
      // Each output's versions, one per partition key it writes (see materialization-versions.ts).
      const versionsOf = new Map(
        results.map((result) => [result, upstreamVersions && result.assetKey !== null ? materializationVersions(step, ctx, result.assetKey, keys, result.dataVersion, upstreamVersions) : []]),
      );
      for (const { result, partitionKey, metadata, value } of events) {
        const partitionNote = partitionKey !== base.partition ? ` (partition "${partitionKey}")` : "";
        const versions = versionsOf.get(result)!;
        void ctx.writer
          .write({
            ...base,
            ...(keys.length > 1 || partitionKey !== base.partition ? { partition: partitionKey } : {}),
            assetKey: result.assetKey,
            type: isAsset ? EventType.AssetMaterialization : EventType.StepOutput,
            message: !isAsset
              ? `Op "${key}" produced its output.`
              : result.outName !== null
                ? `Materialized asset "${result.assetKey}" (output "${result.outName}" of multi-asset "${key}")${partitionNote}.`
                : `Materialized asset "${key}"${partitionNote}.`,
            data: { metadata: normalizeMetadata(metadata), ...versions[keys.indexOf(partitionKey)] },
            // The default IO manager's value, stored in this event's transaction.
            ...(value ? { value } : {}),
          })
          .catch(() => {
            // Not awaited, so its failure (storage lost) would be an unhandled rejection that kills
            // the run's process: the writer remembers it, and the run reports it when it flushes.
          });
      }
      // Not awaited: downstream steps are scheduled now and their STEP_START joins the same
      // transaction as this STEP_SUCCESS; they wait for that commit before running user code, so a
      // downstream step never runs before its upstream's success is durable.
      void ctx.writer.write({ ...base, type: EventType.StepSuccess, message: `Step "${key}" succeeded.`, data: { attempt } }).catch(() => {
        // The writer remembers the failure; the run reports it when it flushes.
      });
      return { ok: true };
    } catch (err) {
      const original = err instanceof UserCodeError ? err.cause : err;
      const error = serializeError(original, (t) => ctx.redactor.redact(t));
      const summary = ctx.redactor.redact(errorSummary(original));
      const retriable = !(isSluiceError(err) && NOT_RETRIABLE.includes(err.code));
      if (policy && retriable && attempt <= policy.maxRetries && !ctx.signal.aborted) {
        const delay = retryDelayMs(policy, attempt);
        await ctx.writer.write({
          ...base,
          type: EventType.StepUpForRetry,
          level: LogLevel.Warn,
          message: `Step "${key}" failed (${summary}); retry ${attempt} of ${policy.maxRetries} in ${delay} ms.`,
          data: { error, attempt, retryDelayMs: delay, ...assetKeys },
        });
        await abortableSleep(delay, ctx.signal);
        continue;
      }
      await ctx.writer.write({
        ...base,
        type: EventType.StepFailure,
        level: LogLevel.Error,
        message: `Step "${key}" failed: ${summary}`,
        data: { error, attempt, ...assetKeys },
      });
      return { ok: false, error, summary };
    }
  }
}

/**
 * Records what an observable source asset's step saw: one ASSET_OBSERVATION per partition key of
 * the step (one, or each of a range), then its STEP_SUCCESS. No value is stored and none is passed
 * downstream: an observation is not a materialization.
 */
function writeObservations(step: PlanStep, ctx: StepRunContext, base: { runId: string; stepKey: string; assetKey: string | null; partition: string | null }, partition: StepPartition, observation: Observation, added: MetadataInput, attempt: number): void {
  const key = step.key;
  const keys: (string | null)[] = partition.partitionKeyRange && partition.partitionKey === null ? [...partition.partitionKeysInRun] : [partition.partitionKey];
  const metadata = normalizeMetadata({ ...observation.metadata, ...added });
  // Steps downstream in this run record the version they saw (see materialization-versions.ts).
  let observed = ctx.dataVersions.get(key);
  if (!observed) ctx.dataVersions.set(key, (observed = new Map()));
  for (const partitionKey of keys) observed.set(partitionKey, observation.dataVersion);
  for (const partitionKey of keys) {
    void ctx.writer
      .write({
        ...base,
        assetKey: key,
        ...(partitionKey !== base.partition ? { partition: partitionKey } : {}),
        type: EventType.AssetObservation,
        message: `Observed asset "${key}"${partitionKey !== null ? ` (partition "${partitionKey}")` : ""}: data version ${observation.dataVersion}.`,
        data: { dataVersion: observation.dataVersion, metadata },
      })
      .catch(() => {
        // The writer remembers the failure; the run reports it when it flushes.
      });
  }
  void ctx.writer.write({ ...base, type: EventType.StepSuccess, message: `Step "${key}" succeeded.`, data: { attempt } }).catch(() => {
    // The writer remembers the failure; the run reports it when it flushes.
  });
}

/**
 * Answers for what one attempt of user code (a step's function, a check's) throws uncaught: while
 * the attempt runs, the error rejects `thrown` (and so fails the attempt); afterwards it is logged,
 * as `label` ("Asset \"x\"", "Check \"x:y\"") whose `what` ("step", "check") already ended.
 */
export function uncaughtErrorOwner(label: string, what: string, log: StepLogger): ErrorOwner & { thrown: Promise<never>; finished: boolean } {
  let reject!: (err: unknown) => void;
  const thrown = new Promise<never>((_, r) => (reject = r));
  // Only ever awaited in the attempt's race: nobody else must see it as an unhandled rejection.
  thrown.catch(() => undefined);
  return {
    thrown,
    finished: false,
    take(err: unknown): void {
      if (!this.finished) return reject(err);
      log.error(`${label}: an error was thrown after the ${what} had ended, by a timer or callback it started: ${errorSummary(err)}`);
    },
  };
}

async function loadInputs(step: PlanStep, ctx: StepRunContext, log: StepLogger, partition: StepPartition): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = {};
  for (const input of step.inputs) {
    const upstream = ctx.nodes.get(input.upstreamKey)!;
    if (upstream.kind !== "asset" || !upstream.partitions) {
      if (input.fromStep && !ctx.inputsThroughIOManagers) {
        inputs[input.name] = ctx.outputs.get(input.upstreamKey);
        continue;
      }
      // Ask the index first, so that every IO manager gets the same clear error for a missing input.
      if (upstream.kind === "asset" && !(await ctx.storage.getAssetIndex([input.upstreamKey])).some((row) => row.partition === null)) {
        throw new InputNotMaterializedError(step.key, input.name, input.upstreamKey);
      }
      inputs[input.name] = await loadOne(step, input.name, upstream, ctx, log, null);
      continue;
    }
    const pair: PartitionPair = { upstreamAsset: upstream.key, upstream: upstream.partitions, downstreamAsset: step.key, downstream: step.node.partitions };
    const mapping = effectiveMapping(step.node.partitionMappings[upstream.key], pair);
    if (mapping.type === "all") {
      // Dagster's default for an unpartitioned asset downstream of a partitioned one: all of it.
      inputs[input.name] = await loadAllPartitions(step, input.name, upstream, ctx, log);
      continue;
    }
    const one = !step.node.backfillPolicy && readsOneKey(mapping, pair);
    if (one && input.fromStep && mapping.type === "identity" && !ctx.inputsThroughIOManagers) {
      // The same key, computed by this run: passed in memory.
      inputs[input.name] = ctx.outputs.get(input.upstreamKey);
      continue;
    }
    const now = new Date();
    const downstreamKeys: (string | null)[] = step.node.partitions ? [...partition.partitionKeysInRun] : [null];
    const wanted = new Set<string>();
    for (const downstreamKey of downstreamKeys) for (const k of mapping.upstreamKeys(pair, downstreamKey, now)) wanted.add(k);
    const keys = downstreamKeys.length > 1 ? upstream.partitions.sortKeys([...wanted]) : [...wanted];
    if (keys.length === 0) throw new InputNotMaterializedError(step.key, input.name, upstream.key, []);
    const indexed = new Set((await ctx.storage.getAssetIndex([upstream.key])).map((row) => row.partition));
    const missing = keys.filter((k) => !indexed.has(k));
    if (missing.length > 0) throw new InputNotMaterializedError(step.key, input.name, upstream.key, missing, keys.length);
    const values = await loadKeys(step, input.name, upstream, ctx, log, keys);
    inputs[input.name] = one ? values[0] : Object.fromEntries(keys.map((k, i) => [k, values[i]]));
  }
  return inputs;
}

/** The values of `keys` of an upstream asset, in that order, loaded a few at a time. */
async function loadKeys(step: PlanStep, inputName: string, upstream: StepNode, ctx: StepRunContext, log: StepLogger, keys: readonly string[]): Promise<unknown[]> {
  const values: unknown[] = new Array(keys.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const i = next++;
      values[i] = await loadOne(step, inputName, upstream, ctx, log, keys[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARTITION_LOAD_CONCURRENCY, keys.length) }, worker));
  return values;
}

/** Every materialized partition of a partitioned upstream asset, `{ [partition key]: value }` in the partitions' order. */
async function loadAllPartitions(step: PlanStep, inputName: string, upstream: StepNode, ctx: StepRunContext, log: StepLogger): Promise<Record<string, unknown>> {
  const partitions = upstream.partitions!;
  const rows = await ctx.storage.getAssetIndex([upstream.key]);
  // A key the definition no longer has (a removed static key, say) is left out.
  const keys = partitions.sortKeys(rows.flatMap((row) => (row.partition !== null && partitions.has(row.partition) ? [row.partition] : [])));
  if (keys.length === 0) throw new InputNotMaterializedError(step.key, inputName, upstream.key);
  const values = await loadKeys(step, inputName, upstream, ctx, log, keys);
  return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}

/** Partitions of one upstream asset loaded at the same time, at most. */
const PARTITION_LOAD_CONCURRENCY = 8;

function loadOne(step: PlanStep, inputName: string, upstream: StepNode, ctx: StepRunContext, log: StepLogger, partitionKey: string | null): unknown {
  const io = ioManager(ctx, upstream.ioManager);
  return io.loadInput({
    assetKey: upstream.kind === "asset" ? upstream.key : null,
    upstreamStepKey: upstream.key,
    upstreamRunId: upstream.kind === "op" ? (ctx.inputSources.get(upstream.key) ?? null) : null,
    downstreamKey: step.key,
    inputName,
    runId: ctx.runId,
    partitionKey,
    log,
  });
}

/** The IO manager resource `name` of the run; throws UserCodeError when it is not one. */
export function ioManager(ctx: StepRunContext, name: string): IOManager {
  const value = ctx.resources.get(name);
  if (!isIOManager(value)) {
    throw new UserCodeError(
      `Resource "${name}" is used as an IO manager but has no handleOutput/loadInput methods.`,
      undefined,
      new TypeError(`resource "${name}" is not an IO manager`),
    );
  }
  return value;
}

/** What a multi-asset's function finds in its context beside an asset's: its name and selected outputs. */
function multiAssetContext(name: string, outputs: readonly StepOutput[], added: Record<string, MetadataInput>): Record<string, unknown> {
  return {
    name,
    selectedOutputs: outputs.map((o) => o.name),
    selectedAssetKeys: outputs.map((o) => o.assetKey),
    addMetadata: (outName: string, metadata: MetadataInput) => {
      if (!outputs.some((o) => o.name === outName)) {
        throw new MultiAssetOutputError(
          `Multi-asset "${name}": addMetadata("${outName}", ...) names no output this run computes (selected: ${outputs.map((o) => `"${o.name}"`).join(", ")}).`,
          name,
          [outName],
        );
      }
      Object.assign((added[outName] ??= {}), metadata);
    },
  };
}

/** The resources a step declared, by name, as its function receives them. */
export function resourceView(step: PlanStep, ctx: StepRunContext): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const name of Object.keys(step.node.resources)) view[name] = ctx.resources.get(name);
  return view;
}
