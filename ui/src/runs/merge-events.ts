/** Merging a run's events from two sources (history pages and the live stream). */
import type { EventJson } from "../types";

/** Adds events to a sorted list, skipping ids already there. */
export function mergeEvents(current: EventJson[], incoming: EventJson[]): EventJson[] {
  if (incoming.length === 0) return current;
  const last = current.length > 0 ? current[current.length - 1]!.id : -1;
  const sorted = [...incoming].sort((a, b) => a.id - b.id);
  if (sorted[0]!.id > last) {
    const fresh = sorted.filter((e, i) => i === 0 || e.id !== sorted[i - 1]!.id);
    return [...current, ...fresh];
  }
  const byId = new Map(current.map((e) => [e.id, e]));
  for (const e of sorted) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}
