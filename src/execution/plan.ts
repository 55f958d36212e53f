import type { MetadataInput } from "../definitions/metadata.js";
import type { AssetDefinition } from "../definitions/asset.js";
import { isCheckKey, type AssetCheckDefinition } from "../definitions/asset-check.js";
import type { ConfigSchema } from "../definitions/config-schema.js";
import type { Definitions } from "../definitions/definitions.js";
import { SelectionError, UsageError } from "../definitions/errors.js";
import type { OpDefinition } from "../definitions/op.js";
import type { BackfillPolicy } from "../definitions/partitions/backfill-policy.js";
import type { PartitionMapping } from "../definitions/partitions/partition-mapping.js";
import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import type { ResourceDefinition } from "../definitions/resource.js";
import type { RetryPolicy } from "../definitions/retry-policy.js";

/** What the executor needs of an asset, an op or an asset check: one shape for all. */
export interface StepNode {
  kind: "asset" | "op" | "check";
  /** Asset key, op name, or check key (`ASSET_KEY:CHECK_NAME`). */
  key: string;
  ins: Readonly<Record<string, string>>;
  deps: readonly string[];
  configSchema: ConfigSchema | undefined;
  resources: Readonly<Record<string, ResourceDefinition<any, any> | undefined>>;
  retry: RetryPolicy | undefined;
  ioManager: string;
  /** How an asset is partitioned (undefined: unpartitioned, and always for ops). */
  partitions: PartitionsDefinition | undefined;
  /** Upstream key → the partition mapping the asset declares for it (empty for an op). */
  partitionMappings: Readonly<Record<string, PartitionMapping>>;
  /** The asset's backfill policy (undefined: one key per run, and always for ops). */
  backfillPolicy: BackfillPolicy | undefined;
  /** The asset's static metadata (empty for an op), handed to its IO manager. */
  metadata: MetadataInput;
  /**
   * For a check: the asset it checks (also its only dep; its value is loaded by the asset's IO
   * manager, and the node shares the asset's partitions and backfill policy).
   */
  check?: { assetKey: string; checkName: string; blocking: boolean };
  run: (inputs: Record<string, unknown>, context: any) => unknown;
}

/** Where a step's input comes from. */
export interface PlanInput {
  name: string;
  upstreamKey: string;
  /** True when the upstream step is part of this run (its value is passed in memory). */
  fromStep: boolean;
}

/** One step of a plan. */
export interface PlanStep {
  key: string;
  node: StepNode;
  inputs: PlanInput[];
  /** Steps of this plan that must succeed first (inputs and ordering-only deps). */
  upstream: string[];
  /** Steps of this plan that wait on this one. */
  downstream: string[];
}

/** The steps of a run, in topological order, and how to reach any node of its job. */
export interface ExecutionPlan {
  steps: PlanStep[];
  /** Every node the run's job has (steps outside the plan provide inputs through IO managers). */
  nodes: ReadonlyMap<string, StepNode>;
  /** Names run config may use under `ops`. */
  configNames: readonly string[];
}

/** The UsageError for a job name the definitions do not have, listing the ones they do. */
export function unknownJobError(defs: Definitions, jobName: string): UsageError {
  return new UsageError(`Job "${jobName}" is not defined. Known jobs: ${[...defs.jobs.keys()].join(", ") || "(none)"}.`);
}

function assetNode(def: AssetDefinition): StepNode {
  return { kind: "asset", key: def.key, ins: def.ins, deps: def.deps, configSchema: def.configSchema, resources: def.resources, retry: def.retry, ioManager: def.ioManager, partitions: def.partitions, partitionMappings: def.partitionMappings, backfillPolicy: def.backfillPolicy, metadata: def.metadata, run: def.run };
}

function opNode(def: OpDefinition): StepNode {
  return { kind: "op", key: def.name, ins: def.ins, deps: def.deps, configSchema: def.configSchema, resources: def.resources, retry: def.retry, ioManager: def.ioManager, partitions: undefined, partitionMappings: {}, backfillPolicy: undefined, metadata: {}, run: def.run };
}

function checkNode(check: AssetCheckDefinition, asset: AssetDefinition): StepNode {
  return {
    kind: "check",
    key: check.key,
    ins: {},
    deps: [check.assetKey],
    configSchema: check.configSchema,
    resources: check.resources,
    retry: undefined,
    ioManager: asset.ioManager,
    partitions: asset.partitions,
    partitionMappings: {},
    backfillPolicy: asset.backfillPolicy,
    metadata: {},
    check: { assetKey: check.assetKey, checkName: check.name, blocking: check.blocking },
    run: check.run as StepNode["run"],
  };
}

/**
 * Builds the plan for a set of asset and check keys; throws SelectionError for an unknown key. An
 * asset brings all its checks (Dagster's default); a check key alone runs that check without its
 * asset. Steps downstream of an asset wait for its blocking checks in the plan.
 */
export function buildPlan(defs: Definitions, keys: readonly string[]): ExecutionPlan {
  const wanted = new Set<string>();
  for (const key of keys) {
    if (defs.assets.has(key) || defs.checks.has(key)) {
      wanted.add(key);
      continue;
    }
    if (isCheckKey(key)) {
      throw new SelectionError(`Check "${key}" is not defined, so it cannot be part of a run. Known checks: ${knownChecks(defs)}.`, key);
    }
    throw new SelectionError(`Asset "${key}" is not defined, so it cannot be part of a run.`, key);
  }
  const nodes = new Map<string, StepNode>();
  for (const [key, def] of defs.assets) nodes.set(key, assetNode(def));
  if (defs.checks.size === 0) return plan(defs.assetGraph.keys(), nodes, [...wanted]);
  const checksOf = new Map<string, string[]>();
  for (const check of defs.checks.values()) {
    nodes.set(check.key, checkNode(check, defs.assets.get(check.assetKey)!));
    checksOf.set(check.assetKey, [...(checksOf.get(check.assetKey) ?? []), check.key]);
    if (wanted.has(check.assetKey)) wanted.add(check.key);
  }
  // Each asset's checks right after it: still a topological order, since a check depends on its
  // asset only, and steps downstream of the asset come later.
  const order = defs.assetGraph.keys().flatMap((key) => [key, ...(checksOf.get(key) ?? [])]);
  const blockingOf = (upstreamKey: string): string[] => (checksOf.get(upstreamKey) ?? []).filter((key) => nodes.get(key)!.check!.blocking);
  return plan(order, nodes, [...wanted], blockingOf);
}

function knownChecks(defs: Definitions): string {
  const keys = [...defs.checks.keys()];
  return keys.length === 0 ? "(none)" : `${keys.slice(0, 10).join(", ")}${keys.length > 10 ? ", ..." : ""}`;
}

/**
 * Builds the plan of a job run: every step of the job, or only `stepKeys` (a re-execution).
 * Throws UsageError for an unknown job, SelectionError for a step the job does not have.
 */
export function buildJobPlan(defs: Definitions, jobName: string, stepKeys?: readonly string[]): ExecutionPlan {
  const job = defs.jobs.get(jobName);
  if (!job) throw unknownJobError(defs, jobName);
  const wanted = stepKeys ?? job.stepKeys;
  if (job.definition.jobType === "asset") {
    for (const key of wanted) {
      // A re-execution may name a check of one of the job's assets.
      const assetKey = defs.checks.get(key)?.assetKey ?? key;
      if (!job.stepKeys.includes(assetKey)) throw new SelectionError(`Job "${jobName}" has no step "${key}".`, key);
    }
    return buildPlan(defs, wanted);
  }
  const nodes = new Map<string, StepNode>();
  for (const [name, def] of job.ops) nodes.set(name, opNode(def));
  for (const key of wanted) {
    if (!nodes.has(key)) throw new SelectionError(`Job "${jobName}" has no op "${key}".`, key);
  }
  return plan(job.stepKeys, nodes, wanted);
}

/**
 * `gatesOf(upstreamKey)`: steps that every step downstream of that upstream step waits for too
 * (an asset's blocking checks); checks themselves wait only for their asset.
 */
function plan(order: readonly string[], nodes: Map<string, StepNode>, keys: readonly string[], gatesOf?: (upstreamKey: string) => readonly string[]): ExecutionPlan {
  const wanted = new Set(keys);
  const steps: PlanStep[] = [];
  const byKey = new Map<string, PlanStep>();
  for (const key of order) {
    if (!wanted.has(key)) continue;
    const node = nodes.get(key)!;
    const direct = [...new Set([...Object.values(node.ins), ...node.deps])];
    // Never a step's own checks (they wait for it): only those of the assets it reads.
    const gates = gatesOf !== undefined && node.kind !== "check" ? direct.filter((d) => d !== key).flatMap((d) => gatesOf(d)) : [];
    const upstream = [...new Set([...direct, ...gates])].filter((d) => wanted.has(d));
    const step: PlanStep = {
      key,
      node,
      inputs: Object.entries(node.ins).map(([name, upstreamKey]) => ({ name, upstreamKey, fromStep: wanted.has(upstreamKey) })),
      upstream,
      downstream: [],
    };
    steps.push(step);
    byKey.set(key, step);
  }
  for (const step of steps) {
    for (const up of step.upstream) byKey.get(up)!.downstream.push(step.key);
  }
  return { steps, nodes, configNames: [...nodes.keys()] };
}
