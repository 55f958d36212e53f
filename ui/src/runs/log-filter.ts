/** Which events the log viewer shows. */
import type { EventJson } from "../types";

/** Log levels, least severe first. */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;

/** What the log viewer shows: levels (none: all), one step (or the run's own events), a search text. */
export interface LogFilter {
  levels: string[];
  /** A step key; `RUN_STEP` for events of no step; null for all. */
  step: string | null;
  query: string;
}

/** The step filter's value for events that belong to the run, not a step. */
export const RUN_STEP = "(run)";

/** The text the search looks in: message, type, step and asset. */
function searchable(e: EventJson): string {
  return `${e.message ?? ""} ${e.type} ${e.stepKey ?? ""} ${e.assetKey ?? ""}`.toLowerCase();
}

/** True when the event passes the filter. */
export function eventMatches(e: EventJson, filter: LogFilter): boolean {
  if (filter.levels.length > 0 && !filter.levels.includes(e.level)) return false;
  if (filter.step !== null && (filter.step === RUN_STEP ? e.stepKey !== null : e.stepKey !== filter.step)) return false;
  const q = filter.query.trim().toLowerCase();
  return q === "" || searchable(e).includes(q);
}
