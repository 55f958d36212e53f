import { duration } from "../components/common";
import type { RunJson } from "../types";
import { ganttRows, offsetLabel, tickInterval, toMs } from "./gantt-rows";
import "./runs.css";

/**
 * The run's steps on a time line: one row per step, a bar from its start to its end (to now while
 * it runs, so bars grow live), coloured by status. Clicking a row selects the step (the log viewer
 * then shows only its events).
 */
export function RunGantt({
  run,
  now,
  selectedStep,
  onSelectStep,
  inMultiSteps,
}: {
  run: RunJson;
  now: number;
  selectedStep: string | null;
  onSelectStep: (step: string | null) => void;
  /** Selected assets computed by a multi-asset's step (not steps of their own). */
  inMultiSteps?: ReadonlySet<string>;
}) {
  const rows = ganttRows(run, inMultiSteps);
  const starts = rows.map((r) => r.start).filter((v): v is number => v !== null);
  const runStart = toMs(run.startedAt);
  const origin = Math.min(...(runStart !== null ? [runStart] : []), ...starts);
  if (!Number.isFinite(origin)) {
    return (
      <div className="gantt panel" data-testid="gantt">
        <p className="muted">
          {run.status === "QUEUED" || run.status === "STARTING" ? "Waiting for the run to start…" : "No step of this run has started."}
          {rows.length > 0 ? ` ${rows.length} step${rows.length === 1 ? "" : "s"} planned.` : ""}
        </p>
      </div>
    );
  }
  const runEnd = toMs(run.endedAt);
  const ends = rows.map((r) => r.end ?? (r.start !== null ? now : null)).filter((v): v is number => v !== null);
  const finish = Math.max(runEnd ?? now, ...ends, origin + 1);
  const span = finish - origin;
  const interval = tickInterval(span);
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += interval) ticks.push(t);
  const pct = (ms: number) => `${((ms - origin) / span) * 100}%`;

  return (
    <div className="gantt panel" data-testid="gantt">
      <div className="gantt-row gantt-axis">
        <div className="gantt-label muted small">
          {rows.length} step{rows.length === 1 ? "" : "s"} · {duration(new Date(origin).toISOString(), new Date(finish).toISOString())}
        </div>
        <div className="gantt-track">
          {ticks.map((t) => (
            <span key={t} className="gantt-tick" style={{ left: `${(t / span) * 100}%` }}>
              {offsetLabel(t)}
            </span>
          ))}
        </div>
      </div>
      {rows.map((row) => {
        const end = row.end ?? (row.start !== null ? now : null);
        const selected = selectedStep === row.key;
        return (
          <div
            key={row.key}
            className={`gantt-row${selected ? " selected" : ""}`}
            data-step={row.key}
            data-status={row.status}
            role="button"
            tabIndex={0}
            title={selected ? "Show the events of every step" : `Show only the events of ${row.key}`}
            onClick={() => onSelectStep(selected ? null : row.key)}
            onKeyDown={(e) => {
              if (e.key === "Enter" || e.key === " ") {
                e.preventDefault();
                onSelectStep(selected ? null : row.key);
              }
            }}
          >
            <div className="gantt-label">
              <span className={`step-dot step-${row.status}`} />
              <span className="mono gantt-key">{row.key}</span>
              <span className="muted small gantt-duration">
                {row.start !== null ? duration(new Date(row.start).toISOString(), row.end !== null ? new Date(row.end).toISOString() : null) : row.status === "SKIPPED" ? "skipped" : "—"}
                {row.attempts > 1 ? ` · ${row.attempts} attempts` : ""}
              </span>
            </div>
            <div className="gantt-track">
              {ticks.map((t) => (
                <span key={t} className="gantt-grid" style={{ left: `${(t / span) * 100}%` }} />
              ))}
              {row.start !== null && end !== null && (
                <span
                  className={`gantt-bar step-${row.status}`}
                  data-testid="gantt-bar"
                  style={{ left: pct(row.start), width: `${Math.max(0, ((end - row.start) / span) * 100)}%` }}
                  title={`${row.key}: ${row.status.replace(/_/g, " ")}`}
                />
              )}
            </div>
          </div>
        );
      })}
      <div className="gantt-legend small muted">
        {["SUCCESS", "IN_PROGRESS", "UP_FOR_RETRY", "FAILURE", "SKIPPED", "PENDING"].map((s) => (
          <span key={s}>
            <span className={`step-dot step-${s}`} /> {s.replace(/_/g, " ").toLowerCase()}
          </span>
        ))}
      </div>
    </div>
  );
}
