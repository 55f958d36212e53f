import type { AssetDefinition } from "../definitions/asset.js";
import type { Definitions } from "../definitions/definitions.js";
import { SelectionError } from "../definitions/errors.js";

/** Where a step's input comes from. */
export interface PlanInput {
  name: string;
  upstreamKey: string;
  /** True when the upstream asset is a step of this run (its value is passed in memory). */
  fromStep: boolean;
}

/** One step of a plan: materializing one asset. */
export interface PlanStep {
  key: string;
  asset: AssetDefinition;
  inputs: PlanInput[];
  /** Steps of this plan that must succeed first (inputs and ordering-only deps). */
  upstream: string[];
  /** Steps of this plan that wait on this one. */
  downstream: string[];
}

/** The steps of a run, in topological order. */
export interface ExecutionPlan {
  steps: PlanStep[];
}

/** Builds the plan for a set of asset keys; throws SelectionError for an unknown key. */
export function buildPlan(defs: Definitions, keys: readonly string[]): ExecutionPlan {
  const wanted = new Set(keys);
  for (const key of wanted) {
    if (!defs.assets.has(key)) {
      throw new SelectionError(`Asset "${key}" is not defined, so it cannot be part of a run.`, key);
    }
  }
  const steps: PlanStep[] = [];
  const byKey = new Map<string, PlanStep>();
  for (const node of defs.assetGraph.assets) {
    if (!wanted.has(node.key)) continue;
    const asset = defs.assets.get(node.key)!;
    const step: PlanStep = {
      key: node.key,
      asset,
      inputs: Object.entries(asset.ins).map(([name, upstreamKey]) => ({
        name,
        upstreamKey,
        fromStep: wanted.has(upstreamKey),
      })),
      upstream: node.deps.filter((d) => wanted.has(d)),
      downstream: [],
    };
    steps.push(step);
    byKey.set(step.key, step);
  }
  for (const step of steps) {
    for (const up of step.upstream) byKey.get(up)!.downstream.push(step.key);
  }
  return { steps };
}
