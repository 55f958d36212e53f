import type { Definitions } from "../definitions/definitions.js";
import { buildJobPlan, buildPlan, type ExecutionPlan } from "./plan.js";
import { checkRunConfigNames, mergeConfigs, parseRunConfig, resolveResourceConfig, resolveStepConfig } from "./run-config.js";
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
}

/** What a run executes: assets by key, or a job (all its steps, or some for a re-execution). */
export type RunTargetSpec = { kind: "assets"; keys: readonly string[] } | { kind: "job"; jobName: string; stepKeys?: readonly string[] };

/** The plan of a target. */
export function planFor(defs: Definitions, target: RunTargetSpec): ExecutionPlan {
  return target.kind === "assets" ? buildPlan(defs, target.keys) : buildJobPlan(defs, target.jobName, target.stepKeys);
}

/** The job's default run config merged under the given one. */
export function effectiveRunConfig(defs: Definitions, target: RunTargetSpec, runConfig: unknown): Record<string, unknown> {
  const base = target.kind === "job" ? (defs.jobs.get(target.jobName)?.definition.config ?? {}) : {};
  return mergeConfigs([base, runConfig ?? {}]);
}

/**
 * Builds the plan and resolves all config for a run, before anything is recorded or executed.
 * Throws ConfigError (naming the config path), MissingEnvVarError (naming the variable, never a
 * value), SelectionError or UsageError (unknown job).
 */
export function prepareRun(defs: Definitions, target: RunTargetSpec, runConfig: unknown): PreparedRun {
  const plan = planFor(defs, target);
  const config = parseRunConfig(effectiveRunConfig(defs, target, runConfig));
  checkRunConfigNames(config, defs, plan.configNames);
  const redactor = new SecretRedactor();
  const assetConfigs = new Map<string, unknown>();
  const names = new Set<string>();
  for (const step of plan.steps) {
    assetConfigs.set(step.key, resolveStepConfig(step.node, config, redactor));
    for (const name of Object.keys(step.node.resources)) names.add(name);
    names.add(step.node.ioManager);
    for (const input of step.inputs) {
      // Values from outside the run are loaded by the upstream step's own IO manager.
      if (!input.fromStep) names.add(plan.nodes.get(input.upstreamKey)!.ioManager);
    }
  }
  const resourceConfigs = new Map<string, unknown>();
  for (const name of names) {
    resourceConfigs.set(name, resolveResourceConfig(defs.resources.get(name)!, config, redactor));
  }
  return { plan, assetConfigs, resourceNames: [...names], resourceConfigs, redactor };
}
