import { AssetKind, assetKindOf, DEFAULT_IO_MANAGER, type AssetDefinition } from "./asset.js";
import type { AssetGraph } from "./asset-graph.js";
import { topologicalSort } from "./asset-graph.js";
import { findBadDefaults } from "./config-defaults.js";
import { DefinitionError, errorMessage } from "./errors.js";
import { isJobDefinition, NAME_PATTERN, type JobDefinition } from "./job.js";
import { isOpDefinition, type OpDefinition } from "./op.js";
import { partitionsOf } from "./partitions/partition-checks.js";
import type { PartitionsDefinition } from "./partitions/partitions-definition.js";
import { retryPolicyProblem } from "./retry-policy.js";
import { refuseStatus, selectAssets } from "./selection/select-assets.js";

/** A job as runs use it: its steps resolved and ordered. */
export interface ResolvedJob {
  definition: JobDefinition;
  /** Step keys in execution order (asset keys, or op names). */
  stepKeys: string[];
  /** For op jobs: op name → op, in execution order. */
  ops: ReadonlyMap<string, OpDefinition>;
  /** For asset jobs: the partitions its partitioned assets share (undefined: none is partitioned). */
  partitions: PartitionsDefinition | undefined;
}

/**
 * Checks jobs and resolves their steps. Throws DefinitionError naming the job (and op) for: bad or
 * duplicate names, ops whose inputs or deps are not ops of the job, op cycles, bad op config
 * defaults or retry policies, asset jobs whose selection matches nothing or mixes assets with
 * different partitions.
 */
export function resolveJobs(jobs: readonly JobDefinition[], assetGraph: AssetGraph, assets: ReadonlyMap<string, AssetDefinition> = new Map()): Map<string, ResolvedJob> {
  const resolved = new Map<string, ResolvedJob>();
  jobs.forEach((job, index) => {
    if (!isJobDefinition(job)) throw new DefinitionError(`jobs[${index}] is not a job. Create jobs with job({...}) or assetJob({...}).`);
    if (!NAME_PATTERN.test(job.name)) {
      throw new DefinitionError(`Job name "${job.name}" is not valid: use letters, digits and "_".`, job.name);
    }
    if (resolved.has(job.name)) throw new DefinitionError(`Job "${job.name}" is defined twice. Rename one of them.`, job.name);
    resolved.set(job.name, job.jobType === "op" ? resolveOpJob(job) : resolveAssetJob(job, assetGraph, assets));
  });
  return resolved;
}

function resolveAssetJob(job: Extract<JobDefinition, { jobType: "asset" }>, graph: AssetGraph, assets: ReadonlyMap<string, AssetDefinition>): ResolvedJob {
  let keys: string[];
  if (typeof job.selection === "string") {
    try {
      keys = selectAssets(job.selection, graph, { statusOf: refuseStatus("a job's selection") });
    } catch (err) {
      throw new DefinitionError(`Job "${job.name}": its selection is invalid: ${errorMessage(err)}`, job.name);
    }
  } else {
    for (const key of job.selection) {
      if (!graph.has(key)) throw new DefinitionError(`Job "${job.name}" selects asset "${key}", which is not defined.`, job.name);
    }
    const wanted = new Set(job.selection);
    keys = graph.keys().filter((k) => wanted.has(k));
  }
  if (keys.length === 0) {
    throw new DefinitionError(`Job "${job.name}": selection ${JSON.stringify(job.selection)} matches no assets.`, job.name);
  }
  // Sluice never materializes external assets: a job selecting some runs the others (as Dagster).
  const external = keys.filter((k) => assetKindOf(assets.get(k) ?? {}) === AssetKind.External);
  keys = keys.filter((k) => !external.includes(k));
  if (keys.length === 0) {
    throw new DefinitionError(
      `Job "${job.name}": selection ${JSON.stringify(job.selection)} matches only external assets (${external.map((k) => `"${k}"`).join(", ")}), which Sluice cannot materialize. ` +
        `Select assets Sluice materializes or observes, or report external materializations with \`sluice asset report\`.`,
      job.name,
    );
  }
  let partitions: PartitionsDefinition | undefined;
  try {
    partitions = partitionsOf(assets, keys);
  } catch (err) {
    throw new DefinitionError(`Job "${job.name}": ${errorMessage(err)}`, job.name);
  }
  return { definition: job, stepKeys: keys, ops: new Map(), partitions };
}

function resolveOpJob(job: Extract<JobDefinition, { jobType: "op" }>): ResolvedJob {
  const ops = new Map<string, OpDefinition>();
  job.ops.forEach((candidate, index) => {
    if (!isOpDefinition(candidate)) throw new DefinitionError(`Job "${job.name}": ops[${index}] is not an op. Create ops with op({...}).`, job.name);
    if (!NAME_PATTERN.test(candidate.name)) {
      throw new DefinitionError(`Job "${job.name}": op name "${candidate.name}" is not valid: use letters, digits and "_".`, job.name);
    }
    if (ops.has(candidate.name)) throw new DefinitionError(`Job "${job.name}" has two ops named "${candidate.name}". Op names must be unique within a job.`, job.name);
    ops.set(candidate.name, candidate);
  });
  if (ops.size === 0) throw new DefinitionError(`Job "${job.name}" has no ops.`, job.name);
  const nodes = new Map<string, { key: string; deps: string[] }>();
  for (const o of ops.values()) {
    for (const [input, upstream] of Object.entries(o.ins)) {
      if (!ops.has(upstream)) {
        throw new DefinitionError(
          `Job "${job.name}": op "${o.name}" takes input "${input}" from op "${upstream}", which is not an op of this job. Add it to the job's ops.`,
          job.name,
        );
      }
    }
    for (const dep of o.deps) {
      if (!ops.has(dep)) {
        throw new DefinitionError(`Job "${job.name}": op "${o.name}" depends on op "${dep}", which is not an op of this job. Add it to the job's ops.`, job.name);
      }
    }
    if (o.retry) {
      const problem = retryPolicyProblem(o.retry);
      if (problem) throw new DefinitionError(`Job "${job.name}": op "${o.name}": ${problem}.`, job.name);
    }
    if (o.configSchema) {
      const bad = findBadDefaults(o.configSchema);
      if (bad.length > 0) {
        throw new DefinitionError(
          `Job "${job.name}": op "${o.name}": the default of config field "${bad[0]!.path.join(".")}" fails its own schema: ${bad[0]!.message}.`,
          job.name,
        );
      }
    }
    nodes.set(o.name, { key: o.name, deps: [...new Set([...Object.values(o.ins), ...o.deps])] });
  }
  const order = topologicalSort(nodes, `Ops of job "${job.name}"`).map((n) => n.key);
  return { definition: job, stepKeys: order, ops: new Map(order.map((k) => [k, ops.get(k)!])), partitions: undefined };
}

/** Resource names (and IO managers) the ops of the jobs need, with the op that needs each. */
export function opResourceNeeds(jobs: Iterable<ResolvedJob>): { name: string; user: string; definition: OpDefinition["resources"][string] }[] {
  const needs: { name: string; user: string; definition: OpDefinition["resources"][string] }[] = [];
  for (const job of jobs) {
    for (const o of job.ops.values()) {
      const user = `op "${o.name}" of job "${job.definition.name}"`;
      for (const [name, definition] of Object.entries(o.resources)) needs.push({ name, user, definition });
      needs.push({ name: o.ioManager ?? DEFAULT_IO_MANAGER, user, definition: undefined });
    }
  }
  return needs;
}
