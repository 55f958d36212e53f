/** The Gantt chart's arithmetic: rows of steps, and a time axis with round ticks. */
import type { RunJson, StepJson } from "../types";

/** A step row of the chart: the run's step, or a step of its selection that has not started. */
export interface GanttRow {
  key: string;
  status: string;
  attempts: number;
  start: number | null;
  end: number | null;
}

const TICK_STEPS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

/** Spacing of the time axis' ticks: the smallest "round" interval that gives at most `max` ticks. */
export function tickInterval(spanMs: number, max = 8): number {
  return TICK_STEPS_MS.find((step) => spanMs / step <= max) ?? Math.ceil(spanMs / max);
}

/** "+250 ms", "+1.5 s", "+2 min", "+1 h 30 min": an offset from the run's start. */
export function offsetLabel(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1000) return `+${ms} ms`;
  if (ms < 60_000) return `+${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 3_600_000) return `+${Number((ms / 60_000).toFixed(1))} min`;
  const h = Math.floor(ms / 3_600_000);
  const min = Math.round((ms % 3_600_000) / 60_000);
  return `+${h} h${min ? ` ${min} min` : ""}`;
}

/** Epoch ms of an ISO time (null stays null). */
export function toMs(iso: string | null): number | null {
  return iso ? new Date(iso).getTime() : null;
}

/**
 * Steps in the order they started; steps not started yet follow, in the order the run lists them.
 * `inMultiSteps` are selected assets that a multi-asset's step computes: not rows of their own.
 */
export function ganttRows(run: RunJson, inMultiSteps: ReadonlySet<string> = new Set()): GanttRow[] {
  const steps = new Map<string, StepJson>((run.steps ?? []).map((s) => [s.key, s]));
  const rows: GanttRow[] = [...steps.values()].map((s) => ({ key: s.key, status: s.status, attempts: s.attempts, start: toMs(s.startedAt), end: toMs(s.endedAt) }));
  for (const key of run.selection ?? []) {
    if (!steps.has(key) && !inMultiSteps.has(key)) rows.push({ key, status: "PENDING", attempts: 0, start: null, end: null });
  }
  const order = new Map((run.selection ?? []).map((k, i) => [k, i]));
  return rows.sort((a, b) => {
    if (a.start !== null && b.start !== null) return a.start - b.start || (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0);
    if (a.start !== null) return -1;
    if (b.start !== null) return 1;
    return (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0);
  });
}

