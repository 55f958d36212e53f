import { useEffect } from "react";

/** Longest timer a browser keeps (about 24.8 days); a later deadline is not waited for. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `onDue` a little after the earliest of these freshness deadlines (ISO times) that is still
 * ahead: a status may change then with no run or event to say so, and the page refetches.
 * `onDue` should be stable (a throttled reload).
 */
export function useFreshnessDeadline(deadlines: readonly (string | null | undefined)[] | undefined, onDue: (() => void) | undefined): void {
  const now = Date.now();
  let earliest = Infinity;
  for (const iso of deadlines ?? []) {
    const t = iso ? Date.parse(iso) : NaN;
    if (t > now && t < earliest) earliest = t;
  }
  useEffect(() => {
    if (!onDue || earliest === Infinity) return;
    const wait = earliest - Date.now();
    if (wait > MAX_TIMER_MS) return;
    // A little after the deadline, so that the server judges it passed.
    const timer = setTimeout(onDue, Math.max(0, wait) + 250);
    return () => clearTimeout(timer);
  }, [earliest, onDue]);
}
