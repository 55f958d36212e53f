import type { MetadataInput } from "../definitions/metadata.js";
import type { AssetDefinition } from "../definitions/asset.js";
import type { ConfigSchema } from "../definitions/config-schema.js";
import type { Definitions } from "../definitions/definitions.js";
import { SelectionError, UsageError } from "../definitions/errors.js";
import type { OpDefinition } from "../definitions/op.js";
import type { BackfillPolicy } from "../definitions/partitions/backfill-policy.js";
import type { PartitionMapping } from "../definitions/partitions/partition-mapping.js";
import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import type { ResourceDefinition } from "../definitions/resource.js";
import type { RetryPolicy } from "../definitions/retry-policy.js";

/** What the executor needs of an asset or an op: one shape for both. */
export interface StepNode {
  kind: "asset" | "op";
  /** Asset key, or op name. */
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
  /** The asset's code version (null without one, and always for ops). */
  codeVersion: string | null;
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
  return { kind: "asset", key: def.key, ins: def.ins, deps: def.deps, configSchema: def.configSchema, resources: def.resources, retry: def.retry, ioManager: def.ioManager, partitions: def.partitions, partitionMappings: def.partitionMappings, backfillPolicy: def.backfillPolicy, metadata: def.metadata, codeVersion: def.codeVersion, run: def.run };
}

function opNode(def: OpDefinition): StepNode {
  return { kind: "op", key: def.name, ins: def.ins, deps: def.deps, configSchema: def.configSchema, resources: def.resources, retry: def.retry, ioManager: def.ioManager, partitions: undefined, partitionMappings: {}, backfillPolicy: undefined, metadata: {}, codeVersion: null, run: def.run };
}

/** Builds the plan for a set of asset keys; throws SelectionError for an unknown key. */
export function buildPlan(defs: Definitions, keys: readonly string[]): ExecutionPlan {
  for (const key of keys) {
    if (!defs.assets.has(key)) throw new SelectionError(`Asset "${key}" is not defined, so it cannot be part of a run.`, key);
  }
  const nodes = new Map<string, StepNode>();
  for (const [key, def] of defs.assets) nodes.set(key, assetNode(def));
  return plan(defs.assetGraph.keys(), nodes, keys);
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
      if (!job.stepKeys.includes(key)) throw new SelectionError(`Job "${jobName}" has no step "${key}".`, key);
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

function plan(order: readonly string[], nodes: Map<string, StepNode>, keys: readonly string[]): ExecutionPlan {
  const wanted = new Set(keys);
  const steps: PlanStep[] = [];
  const byKey = new Map<string, PlanStep>();
  for (const key of order) {
    if (!wanted.has(key)) continue;
    const node = nodes.get(key)!;
    const upstream = [...new Set([...Object.values(node.ins), ...node.deps])].filter((d) => wanted.has(d));
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
