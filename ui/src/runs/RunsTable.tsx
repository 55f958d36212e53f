import { Link } from "react-router";
import { duration, StatusBadge, Time } from "../components/common";
import { ASSET_JOB_NAME } from "../jobs/job-types";
import { isFinished, type RunJson } from "../types";
import { useNow } from "./use-now";
import "./runs.css";

/** The first block of a run id, as the UI shows it (the full id is in the link's title). */
export function shortId(runId: string): string {
  return runId.split("-")[0] ?? runId;
}

/** What a run ran: its job's name (linked), or for an ad-hoc materialization its selection. */
export function RunTarget({ run }: { run: RunJson }) {
  if (run.jobName && run.jobName !== ASSET_JOB_NAME) {
    return (
      <Link to={`/jobs/${encodeURIComponent(run.jobName)}`} className="mono">
        {run.jobName}
      </Link>
    );
  }
  const keys = run.selection ?? [];
  // A re-execution from failure keeps its parent's expression but runs only part of it.
  const expression = run.tags["sluice/reexecution"] === "from_failure" ? null : run.selectionExpression;
  const what = expression ?? (keys.length <= 3 ? keys.join(", ") : `${keys.slice(0, 3).join(", ")} +${keys.length - 3}`);
  return (
    <span title={keys.join("\n")}>
      {/* Check keys (ASSET:CHECK; ":" is never in an asset key) alone: a run of checks, nothing materialized. */}
      <span className="muted small">{keys.length > 0 && keys.every((k) => k.includes(":")) ? "check " : "materialize "}</span>
      <span className="mono">{what || "—"}</span>
    </span>
  );
}

/** A run's tags as small chips; `onTag` (when given) makes each a button, e.g. to filter by it. */
export function TagChips({ tags, onTag }: { tags: Record<string, string>; onTag?: ((tag: string) => void) | undefined }) {
  const entries = Object.entries(tags);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span className="tag-chips">
      {entries.map(([k, v]) => {
        const text = `${k}:${v}`;
        return onTag ? (
          <button type="button" key={k} className="tag-chip" title={`Show only runs tagged ${text}`} onClick={() => onTag(text)}>
            {text}
          </button>
        ) : (
          <span key={k} className="tag-chip">
            {text}
          </span>
        );
      })}
    </span>
  );
}

/**
 * Runs as a table, newest first: id (linked), status, target, tags, creation time and duration
 * (counting while a run goes).
 */
export function RunsTable({ runs, onTag, empty = "No runs yet." }: { runs: RunJson[]; onTag?: (tag: string) => void; empty?: string }) {
  const anyActive = runs.some((r) => !isFinished(r.status));
  useNow(anyActive, 1000);
  if (runs.length === 0) return <p className="muted" data-testid="runs-empty">{empty}</p>;
  return (
    <table className="runs-table" data-testid="runs-table">
      <thead>
        <tr>
          <th>Run</th>
          <th>Status</th>
          <th>Target</th>
          <th>Tags</th>
          <th>Created</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.runId} data-run-id={run.runId} data-status={run.status}>
            <td>
              <Link to={`/runs/${run.runId}`} className="mono" title={run.runId}>
                {shortId(run.runId)}
              </Link>
              {run.parentRunId && (
                <span className="muted small" title={`Re-execution of ${run.parentRunId}`}>
                  {" "}
                  ↻
                </span>
              )}
            </td>
            <td>
              <StatusBadge status={run.status} />
            </td>
            <td>
              <RunTarget run={run} />
            </td>
            <td>
              <TagChips tags={run.tags} onTag={onTag} />
            </td>
            <td>
              <Time iso={run.createdAt} />
            </td>
            <td className="nowrap">{duration(run.startedAt, run.endedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
