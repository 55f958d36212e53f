import type { Definitions } from "../definitions/definitions.js";
import { buildPlan, type ExecutionPlan } from "./plan.js";
import {
  checkRunConfigNames,
  parseRunConfig,
  resolveAssetConfig,
  resolveResourceConfig,
} from "./run-config.js";
import { SecretRedactor } from "./secret-redactor.js";

/** A run ready to execute: its plan, and every config resolved and checked. */
export interface PreparedRun {
  plan: ExecutionPlan;
  /** Parsed config of each step's asset. */
  assetConfigs: Map<string, unknown>;
  /** Names of the resources the run sets up, in setup order. */
  resourceNames: string[];
  /** Parsed config of each of those resources (env vars resolved). */
  resourceConfigs: Map<string, unknown>;
  /** Hides the resolved env var values from everything the run records. */
  redactor: SecretRedactor;
}

/**
 * Builds the plan and resolves all config for a run, before anything is recorded or executed.
 * Throws ConfigError (naming the config path), MissingEnvVarError (naming the variable, never a
 * value) or SelectionError.
 */
export function prepareRun(defs: Definitions, keys: readonly string[], runConfig: unknown): PreparedRun {
  const config = parseRunConfig(runConfig);
  checkRunConfigNames(config, defs);
  const plan = buildPlan(defs, keys);
  const redactor = new SecretRedactor();
  const assetConfigs = new Map<string, unknown>();
  const names = new Set<string>();
  for (const step of plan.steps) {
    assetConfigs.set(step.key, resolveAssetConfig(step.asset, config, redactor));
    for (const name of Object.keys(step.asset.resources)) names.add(name);
    names.add(step.asset.ioManager);
    for (const input of step.inputs) {
      // Values from outside the run are loaded by the upstream asset's own IO manager.
      if (!input.fromStep) names.add(defs.assets.get(input.upstreamKey)!.ioManager);
    }
  }
  const resourceConfigs = new Map<string, unknown>();
  for (const name of names) {
    resourceConfigs.set(name, resolveResourceConfig(defs.resources.get(name)!, config, redactor));
  }
  return { plan, assetConfigs, resourceNames: [...names], resourceConfigs, redactor };
}
