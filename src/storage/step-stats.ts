import { EventType, type StepStats } from "./records.js";

/** The step status each STEP_* event puts its step in. */
const STEP_STATUS: Partial<Record<string, StepStats["status"]>> = {
  [EventType.StepStart]: "IN_PROGRESS",
  [EventType.StepUpForRetry]: "UP_FOR_RETRY",
  [EventType.StepSuccess]: "SUCCESS",
  [EventType.StepFailure]: "FAILURE",
  [EventType.StepSkipped]: "SKIPPED",
};

const FINAL_STEP_STATUSES: ReadonlySet<StepStats["status"]> = new Set([
  "SUCCESS",
  "FAILURE",
  "SKIPPED",
]);

/** The fields of an event that step stats are derived from. */
export interface StepEvent {
  id: number;
  type: string;
  stepKey: string;
  timestamp: number;
}

/** Step key prefix of a resource's events (its log lines, its teardown failure): not a step. */
const RESOURCE_KEY_PREFIX = "resource:";

/**
 * Folds a run's events that carry a step key (given in id order) into per-step stats, listed in
 * the order steps first started; a step that never started sits where its first event is.
 * Resources' events (`resource:NAME`) are not steps and are left out.
 */
export function computeStepStats(events: Iterable<StepEvent>): StepStats[] {
  type Acc = StepStats & { order: number; started: boolean };
  const steps = new Map<string, Acc>();
  for (const event of events) {
    if (event.stepKey.startsWith(RESOURCE_KEY_PREFIX)) continue;
    let step = steps.get(event.stepKey);
    if (step === undefined) {
      step = {
        key: event.stepKey,
        status: "PENDING",
        attempts: 0,
        startedAt: null,
        endedAt: null,
        order: event.id,
        started: false,
      };
      steps.set(event.stepKey, step);
    }
    const status = STEP_STATUS[event.type];
    if (status === undefined) continue;
    if (event.type === EventType.StepStart) {
      step.attempts += 1;
      if (!step.started) {
        // A log line written for a step before it started must not decide its place.
        step.started = true;
        step.order = event.id;
        step.startedAt = event.timestamp;
      }
    }
    step.status = status;
    // A retry after a failure reopens the step: only a final event ends it.
    step.endedAt = FINAL_STEP_STATUSES.has(status) ? event.timestamp : null;
  }
  return [...steps.values()]
    .sort((a, b) => a.order - b.order)
    .map(({ key, status, attempts, startedAt, endedAt }) => ({
      key,
      status,
      attempts,
      startedAt,
      endedAt,
    }));
}
