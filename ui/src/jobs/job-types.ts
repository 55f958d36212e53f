/**
 * The parts of `GET /api/definitions` that the jobs pages read, declared in
 * src/server/api-types.ts (the server builds them in src/instance/snapshot.ts).
 */
import type { JobJson } from "../../../src/server/api-types";
import type { JsonSchema } from "./config-schema";

export type { DefinitionsJson, JobJson, JobStepJson } from "../../../src/server/api-types";

/**
 * A job's run config schema, typed with the keywords the launchpad reads. The API types it as any
 * JSON object; the server writes it with zod's `toJSONSchema` (JSON Schema 2020-12), so it is one.
 */
export function runConfigSchemaOf(job: JobJson): JsonSchema {
  return job.runConfigSchema as JsonSchema;
}

/** The name of the job that ad-hoc asset materializations run under. */
export const ASSET_JOB_NAME = "__asset_job";
