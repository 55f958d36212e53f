import { Fragment, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { EventJson } from "../types";
import { eventMatches, LOG_LEVELS, RUN_STEP, type LogFilter } from "./log-filter";
import "./runs.css";

/** At most this many rows are drawn; the newest are kept. */
const MAX_ROWS = 5000;

const BASE_FIELDS = new Set(["id", "runId", "timestamp", "type", "stepKey", "assetKey", "partition", "level", "message"]);

function clock(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** The text with each occurrence of `query` (any case) marked. */
function highlight(text: string, query: string): ReactNode {
  const q = query.trim();
  if (!q) return text;
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  let at = lower.indexOf(needle);
  while (at >= 0) {
    if (at > from) parts.push(text.slice(from, at));
    parts.push(<mark key={at}>{text.slice(at, at + q.length)}</mark>);
    from = at + q.length;
    at = lower.indexOf(needle, from);
  }
  parts.push(text.slice(from));
  return parts;
}

/** The fields of an event beyond the common ones (error, metadata, attempt…), for its details. */
function extraFields(e: EventJson): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).filter(([k]) => !BASE_FIELDS.has(k)));
}

interface RunLogsProps {
  events: EventJson[];
  /** Step keys to offer in the step filter. */
  steps: string[];
  filter: LogFilter;
  onFilter: (next: LogFilter) => void;
  /** The run still goes: follow new events at the bottom. */
  live: boolean;
  loaded: boolean;
}

/**
 * The run's events as a log: time, level, step, type, message; filters by level and step; search
 * (matches marked); a click on a row shows its details (error stack, metadata). While the run goes
 * the view follows new events, until the reader scrolls up.
 */
export function RunLogs({ events, steps, filter, onFilter, live, loaded }: RunLogsProps) {
  const [expanded, setExpanded] = useState<Set<number>>(() => new Set());
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  const counts = useMemo(() => {
    const byLevel: Record<string, number> = {};
    for (const e of events) byLevel[e.level] = (byLevel[e.level] ?? 0) + 1;
    return byLevel;
  }, [events]);
  const shown = useMemo(() => events.filter((e) => eventMatches(e, filter)), [events, filter]);
  const rows = shown.length > MAX_ROWS ? shown.slice(shown.length - MAX_ROWS) : shown;
  const lastShownId = rows.length > 0 ? rows[rows.length - 1]!.id : 0;

  useLayoutEffect(() => {
    if (live && follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lastShownId, live, follow]);

  const onScroll = () => {
    const el = box.current;
    if (!el || !live) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (atBottom !== follow) setFollow(atBottom);
  };

  const toggleLevel = (level: string) => {
    const levels = filter.levels.includes(level) ? filter.levels.filter((l) => l !== level) : [...filter.levels, level];
    onFilter({ ...filter, levels: LOG_LEVELS.filter((l) => levels.includes(l)) });
  };
  const toggleRow = (id: number) =>
    setExpanded((cur) => {
      const next = new Set(cur);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const filtered = filter.levels.length > 0 || filter.step !== null || filter.query.trim() !== "";

  return (
    <div className="run-logs panel" data-testid="run-logs">
      <div className="row log-toolbar">
        <span className="filter-label">Level</span>
        {LOG_LEVELS.map((level) => (
          <button
            type="button"
            key={level}
            className={`chip level-${level}${filter.levels.includes(level) ? " on" : ""}`}
            aria-pressed={filter.levels.includes(level)}
            onClick={() => toggleLevel(level)}
            data-testid={`level-${level}`}
          >
            {level} <span className="chip-count">{counts[level] ?? 0}</span>
          </button>
        ))}
        <label className="row">
          <span className="filter-label">Step</span>
          <select value={filter.step ?? ""} onChange={(e) => onFilter({ ...filter, step: e.target.value || null })} data-testid="step-filter">
            <option value="">All steps</option>
            <option value={RUN_STEP}>Run events (no step)</option>
            {steps.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <input
          type="search"
          className="log-search"
          placeholder="Search messages…"
          aria-label="Search the logs"
          value={filter.query}
          onChange={(e) => onFilter({ ...filter, query: e.target.value })}
          data-testid="log-search"
        />
        <span className="spacer" />
        <span className="muted small" data-testid="log-count">
          {filtered ? `${shown.length} of ${events.length} events` : `${events.length} events`}
        </span>
        {filtered && (
          <button type="button" className="link-button" onClick={() => onFilter({ levels: [], step: null, query: "" })}>
            Clear
          </button>
        )}
      </div>
      <div className="log-box" ref={box} onScroll={onScroll} data-testid="log-box">
        {!loaded && events.length === 0 ? (
          <p className="muted log-empty">Loading events…</p>
        ) : rows.length === 0 ? (
          <p className="muted log-empty">{events.length === 0 ? "No events yet." : "No event matches these filters."}</p>
        ) : (
          <table className="log-table">
            <tbody>
              {shown.length > rows.length && (
                <tr>
                  <td colSpan={5} className="muted small">
                    {shown.length - rows.length} older events are not shown; narrow the filters to see them.
                  </td>
                </tr>
              )}
              {rows.map((e) => {
                const extra = extraFields(e);
                const open = expanded.has(e.id);
                const error = e.error;
                return (
                  <Fragment key={e.id}>
                    <tr className={`log-row level-${e.level}${open ? " open" : ""}`} data-level={e.level} data-type={e.type} onClick={() => toggleRow(e.id)}>
                      <td className="mono log-time" title={e.timestamp}>
                        {clock(e.timestamp)}
                      </td>
                      <td>
                        <span className={`level-tag level-${e.level}`}>{e.level}</span>
                      </td>
                      <td className="mono log-step">{e.stepKey ?? ""}</td>
                      <td className="mono log-type">{e.type}</td>
                      <td className="log-message" data-testid="log-message">
                        {highlight(e.message ?? "", filter.query)}
                        {Object.keys(extra).length > 0 && <span className="muted small"> {open ? "▾" : "▸"}</span>}
                      </td>
                    </tr>
                    {open && Object.keys(extra).length > 0 && (
                      <tr className="log-details">
                        <td colSpan={5}>
                          {error?.stack && <pre className="log-stack">{error.stack}</pre>}
                          <pre>{JSON.stringify(error?.stack ? { ...extra, error: { ...error, stack: undefined } } : extra, null, 2)}</pre>
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
      {live && !follow && (
        <button
          type="button"
          className="jump-latest"
          onClick={() => {
            setFollow(true);
            if (box.current) box.current.scrollTop = box.current.scrollHeight;
          }}
        >
          ↓ Follow new events
        </button>
      )}
    </div>
  );
}
