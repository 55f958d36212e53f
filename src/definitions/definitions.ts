import { availableParallelism } from "node:os";
import { DEFAULT_IO_MANAGER, isAssetDefinition, type AssetDefinition } from "./asset.js";
import type { AssetCheckDefinition } from "./asset-check.js";
import { AssetGraph } from "./asset-graph.js";
import { checkAutomation } from "./automation/check-automation.js";
import { checkResourceNeeds, collectChecks } from "./check-validation.js";
import { findBadDefaults } from "./config-defaults.js";
import { checkExternalAssets, conflictingKindError } from "./external-assets.js";
import { envVarName } from "./env-var.js";
import { DefinitionError } from "./errors.js";
import { instigatorResourceNeeds, resolveInstigators, type InstigatorResourceNeed, type ResolvedSchedule } from "./instigator-validation.js";
import type { JobDefinition } from "./job.js";
import { opResourceNeeds, resolveJobs, type ResolvedJob } from "./job-validation.js";
import { checkAssetPartitions } from "./partitions/partition-checks.js";
import { isMultiAssetDefinition, type MultiAssetDefinition } from "./multi-asset.js";
import { isResourceDefinition, type ResourceDefinition } from "./resource.js";
import { retryPolicyProblem } from "./retry-policy.js";
import { registerEnvSecrets } from "./secret-mask.js";
import type { ScheduleDefinition } from "./schedule.js";
import type { SensorDefinition } from "./sensor.js";

const DEFINITIONS_BRAND = Symbol.for("sluice.definitions");

/** Asset keys: path-like, components of letters, digits, `_`, `-` and `.`, separated by `/`. */
const ASSET_KEY_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** A resource as the run will set it up: which definition, with which config (may hold EnvVars). */
export interface ResourceBinding {
  name: string;
  /** Undefined only for the default IO manager, which the executor supplies. */
  definition: ResourceDefinition<any, any> | undefined;
  config: Record<string, unknown>;
}

/** How a run's steps execute: all in the run's process, or each in a child process of its own. */
export const ExecutorKind = {
  /** Every step in the run's own process and event loop (the default). */
  InProcess: "in_process",
  /**
   * Each running step in a child process that loads the same code location: CPU-bound steps use
   * several cores, and a step that crashes its process fails alone.
   */
  Multiprocess: "multiprocess",
} as const;
/** One of {@link ExecutorKind}'s values. */
export type ExecutorKind = (typeof ExecutorKind)[keyof typeof ExecutorKind];

/** Settings of the executor that runs each run's steps. */
export interface ExecutorSettings {
  /** Where steps run (default "in_process"). */
  kind: ExecutorKind;
  /** Steps run at the same time, at most (default 4 in process; the machine's CPU count for multiprocess). */
  maxConcurrent: number;
}

/** Settings of the declarative automation loop (see `asset({ automation })`). */
export interface AutomationSettings {
  /**
   * Whether the loop runs when it was never started or stopped (`sluice automation start|stop`):
   * default "STOPPED", so that adding conditions launches nothing until someone starts it.
   */
  defaultStatus: "RUNNING" | "STOPPED";
}

/** What `defineDefinitions()` takes. */
export interface DefinitionsSpec {
  /** Assets, and multi-assets (`multiAsset()`), whose outputs become assets of the graph. */
  assets?: readonly (AssetDefinition<any> | MultiAssetDefinition<any>)[];
  /** Checks made with `assetCheck()` (checks declared inline on assets are added without listing them). */
  assetChecks?: readonly AssetCheckDefinition<any>[];
  /**
   * Resources by name: a resource definition (possibly `configured()`), or a plain config object
   * for the resource that the assets declare under that name. Values may be `EnvVar("NAME")`.
   */
  resources?: Record<string, ResourceDefinition<any, any> | Record<string, unknown>>;
  /** Op jobs (`job()`) and asset jobs (`assetJob()`). */
  jobs?: readonly JobDefinition[];
  schedules?: readonly ScheduleDefinition[];
  sensors?: readonly SensorDefinition[];
  executor?: Partial<ExecutorSettings>;
  automation?: Partial<AutomationSettings>;
}

/** Everything a code location declares, validated. The default export of a definitions file. */
export interface Definitions {
  readonly [DEFINITIONS_BRAND]: true;
  readonly kind: "definitions";
  /** Asset definitions by key. */
  readonly assets: ReadonlyMap<string, AssetDefinition>;
  readonly assetGraph: AssetGraph;
  /** Asset checks (inline and listed) by check key, `ASSET_KEY:CHECK_NAME`. */
  readonly checks: ReadonlyMap<string, AssetCheckDefinition>;
  /** Every resource any asset, op, schedule or sensor needs (and every one Definitions names), resolved. */
  readonly resources: ReadonlyMap<string, ResourceBinding>;
  /** Jobs by name, their steps resolved. */
  readonly jobs: ReadonlyMap<string, ResolvedJob>;
  /** Schedules by name, their crons parsed. */
  readonly schedules: ReadonlyMap<string, ResolvedSchedule>;
  readonly sensors: ReadonlyMap<string, SensorDefinition>;
  readonly executor: ExecutorSettings;
  readonly automation: AutomationSettings;
}

/**
 * Collects and validates a project's definitions. Throws DefinitionError, naming the asset or
 * resource and how to fix it, for: invalid or duplicate keys, missing dependencies, cycles, unknown
 * resources (of assets, ops, schedules and sensors), config defaults that fail their schema, bad retry policies, partition mappings
 * that do not fit (or no default mapping between two partitions), asset jobs mixing partitions.
 * @example
 * export default defineDefinitions({
 *   assets: [rawOrders, dailyTotals],
 *   resources: { warehouse: { url: EnvVar("WAREHOUSE_URL") } },
 * });
 */
export function defineDefinitions(spec: DefinitionsSpec): Definitions {
  const assets = collectAssets(spec.assets ?? []);
  const assetGraph = AssetGraph.fromDefinitions([...assets.values()]);
  for (const def of assets.values()) checkAsset(def);
  checkExternalAssets(assets);
  checkAssetPartitions(assets);
  checkAutomation(assets);
  const checks = collectChecks(assets, spec.assetChecks ?? []);
  const jobs = resolveJobs(spec.jobs ?? [], assetGraph, assets);
  const { schedules, sensors } = resolveInstigators(spec.schedules ?? [], spec.sensors ?? [], jobs, assetGraph, assets);
  const instigatorNeeds = instigatorResourceNeeds(schedules.values(), sensors.values());
  const resources = bindResources(assets, spec.resources ?? {}, [...opResourceNeeds(jobs.values()), ...checkResourceNeeds(checks), ...instigatorNeeds]);
  checkInstigatorResources(instigatorNeeds, resources);
  const executor = executorSettings(spec.executor);
  const defaultStatus = spec.automation?.defaultStatus ?? "STOPPED";
  if (defaultStatus !== "RUNNING" && defaultStatus !== "STOPPED") {
    throw new DefinitionError(`automation.defaultStatus must be "RUNNING" or "STOPPED", got ${JSON.stringify(defaultStatus)}.`);
  }
  // Every process that loads these definitions (CLI, daemon, server, run worker) then knows the
  // secrets they refer to, and masks them in what it stores and prints, even in text it did not
  // build itself (the last line of a crashed run worker, say).
  registerEnvSecrets([...resources.values()].map((binding) => binding.config));
  registerEnvSecrets([...jobs.values()].map((job) => job.definition.config));
  return {
    [DEFINITIONS_BRAND]: true,
    kind: "definitions",
    assets,
    assetGraph,
    checks,
    resources,
    jobs,
    schedules,
    sensors,
    executor,
    automation: { defaultStatus },
  };
}

/** The executor settings given, checked, with defaults; throws DefinitionError naming the bad field. */
export function executorSettings(given: Partial<ExecutorSettings> | undefined): ExecutorSettings {
  const kinds: readonly unknown[] = Object.values(ExecutorKind);
  const kind = given?.kind ?? ExecutorKind.InProcess;
  if (!kinds.includes(kind)) {
    throw new DefinitionError(`executor.kind must be ${Object.values(ExecutorKind).map((k) => JSON.stringify(k)).join(" or ")}, got ${JSON.stringify(kind)}.`);
  }
  // A multiprocess run's steps each take a core: more at once than cores only makes each slower.
  const maxConcurrent = given?.maxConcurrent ?? (kind === ExecutorKind.Multiprocess ? availableParallelism() : 4);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new DefinitionError(`executor.maxConcurrent must be a whole number >= 1, got ${String(maxConcurrent)}.`);
  }
  return { kind, maxConcurrent };
}

/** True for a value made by `defineDefinitions()` (from any copy of this package). */
export function isDefinitions(value: unknown): value is Definitions {
  return typeof value === "object" && value !== null && DEFINITIONS_BRAND in value;
}

function collectAssets(list: readonly (AssetDefinition<any> | MultiAssetDefinition<any>)[]): Map<string, AssetDefinition> {
  const assets = new Map<string, AssetDefinition>();
  const multiAssets = new Set<string>();
  // Who declared each key, for a collision's message: `asset "x"` or `multi-asset "m" (out "a")`.
  const declaredBy = (def: AssetDefinition): string => (def.multiAsset ? `multi-asset "${def.multiAsset.name}" (out "${def.multiAsset.outName}")` : `asset "${def.key}"`);
  const expanded: { def: AssetDefinition; index: number }[] = [];
  list.forEach((item, index) => {
    if (isMultiAssetDefinition(item)) {
      if (multiAssets.has(item.name)) {
        throw new DefinitionError(`Multi-asset name "${item.name}" is used by two multi-assets. Each multi-asset needs its own name; rename one of them.`, item.name);
      }
      multiAssets.add(item.name);
      for (const def of Object.values(item.assets)) expanded.push({ def, index });
      return;
    }
    if (isAssetDefinition(item) && item.multiAsset) {
      throw new DefinitionError(
        `assets[${index}] is asset "${item.key}", an out of multi-asset "${item.multiAsset.name}", which computes it. ` +
          `Give the multi-asset itself to assets instead of its out.`,
        item.key,
      );
    }
    expanded.push({ def: item as AssetDefinition, index });
  });
  for (const { def, index } of expanded) {
    if (!isAssetDefinition(def)) {
      throw new DefinitionError(
        `assets[${index}] is not an asset (got ${describe(def)}). Create assets with asset({ key, run }) or multiAsset({ name, outs, run }).`,
      );
    }
    if (typeof def.key !== "string" || !ASSET_KEY_PATTERN.test(def.key)) {
      throw new DefinitionError(
        `Asset key "${String(def.key)}"${def.multiAsset ? ` of ${declaredBy(def)}` : ""} is not valid. Use letters, digits, "_", "-" and "." in ` +
          `components separated by "/", e.g. "raw/orders".`,
        String(def.key),
      );
    }
    const dotPart = def.key.split("/").find((part) => part === "." || part === "..");
    if (dotPart !== undefined) {
      // Keys become paths (the default IO manager's files): such a component would store the
      // asset's value outside the instance's storage directory.
      throw new DefinitionError(
        `Asset key "${def.key}" has a "${dotPart}" component, which would make its value's path leave the ` +
          `storage directory. Use components that are names, e.g. "${suggestKey(def.key)}".`,
        def.key,
      );
    }
    const earlier = assets.get(def.key);
    if (earlier) {
      const both = earlier.multiAsset || def.multiAsset ? ` (by ${declaredBy(earlier)} and by ${declaredBy(def)})` : "";
      throw conflictingKindError(earlier, def) ?? new DefinitionError(
        `Asset key "${def.key}" is defined twice${both}. Each asset needs its own key; rename one of them.`,
        def.key,
      );
    }
    assets.set(def.key, def);
  }
  for (const name of multiAssets) {
    // The multi-asset's step key and run config name must not be taken by an asset's.
    const clash = assets.get(name);
    if (clash) {
      throw new DefinitionError(
        `Multi-asset "${name}" has the same name as ${declaredBy(clash)}: the name is the key of its step in runs and run config. Rename the multi-asset or the asset.`,
        name,
      );
    }
  }
  return assets;
}

/** The key without its "." and ".." components, for a message's example. */
function suggestKey(key: string): string {
  return key.split("/").filter((part) => part !== "." && part !== "..").join("/") || "my_asset";
}

function checkAsset(def: AssetDefinition): void {
  if (typeof def.run !== "function") {
    throw new DefinitionError(`Asset "${def.key}" has no run function. Give it run: (inputs, context) => value.`, def.key);
  }
  if (def.retry) {
    const problem = retryPolicyProblem(def.retry);
    if (problem) throw new DefinitionError(`Asset "${def.key}": ${problem}.`, def.key);
  }
  if (def.configSchema) {
    const bad = findBadDefaults(def.configSchema);
    if (bad.length > 0) {
      const first = bad[0]!;
      throw new DefinitionError(
        `Asset "${def.key}": the default of config field "${first.path.join(".") || "(root)"}" fails its ` +
          `own schema: ${first.message}. Fix the default or the schema.`,
        def.key,
      );
    }
  }
}

function bindResources(
  assets: Map<string, AssetDefinition>,
  given: Record<string, ResourceDefinition<any, any> | Record<string, unknown>>,
  opNeeds: { name: string; user: string; definition: ResourceDefinition<any, any> | undefined }[],
): Map<string, ResourceBinding> {
  // Which definition each resource name stands for, as the assets and ops declare it.
  const declared = new Map<string, { definition: ResourceDefinition<any, any>; by: string }>();
  const needed = new Map<string, string>();
  const needs = [
    ...[...assets.values()].flatMap((def) => [
      ...Object.entries(def.resources).map(([name, definition]) => ({ name, user: `asset "${def.key}"`, definition })),
      { name: def.ioManager, user: `asset "${def.key}"`, definition: undefined },
    ]),
    ...opNeeds,
  ];
  for (const { name, user, definition: resDef } of needs) {
    if (!needed.has(name)) needed.set(name, user);
    if (!resDef) continue;
    const seen = declared.get(name);
    if (seen && seen.definition.setup !== resDef.setup && !isResourceDefinition(given[name])) {
      throw new DefinitionError(
        `Resource name "${name}" stands for two different resources: one in ${seen.by} and ` +
          `another in ${user}. Give them different names, or bind one resource to "${name}" in Definitions.`,
        name,
      );
    }
    if (!seen) declared.set(name, { definition: resDef, by: user });
  }

  const bindings = new Map<string, ResourceBinding>();
  for (const [name, value] of Object.entries(given)) {
    if (isResourceDefinition(value)) {
      bindings.set(name, { name, definition: value, config: { ...(value.configValues ?? {}) } });
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new DefinitionError(
        `Resource "${name}" in Definitions must be a resource (resource({...})) or a config object, got ${describe(value)}.`,
        name,
      );
    }
    const decl = declared.get(name);
    if (!decl) {
      throw new DefinitionError(
        `Definitions give config for resource "${name}", but no asset declares which resource "${name}" is. ` +
          `Pass the resource itself: resources: { ${name}: configured(myResource, {...}) }.`,
        name,
      );
    }
    bindings.set(name, { name, definition: decl.definition, config: { ...(decl.definition.configValues ?? {}), ...value } });
  }
  for (const [name, user] of needed) {
    if (bindings.has(name)) continue;
    const decl = declared.get(name);
    if (decl) {
      bindings.set(name, { name, definition: decl.definition, config: { ...(decl.definition.configValues ?? {}) } });
    } else if (name === DEFAULT_IO_MANAGER) {
      bindings.set(name, { name, definition: undefined, config: {} });
    } else {
      throw new DefinitionError(
        `${user[0]!.toUpperCase()}${user.slice(1)} needs resource "${name}", which is not defined. ` +
          `Add it to Definitions: resources: { ${name}: resource({...}) }.`,
        user,
      );
    }
  }
  for (const binding of bindings.values()) checkResourceConfig(binding);
  return bindings;
}

/**
 * A schedule or sensor may not use the default IO manager: only a run has the storage directory it
 * writes to.
 */
function checkInstigatorResources(needs: readonly InstigatorResourceNeed[], bindings: ReadonlyMap<string, ResourceBinding>): void {
  for (const { name, user } of needs) {
    if (bindings.get(name)?.definition) continue;
    throw new DefinitionError(
      `${user[0]!.toUpperCase()}${user.slice(1)} needs resource "${name}", the default IO manager, which only runs can use. ` +
        `Bind a resource to "${name}" in Definitions, or remove it from the resources of ${user}.`,
      user,
    );
  }
}

/** Checks static resource config at load; EnvVar fields are checked when a run starts. */
function checkResourceConfig(binding: ResourceBinding): void {
  const schema = binding.definition?.configSchema;
  if (!schema) return;
  const bad = findBadDefaults(schema);
  if (bad.length > 0) {
    throw new DefinitionError(
      `Resource "${binding.name}": the default of config field "${bad[0]!.path.join(".")}" fails its own schema: ${bad[0]!.message}.`,
      binding.name,
    );
  }
  const envPaths = new Set<string>();
  collectEnvPaths(binding.config, [], envPaths);
  const result = schema.safeParse(binding.config);
  if (result.success) return;
  const real = result.error.issues.filter((issue) => {
    const path = issue.path.map(String).join(".");
    return ![...envPaths].some((p) => path === p || path.startsWith(`${p}.`));
  });
  // A required field may be left for run config (`resources.NAME.config`), so only wrong values fail here.
  const wrong = real.filter((issue) => !(issue.code === "invalid_type" && getAt(binding.config, issue.path) === undefined));
  if (wrong.length > 0) {
    const issue = wrong[0]!;
    throw new DefinitionError(
      `Resource "${binding.name}": config field "${issue.path.map(String).join(".")}" is invalid: ${issue.message}.`,
      binding.name,
    );
  }
}

function collectEnvPaths(value: unknown, path: string[], out: Set<string>): void {
  if (envVarName(value) !== undefined) {
    out.add(path.join("."));
    return;
  }
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) collectEnvPaths(v, [...path, k], out);
  }
}

function getAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const part of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}
