import type { CodeLocation } from "../instance/load-definitions.js";
import type { SerializedError } from "../storage/records.js";
import type { ScheduleCall, ScheduleOutcome, SensorCall, SensorOutcome } from "./instigator-code.js";

/** What an evaluation thread loads: the daemon's code location, from the daemon's directory. */
export interface EvaluationThreadData {
  location: CodeLocation;
  cwd: string;
}

/** One evaluation an evaluation thread runs. */
export type EvaluationRequest = { kind: "schedule"; call: ScheduleCall } | { kind: "sensor"; call: SensorCall };

/** The outcome of an {@link EvaluationRequest} (a ScheduleOutcome for a schedule, a SensorOutcome for a sensor). */
export type EvaluationOutcome = ScheduleOutcome | SensorOutcome;

/** The daemon's message to an evaluation thread. */
export interface EvaluateMessage {
  type: "evaluate";
  id: number;
  request: EvaluationRequest;
  timeoutMs: number;
}

/** An evaluation thread's messages to the daemon (all plain data). */
export type ThreadMessage =
  /** The code location loaded: evaluations may come. */
  | { type: "ready" }
  /** The code location failed to load; the thread is of no use. */
  | { type: "load-failed"; error: SerializedError }
  /** A call of user code began (the function, a resource's setup or teardown): its watchdog restarts. */
  | { type: "phase"; id: number; what: string }
  /** A log line of user code, secrets already masked. */
  | { type: "log"; line: string }
  /** An error user code threw outside any call (a timer, a promise nobody awaited); the thread goes on. */
  | { type: "stray-error"; text: string }
  /** An evaluation ended. */
  | { type: "result"; id: number; outcome: EvaluationOutcome };

/** Who an evaluation is, for messages: `Sensor "NAME"` or `Schedule "NAME" (tick ISO)`. */
export function describeRequest(request: EvaluationRequest): string {
  return request.kind === "schedule" ? `Schedule "${request.call.name}" (tick ${request.call.scheduledTime.toISOString()})` : `Sensor "${request.call.name}"`;
}
