/**
 * Schedules and sensors as `GET /api/schedules` and `GET /api/sensors` return them, declared in
 * src/server/api-types.ts (built in src/server/routes/instigator-routes.ts).
 */
export type {
  ScheduleAnswerJson,
  ScheduleJson,
  SchedulesJson,
  SensorAnswerJson,
  SensorJson,
  SensorsJson,
  TickJson,
} from "../../../src/server/api-types";

/** Schedules or sensors: the two kinds of automation, as they appear in API paths. */
export type InstigatorKind = "schedules" | "sensors";
