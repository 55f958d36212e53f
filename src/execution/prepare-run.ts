import type { PartitionKeyRange } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import { PartitionError } from "../definitions/errors.js";
import { checkPartitionKey, checkPartitionRange, partitionsOf } from "../definitions/partitions/partition-checks.js";
import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import { buildJobPlan, buildPlan, stepAssetKeys, type ExecutionPlan } from "./plan.js";
import { checkNoSecretValues, checkRunConfigNames, mergeConfigs, parseRunConfig, resolveResourceConfig, resolveStepConfig } from "./run-config.js";
import { SecretRedactor } from "./secret-redactor.js";

/** A run ready to execute: its plan, and every config resolved and checked. */
export interface PreparedRun {
  plan: ExecutionPlan;
  /** Parsed config of each step (asset or op). */
  assetConfigs: Map<string, unknown>;
  /** Names of the resources the run sets up, in setup order. */
  resourceNames: string[];
  /** Parsed config of each of those resources (env vars resolved). */
  resourceConfigs: Map<string, unknown>;
  /** Hides the resolved env var values from everything the run records. */
  redactor: SecretRedactor;
  /** The partitions of the run's partitioned assets (undefined: none is partitioned). */
  partitions: PartitionsDefinition | undefined;
  /** The partition the run materializes, or null (also in a run over a range). */
  partitionKey: string | null;
  /** The range of partitions a range run materializes (both ends included), or null. */
  partitionRange: PartitionKeyRange | null;
  /** The keys of that range, in order (empty unless a range run). */
  rangeKeys: string[];
  /** What the run was prepared from: another process prepares the same run from it (see the multiprocess executor). */
  request: PreparedRequest;
}

/** The arguments a run was prepared with, as plain data. */
export interface PreparedRequest {
  target: RunTarget;
  runConfig: unknown;
  partitionKey: string | null;
  partitionRange: PartitionKeyRange | null;
}

/** How a run is prepared beyond its target, config and partition. */
export interface PrepareOptions {
  /**
   * Steps load every input through its upstream's IO manager, even one computed by this run (a
   * step in a child process has no other step's value in memory): the run sets those up too.
   */
  inputsThroughIOManagers?: boolean;
}

/** How a run's partition is checked. */
export interface PartitionRequest {
  /** The partition key the run materializes (null or undefined: none). */
  key?: string | null;
  /**
   * The range of partitions the run materializes instead of one key (both ends included): allowed
   * when every partitioned asset of the run has a backfill policy.
   */
  range?: PartitionKeyRange | null;
  /**
   * A new run asked for by a user, a schedule or a sensor: a key for a run that has no
   * partitioned asset is then an error. (A re-execution may keep its parent's key for steps that
   * are not partitioned.)
   */
  newRun?: boolean;
  /** The time partitions are checked at (default: now). */
  now?: Date;
}

/** What a run executes: assets by key, or a job (all its steps, or some for a re-execution). */
export type RunTarget = { kind: "assets"; keys: readonly string[] } | { kind: "job"; jobName: string; stepKeys?: readonly string[] };

/** The plan of a target. */
export function planFor(defs: Definitions, target: RunTarget): ExecutionPlan {
  return target.kind === "assets" ? buildPlan(defs, target.keys) : buildJobPlan(defs, target.jobName, target.stepKeys);
}

/** The job's default run config merged under the given one. */
export function effectiveRunConfig(defs: Definitions, target: RunTarget, runConfig: unknown): Record<string, unknown> {
  const base = target.kind === "job" ? (defs.jobs.get(target.jobName)?.definition.config ?? {}) : {};
  return mergeConfigs([base, runConfig ?? {}]);
}

/**
 * Builds the plan and resolves all config for a run, before anything is recorded or executed.
 * Throws ConfigError (naming the config path; for a new run also when the config holds a secret's
 * value instead of referring to its variable), MissingEnvVarError (naming the variable, never a
 * value), SelectionError, UsageError (unknown job), or PartitionError (partitioned assets without
 * a key, a key their partitions do not have, assets with different partitions in one run, a range
 * that is backwards, has an unknown end, or covers assets without a backfill policy).
 */
export function prepareRun(defs: Definitions, target: RunTarget, runConfig: unknown, partition: PartitionRequest = {}, options: PrepareOptions = {}): PreparedRun {
  const plan = planFor(defs, target);
  const { partitions, partitionKey, partitionRange, rangeKeys } = checkRunPartition(defs, target, partitionedAssetsOf(plan), partition);
  if (partition.newRun) checkNoSecretValues(runConfig);
  const config = parseRunConfig(effectiveRunConfig(defs, target, runConfig));
  checkRunConfigNames(config, defs, plan.configNames);
  const redactor = new SecretRedactor();
  const assetConfigs = new Map<string, unknown>();
  const names = new Set<string>();
  for (const step of plan.steps) {
    assetConfigs.set(step.key, resolveStepConfig(step.node, config, redactor));
    for (const name of Object.keys(step.node.resources)) names.add(name);
    names.add(step.node.ioManager);
    for (const out of step.node.outputs ?? []) names.add(out.ioManager);
    for (const input of step.inputs) {
      // Values from outside the run are loaded by the upstream step's own IO manager.
      if (!input.fromStep || options.inputsThroughIOManagers) names.add(plan.nodes.get(input.upstreamKey)!.ioManager);
    }
  }
  const resourceConfigs = new Map<string, unknown>();
  for (const name of names) {
    resourceConfigs.set(name, resolveResourceConfig(defs.resources.get(name)!, config, redactor));
  }
  const request: PreparedRequest = { target, runConfig, partitionKey: partition.key ?? null, partitionRange: partition.range ?? null };
  return { plan, assetConfigs, resourceNames: [...names], resourceConfigs, redactor, partitions, partitionKey, partitionRange, rangeKeys, request };
}

/** The assets whose partitions the run's partition applies to: its assets, and the assets its checks check. */
function partitionedAssetsOf(plan: ExecutionPlan): string[] {
  const keys = new Set<string>();
  for (const step of plan.steps) {
    // A multi-asset's step materializes its outputs, none keyed like the step.
    for (const key of stepAssetKeys(step.node)) keys.add(key);
    if (step.node.check) keys.add(step.node.check.assetKey);
  }
  return [...keys];
}

function checkRunPartition(
  defs: Definitions,
  target: RunTarget,
  assetKeys: string[],
  request: PartitionRequest,
): Pick<PreparedRun, "partitions" | "partitionKey" | "partitionRange" | "rangeKeys"> {
  const key = request.key ?? null;
  const range = request.range ?? null;
  const job = target.kind === "job" ? defs.jobs.get(target.jobName) : undefined;
  const what = job ? `job "${job.definition.name}"` : undefined;
  if (key !== null && range !== null) {
    throw new PartitionError(`A run takes a partition key or a partition range, not both (got "${key}" and "${range.start}...${range.end}").`, key, assetKeys);
  }
  if (range !== null) {
    if (job?.definition.jobType === "op") {
      throw new PartitionError(`Partition range "${range.start}...${range.end}" was given, but job "${job.definition.name}" is an op job: partitions apply to assets (and asset jobs).`, null, [job.definition.name]);
    }
    const partitions = job ? job.partitions : partitionsOf(defs.assets, assetKeys);
    const rangeKeys = checkPartitionRange(defs.assets, assetKeys, partitions, range, request.now, what);
    return { partitions, partitionKey: null, partitionRange: { start: range.start, end: range.end }, rangeKeys };
  }
  if (job?.definition.jobType === "op") {
    if (key !== null) {
      throw new PartitionError(`Partition "${key}" was given, but job "${target.kind === "job" ? target.jobName : ""}" is an op job: partitions apply to assets (and asset jobs).`, key, [job.definition.name]);
    }
    return { partitions: undefined, partitionKey: null, partitionRange: null, rangeKeys: [] };
  }
  const partitions = job ? job.partitions : partitionsOf(defs.assets, assetKeys);
  // A re-execution of only unpartitioned steps keeps its parent's key; nothing uses it.
  if (!partitions && !request.newRun) return { partitions: undefined, partitionKey: key, partitionRange: null, rangeKeys: [] };
  checkPartitionKey(defs.assets, assetKeys, partitions, key, request.now, what);
  return { partitions, partitionKey: key, partitionRange: null, rangeKeys: [] };
}
