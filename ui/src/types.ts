/**
 * Shapes of the API's JSON that several pages share (see the README's "HTTP API" section; the
 * server builds them in src/server/api-json.ts and src/server/snapshot.ts). Page-specific shapes
 * live beside their page.
 */

/** Run statuses, as stored. */
export type RunStatus = "QUEUED" | "STARTING" | "STARTED" | "SUCCESS" | "FAILURE" | "CANCELING" | "CANCELED";

/** A step of a run. */
export interface StepJson {
  key: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
}

/** A run as `GET /api/runs` and `GET /api/runs/:id` return it. */
export interface RunJson {
  runId: string;
  status: RunStatus;
  jobName: string | null;
  selection: string[] | null;
  selectionExpression: string | null;
  partition: string | null;
  config: unknown;
  tags: Record<string, string>;
  parentRunId: string | null;
  rootRunId: string | null;
  createdAt: string;
  updatedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  workerId: string | null;
  heartbeatAt: string | null;
  steps?: StepJson[];
}

/** An event of a run (`GET /api/runs/:id/events`, and `event` messages of the live stream). */
export interface EventJson {
  id: number;
  runId: string;
  timestamp: string;
  type: string;
  stepKey: string | null;
  assetKey: string | null;
  partition: string | null;
  level: string;
  message: string | null;
  [field: string]: unknown;
}

/** Where the last reload of the definitions failed. */
export interface LoadErrorJson {
  file: string | null;
  line: number | null;
  column: number | null;
  message: string;
  at: string;
}

/** The definitions status that `/api/health` and `/api/definitions` share. */
export interface DefinitionsStatusJson {
  loaded: boolean;
  generation: number;
  loadedAt: string | null;
  source: string | null;
  loadError: LoadErrorJson | null;
}

/** `GET /api/health`. */
export interface HealthJson {
  ok: boolean;
  mode: string;
  version: string;
  pid: number;
  home: string;
  startedAt: string;
  daemonInProcess: boolean;
  definitions: DefinitionsStatusJson;
}

/** True for the statuses a run does not leave. */
export function isFinished(status: RunStatus): boolean {
  return status === "SUCCESS" || status === "FAILURE" || status === "CANCELED";
}
