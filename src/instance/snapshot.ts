import { errorMessage } from "../definitions/errors.js";
import type { ConditionSnapshot } from "../definitions/automation/automation-condition.js";
import { z } from "zod";
import { assetKindOf, type AssetKind } from "../definitions/asset.js";
import type { ConfigSchema } from "../definitions/config-schema.js";
import type { Definitions } from "../definitions/definitions.js";
import { normalizeMetadata } from "../definitions/metadata.js";
import type { MetadataMap } from "../definitions/metadata-value.js";
import type { BackfillPolicy } from "../definitions/partitions/backfill-policy.js";
import { assetStepKey } from "../definitions/multi-asset.js";
import { mappingOf } from "../definitions/partitions/partition-checks.js";
import type { PartitionMappingType } from "../definitions/partitions/partition-mapping.js";
import type { PartitionsSnapshot } from "../definitions/partitions/partitions-definition.js";
import type { RetryPolicy } from "../definitions/retry-policy.js";
import { toJsonValue } from "./json-value.js";

/** A config schema as JSON Schema (the input side: what run config may give), or why there is none. */
export interface ConfigSchemaSnapshot {
  /** JSON Schema of the config (`z.toJSONSchema(schema, { io: "input" })`), null without a schema. */
  jsonSchema: Record<string, unknown> | null;
  /** Set when the schema exists but cannot be expressed as JSON Schema. */
  error?: string;
}

/** One asset, as the UI and API see it. */
export interface AssetSnapshot {
  key: string;
  group: string;
  description: string | null;
  /** Upstream keys: inputs, then ordering-only deps. */
  deps: string[];
  /** Input name → upstream key. */
  ins: Record<string, string>;
  /** Downstream keys. */
  children: string[];
  tags: Record<string, string>;
  owners: string[];
  kinds: string[];
  /** Static metadata declared on the asset. */
  metadata: MetadataMap;
  config: ConfigSchemaSnapshot;
  /** Names of the resources it uses. */
  resources: string[];
  ioManager: string;
  retry: RetryPolicy | null;
  /** Jobs whose steps include it. */
  jobs: string[];
  /**
   * How it is partitioned (type, start, time zone, cron, static keys, dimensions), with the number
   * of partitions and the first and last key as of when the definitions loaded; null if it is not.
   */
  partitions: PartitionsSnapshot | null;
  /**
   * Upstream key → how the asset's partitions read that partitioned upstream asset (declared in
   * ins/deps, or the default mapping), for every partitioned upstream asset.
   */
  partitionMappings: Record<string, PartitionMappingSnapshot>;
  /** How many partitions one run may materialize, or null (one). */
  backfillPolicy: BackfillPolicy | null;
  /** The multi-asset that computes it together with its other outputs, or null for an asset of its own. */
  multiAsset: MultiAssetSnapshot | null;
  /** Whether Sluice materializes it, only knows of it (`assetSpec()`), or observes it (`observableSourceAsset()`). */
  kind: AssetKind;
  /** The version of its code its author declared, or null. */
  codeVersion: string | null;
  /** Its checks (inline, then listed), in declaration order. */
  checks: AssetCheckSnapshot[];
  /** When the automation loop materializes it (its condition tree), or null: never on its own. */
  automation: ConditionSnapshot | null;
}

/** The multi-asset an asset is an output of. */
export interface MultiAssetSnapshot {
  /** Its name: the key of the step that computes its outputs in a run. */
  name: string;
  /** This asset's output name. */
  outName: string;
  /** True when a run may compute only some of its outputs. */
  canSubset: boolean;
  /** The asset keys of all its outputs, this one included, in declaration order. */
  assetKeys: string[];
}

/** One check of an asset; its key is `ASSET_KEY:NAME`. */
export interface AssetCheckSnapshot {
  name: string;
  description: string | null;
  blocking: boolean;
}

/** A partition mapping between an asset and one upstream asset, as the snapshot shows it. */
export interface PartitionMappingSnapshot {
  type: PartitionMappingType;
  /** In words: `timeWindowMapping({ startOffset: -1, endOffset: -1 }) (the upstream windows overlapping the window 1 window before)`. */
  description: string;
  /** False when no mapping was declared and the default applies. */
  declared: boolean;
}

/** A group of assets. */
export interface GroupSnapshot {
  name: string;
  assetKeys: string[];
}

/** One step of a job (an asset key, or an op name). */
export interface JobStepSnapshot {
  key: string;
  kind: "asset" | "op";
  description: string | null;
  config: ConfigSchemaSnapshot;
}

/** A job. */
export interface JobSnapshot {
  name: string;
  type: "asset" | "op";
  description: string | null;
  tags: Record<string, string>;
  /** Step keys in execution order. */
  steps: JobStepSnapshot[];
  /** Dependencies between the job's steps (`input` names the input that carries the value, if any). */
  edges: { from: string; to: string; input: string | null }[];
  /** An asset job's selection (expression or keys). */
  selection: string | string[] | null;
  /** Default run config (EnvVar references as `{"env": NAME}`). */
  defaultConfig: Record<string, unknown>;
  /** JSON Schema of the whole run config of the job (`{ops: {...}, resources: {...}}`). */
  runConfigSchema: Record<string, unknown>;
  /** The partitions an asset job's partitioned assets share (a run of it needs a key), or null. */
  partitions: PartitionsSnapshot | null;
}

/** A schedule. */
export interface ScheduleSnapshot {
  name: string;
  cron: string | string[];
  timezone: string;
  jobName: string | null;
  selection: string | null;
  description: string | null;
  tags: Record<string, string>;
  defaultStatus: "RUNNING" | "STOPPED";
  catchUpTicks: number;
  /** Names of the resources its execute function uses. */
  resources: string[];
}

/** A sensor. */
export interface SensorSnapshot {
  name: string;
  type: "standard" | "asset" | "run_status" | "freshness";
  jobName: string | null;
  selection: string | null;
  description: string | null;
  minimumIntervalSeconds: number;
  defaultStatus: "RUNNING" | "STOPPED";
  /** The asset an asset sensor watches. */
  assetKey: string | null;
  /** The run status and jobs a run-status sensor watches. */
  runStatus: string | null;
  monitoredJobs: string[];
  /** What a freshness sensor watches: a selection (null: every asset with a policy) and the statuses that fire it; null for other sensors. */
  freshness: { monitoredSelection: string | null; statuses: string[] } | null;
  /** Names of the resources its function uses. */
  resources: string[];
}

/** A resource: its schema, and its config with environment variables shown as `{"env": NAME}`, never resolved. */
export interface ResourceSnapshot {
  name: string;
  description: string | null;
  config: ConfigSchemaSnapshot;
  /** Config bound in Definitions; values read from environment variables appear as `{"env": NAME}`. */
  values: Record<string, unknown>;
}

/**
 * A serializable picture of Definitions (ARCHITECTURE.md "Snapshot"): everything the server and
 * the UI show, with no user function in it.
 */
export interface DefinitionsSnapshot {
  /** Assets in topological order. */
  assets: AssetSnapshot[];
  groups: GroupSnapshot[];
  jobs: JobSnapshot[];
  schedules: ScheduleSnapshot[];
  sensors: SensorSnapshot[];
  resources: ResourceSnapshot[];
  executor: { kind: "in_process" | "multiprocess"; maxConcurrent: number };
  /** The automation loop: its status when nobody started or stopped it, and the assets with a condition. */
  automation: { defaultStatus: "RUNNING" | "STOPPED"; assetKeys: string[] };
}

/** JSON Schema of a zod config schema (input side), guarded: a schema zod cannot express yields an error text. */
export function configSchemaSnapshot(schema: ConfigSchema | undefined): ConfigSchemaSnapshot {
  if (!schema) return { jsonSchema: null };
  try {
    const json = toJsonValue(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" })) as Record<string, unknown>;
    // Nested in run config schemas; the dialect is 2020-12 throughout.
    delete json.$schema;
    return { jsonSchema: json };
  } catch (err) {
    return { jsonSchema: null, error: `This config schema cannot be shown as JSON Schema: ${errorMessage(err)}` };
  }
}

/**
 * Builds the snapshot of Definitions. Never calls a user function (only zod schemas are read).
 * Partition counts are those at `now`.
 */
export function snapshotOf(defs: Definitions, now: Date = new Date()): DefinitionsSnapshot {
  const jobsOfAsset = new Map<string, string[]>();
  for (const job of defs.jobs.values()) {
    if (job.definition.jobType !== "asset") continue;
    for (const key of job.stepKeys) {
      const list = jobsOfAsset.get(key) ?? [];
      list.push(job.definition.name);
      jobsOfAsset.set(key, list);
    }
  }
  const checksOfAsset = new Map<string, AssetCheckSnapshot[]>();
  for (const check of defs.checks.values()) {
    const list = checksOfAsset.get(check.assetKey) ?? [];
    list.push({ name: check.name, description: check.description ?? null, blocking: check.blocking });
    checksOfAsset.set(check.assetKey, list);
  }
  const assetConfig = new Map<string, ConfigSchemaSnapshot>();
  const assets: AssetSnapshot[] = defs.assetGraph.assets.map((node) => {
    const def = defs.assets.get(node.key)!;
    const config = configSchemaSnapshot(def.configSchema);
    assetConfig.set(node.key, config);
    return {
      key: node.key,
      group: node.group,
      description: node.description ?? null,
      deps: [...node.deps],
      ins: { ...def.ins },
      children: [...defs.assetGraph.children(node.key)],
      tags: { ...node.tags },
      owners: [...node.owners],
      kinds: [...node.kinds],
      metadata: safeMetadata(def.metadata),
      config,
      resources: Object.keys(def.resources),
      ioManager: def.ioManager,
      retry: def.retry ? ({ ...def.retry } as RetryPolicy) : null,
      jobs: jobsOfAsset.get(node.key) ?? [],
      partitions: def.partitions?.toSnapshot(now) ?? null,
      partitionMappings: mappingSnapshots(defs, def.key),
      backfillPolicy: def.backfillPolicy ? { ...def.backfillPolicy } : null,
      multiAsset: def.multiAsset
        ? { name: def.multiAsset.name, outName: def.multiAsset.outName, canSubset: def.multiAsset.canSubset, assetKeys: Object.values(def.multiAsset.outs) }
        : null,
      kind: assetKindOf(def),
      codeVersion: def.codeVersion,
      checks: checksOfAsset.get(node.key) ?? [],
      automation: def.automation?.toJSON() ?? null,
    };
  });

  // Appended in place: copying a group's list for each of its assets is quadratic in the group's size.
  const groups = new Map<string, string[]>();
  for (const a of assets) {
    const members = groups.get(a.group);
    if (members) members.push(a.key);
    else groups.set(a.group, [a.key]);
  }

  const jobs: JobSnapshot[] = [...defs.jobs.values()].map((job) => {
    const d = job.definition;
    let steps: JobStepSnapshot[];
    let edges: JobSnapshot["edges"];
    if (d.jobType === "op") {
      steps = [...job.ops.values()].map((o) => ({ key: o.name, kind: "op", description: o.description ?? null, config: configSchemaSnapshot(o.configSchema) }));
      edges = [...job.ops.values()].flatMap((o) => [
        ...Object.entries(o.ins).map(([input, from]) => ({ from, to: o.name, input })),
        ...o.deps.map((from) => ({ from, to: o.name, input: null })),
      ]);
    } else {
      const inJob = new Set(job.stepKeys);
      steps = job.stepKeys.map((key) => ({
        key,
        kind: "asset",
        description: defs.assets.get(key)?.description ?? null,
        config: assetConfig.get(key) ?? { jsonSchema: null },
      }));
      edges = job.stepKeys.flatMap((key) => {
        const def = defs.assets.get(key)!;
        const byUpstream = new Map(Object.entries(def.ins).map(([input, up]) => [up, input]));
        return defs.assetGraph
          .parents(key)
          .filter((up) => inJob.has(up))
          .map((from) => ({ from, to: key, input: byUpstream.get(from) ?? null }));
      });
    }
    return {
      name: d.name,
      type: d.jobType,
      description: d.description ?? null,
      tags: { ...d.tags },
      steps,
      edges,
      selection: d.jobType === "asset" ? (typeof d.selection === "string" ? d.selection : [...d.selection]) : null,
      defaultConfig: toJsonValue(d.config ?? {}) as Record<string, unknown>,
      runConfigSchema: runConfigSchemaOf(steps, defs),
      partitions: job.partitions?.toSnapshot(now) ?? null,
    };
  });

  const schedules: ScheduleSnapshot[] = [...defs.schedules.values()].map(({ definition: s, cron }) => ({
    name: s.name,
    // The resolved cron: a partitioned schedule's comes from its job's partitions.
    cron: cron.expressions.length === 1 ? cron.expressions[0]! : [...cron.expressions],
    timezone: cron.timezone,
    jobName: s.jobName ?? null,
    selection: s.selection ?? null,
    description: s.description ?? null,
    tags: { ...s.tags },
    defaultStatus: s.defaultStatus,
    catchUpTicks: s.catchUpTicks,
    resources: Object.keys(s.resources),
  }));

  const sensors: SensorSnapshot[] = [...defs.sensors.values()].map((s) => ({
    name: s.name,
    type: s.sensor.type,
    jobName: s.jobName ?? null,
    selection: s.selection ?? null,
    description: s.description ?? null,
    minimumIntervalSeconds: s.minimumIntervalSeconds,
    defaultStatus: s.defaultStatus,
    assetKey: s.sensor.type === "asset" ? s.sensor.assetKey : null,
    runStatus: s.sensor.type === "run_status" ? s.sensor.status : null,
    monitoredJobs: s.sensor.type === "run_status" ? [...s.sensor.monitoredJobs] : [],
    freshness: s.sensor.type === "freshness" ? { monitoredSelection: s.sensor.monitoredSelection, statuses: [...s.sensor.statuses] } : null,
    resources: Object.keys(s.resources),
  }));

  const resources: ResourceSnapshot[] = [...defs.resources.values()].map((r) => ({
    name: r.name,
    description: r.definition?.description ?? null,
    config: configSchemaSnapshot(r.definition?.configSchema),
    values: toJsonValue(r.config) as Record<string, unknown>,
  }));

  return {
    assets,
    groups: [...groups].map(([name, assetKeys]) => ({ name, assetKeys })),
    jobs,
    schedules,
    sensors,
    resources,
    executor: { kind: defs.executor.kind, maxConcurrent: defs.executor.maxConcurrent },
    automation: {
      defaultStatus: defs.automation.defaultStatus,
      assetKeys: [...defs.assets.values()].filter((a) => a.automation !== undefined).map((a) => a.key),
    },
  };
}

/** The run config schema of a job: `ops.<step>.config` for each step with a schema, `resources.<name>.config`. */
function runConfigSchemaOf(steps: JobStepSnapshot[], defs: Definitions): Record<string, unknown> {
  const ops: Record<string, unknown> = {};
  for (const step of steps) {
    if (!step.config.jsonSchema) continue;
    // The outputs of a multi-asset share its config, which run config names by the multi-asset.
    const asset = step.kind === "asset" ? defs.assets.get(step.key) : undefined;
    const name = asset ? assetStepKey(asset) : step.key;
    ops[name] = { type: "object", properties: { config: step.config.jsonSchema }, additionalProperties: false };
  }
  const resources: Record<string, unknown> = {};
  for (const r of defs.resources.values()) {
    const schema = configSchemaSnapshot(r.definition?.configSchema).jsonSchema;
    if (schema) resources[r.name] = { type: "object", properties: { config: schema }, additionalProperties: false };
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      ops: { type: "object", properties: ops, additionalProperties: false },
      resources: { type: "object", properties: resources, additionalProperties: false },
    },
    additionalProperties: false,
  };
}

function safeMetadata(input: Parameters<typeof normalizeMetadata>[0]): MetadataMap {
  try {
    return toJsonValue(normalizeMetadata(input)) as MetadataMap;
  } catch {
    return {};
  }
}

/** The mapping of each partitioned upstream asset of `key` (checked when the definitions loaded). */
function mappingSnapshots(defs: Definitions, key: string): Record<string, PartitionMappingSnapshot> {
  const def = defs.assets.get(key)!;
  const out: Record<string, PartitionMappingSnapshot> = {};
  for (const upKey of defs.assetGraph.parents(key)) {
    const up = defs.assets.get(upKey);
    const found = up ? mappingOf(def, up) : undefined;
    if (found) out[upKey] = { type: found.mapping.type, description: found.mapping.describe(), declared: def.partitionMappings[upKey] !== undefined };
  }
  return out;
}
