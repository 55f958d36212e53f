/**
 * The parts of `GET /api/definitions` that the jobs pages read (the server builds them in
 * src/server/snapshot.ts).
 */
import type { DefinitionsStatusJson } from "../types";
import type { JsonSchema } from "./config-schema";

/** One step of a job: an asset key or an op name, with its config schema. */
export interface JobStepJson {
  key: string;
  kind: "asset" | "op";
  description: string | null;
  config: { jsonSchema: JsonSchema | null; error?: string };
}

/** A job of the snapshot. */
export interface JobJson {
  name: string;
  type: "asset" | "op";
  description: string | null;
  tags: Record<string, string>;
  steps: JobStepJson[];
  edges: { from: string; to: string; input: string | null }[];
  selection: string | string[] | null;
  defaultConfig: Record<string, unknown>;
  runConfigSchema: JsonSchema;
}

/** The schedule and sensor fields of the snapshot that name their job. */
export interface InstigatorRefJson {
  name: string;
  jobName: string | null;
}

/** `GET /api/definitions` (only what the jobs pages use). */
export interface DefinitionsJson extends DefinitionsStatusJson {
  snapshot: { jobs: JobJson[]; schedules: InstigatorRefJson[]; sensors: InstigatorRefJson[] } | null;
}

/** The name of the job that ad-hoc asset materializations run under. */
export const ASSET_JOB_NAME = "__asset_job";
