/**
 * Schedules and sensors as `GET /api/schedules` and `GET /api/sensors` return them (built in
 * src/server/routes/instigator-routes.ts).
 */

/** One evaluation of a schedule or sensor. */
export interface TickJson {
  id: number;
  tickTime: string;
  /** STARTED, SUCCESS, SKIPPED or FAILURE. */
  status: string;
  runIds: string[];
  skippedRunKeys: string[];
  skipReason: string | null;
  error: { className?: string; message: string; stack?: string } | null;
  cursor: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What schedules and sensors share: whether they run, their target, their ticks. */
interface InstigatorJson {
  name: string;
  jobName: string | null;
  selection: string | null;
  description: string | null;
  defaultStatus: "RUNNING" | "STOPPED";
  /** RUNNING or STOPPED: the stored state, else the default. */
  status: "RUNNING" | "STOPPED";
  state: { status: string; cursor: string | null; updatedAt: string } | null;
  lastTick: TickJson | null;
  ticks: TickJson[];
}

/** A schedule with its next tick(s) and tick history. */
export interface ScheduleJson extends InstigatorJson {
  cron: string | string[];
  timezone: string;
  tags: Record<string, string>;
  catchUpTicks: number;
  /** Names of the resources its execute function uses. */
  resources: string[];
  nextTick: string | null;
  nextTicks: string[];
}

/** A sensor with its cursor and tick history. */
export interface SensorJson extends InstigatorJson {
  type: "standard" | "asset" | "run_status";
  minimumIntervalSeconds: number;
  assetKey: string | null;
  runStatus: string | null;
  monitoredJobs: string[];
  /** Names of the resources its function uses. */
  resources: string[];
  cursor: string | null;
  lastTickAt: string | null;
}

/** Schedules or sensors: the two kinds of automation, as they appear in API paths. */
export type InstigatorKind = "schedules" | "sensors";
