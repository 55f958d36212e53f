/**
 * Shapes of the API's JSON that several pages share. They are declared once, in
 * src/server/api-types.ts, which the server builds its answers with: re-exported here, so the UI
 * cannot drift from the server. The asset, job and automation shapes are re-exported beside their
 * pages (assets/asset-json.ts, jobs/job-types.ts, automation/automation-types.ts).
 */
import type { RunStatus } from "../../src/server/api-types";

export type {
  CancelAnswerJson,
  DefinitionsReloadedJson,
  DefinitionsStatusJson,
  EventJson,
  HealthJson,
  HeartbeatJson,
  LoadErrorJson,
  OverviewJson,
  RunAnswerJson,
  RunEventsPageJson,
  RunJson,
  RunsPageJson,
  RunStatus,
  StepJson,
} from "../../src/server/api-types";

/** True for the statuses a run does not leave. */
export function isFinished(status: RunStatus): boolean {
  return status === "SUCCESS" || status === "FAILURE" || status === "CANCELED";
}
