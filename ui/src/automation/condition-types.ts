/**
 * Automation conditions and their evaluations as the API returns them (GET
 * /api/assets/:key/automation, GET /api/automation/preview, GET /api/automation), declared in
 * src/server/api-types.ts.
 */
export type {
  AssetAutomationJson,
  AutomationEvaluationJson,
  AutomationJson,
  AutomationPreviewJson,
  ConditionNodeJson,
  ConditionSnapshotJson,
} from "../../../src/server/api-types";
