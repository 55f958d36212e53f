import { parseDuration } from "../../definitions/freshness-policy.js";
import type { PartitionsDefinition } from "../../definitions/partitions/partitions-definition.js";
import type { TimeWindowPartitionsDefinition } from "../../definitions/partitions/time-window-partitions.js";

/**
 * The keys `in_latest_time_window` is true for at `now`: the latest window, or with `lookback` (a
 * duration, checked at load) every window that ends less than `lookback` before the latest one's
 * start; for multi-partitions with a time dimension, every key whose time key is one of those.
 * Null for partitions without time windows (the condition is then true for every key).
 */
export function latestWindowKeys(partitions: PartitionsDefinition, lookback: string | number | null, now: Date): Set<string> | null {
  if (partitions.type === "time_window") return new Set(windowKeys(partitions, lookback, now));
  if (partitions.type === "multi") {
    const time = partitions.timeDimension;
    if (!time) return null;
    const latest = new Set(windowKeys(time.partitions, lookback, now));
    return new Set(partitions.keys(now).filter((k) => latest.has(partitions.keysByDimension(k)[time.name]!)));
  }
  return null;
}

function windowKeys(partitions: TimeWindowPartitionsDefinition, lookback: string | number | null, now: Date): string[] {
  const last = partitions.lastKey(now);
  if (last === undefined) return [];
  if (lookback === null) return [last];
  const ms = parseDuration(lookback) ?? 0;
  const latest = partitions.timeWindow(last);
  return partitions.keysOverlapping(new Date(latest.start.getTime() - ms), latest.end, now);
}
