import { Link } from "react-router";
import { StatusBadge, Time } from "../components/common";
import { shortId } from "../runs/RunsTable";
import type { TickJson } from "./automation-types";
import "./automation.css";

/**
 * Tick history, newest first: when, outcome, the runs the tick launched (links), and why it
 * skipped or failed; for sensors also the run keys it skipped and the cursor it left.
 */
export function TicksTable({ ticks, sensor = false }: { ticks: TickJson[]; sensor?: boolean }) {
  if (ticks.length === 0) return <p className="muted" data-testid="ticks-empty">No ticks yet.</p>;
  return (
    <table className="ticks-table" data-testid="ticks-table">
      <thead>
        <tr>
          <th>Tick</th>
          <th>Status</th>
          <th>Runs</th>
          <th>Details</th>
          {sensor && <th>Cursor after</th>}
        </tr>
      </thead>
      <tbody>
        {ticks.map((tick) => (
          <tr key={tick.id} data-tick-status={tick.status}>
            <td className="nowrap">
              <span className="mono small">{new Date(tick.tickTime).toISOString().replace("T", " ").slice(0, 19)}Z</span>
              <div className="muted small">
                <Time iso={tick.tickTime} />
              </div>
            </td>
            <td>
              <StatusBadge status={tick.status} />
            </td>
            <td>
              {tick.runIds.length === 0 ? (
                <span className="muted">—</span>
              ) : (
                <span className="tick-runs">
                  {tick.runIds.map((id) => (
                    <Link key={id} to={`/runs/${id}`} className="mono" title={id} data-testid="tick-run">
                      {shortId(id)}
                    </Link>
                  ))}
                </span>
              )}
            </td>
            <td className="small">
              {tick.skipReason && <div>{tick.skipReason}</div>}
              {tick.skippedRunKeys.length > 0 && (
                <div>
                  <span className="muted">skipped run keys (already ran): </span>
                  {tick.skippedRunKeys.map((k) => (
                    <span key={k} className="tag-chip">
                      {k}
                    </span>
                  ))}
                </div>
              )}
              {tick.error && (
                <details>
                  <summary className="error-text">{tick.error.message}</summary>
                  {tick.error.stack && <pre className="tick-stack">{tick.error.stack}</pre>}
                </details>
              )}
              {!tick.skipReason && tick.skippedRunKeys.length === 0 && !tick.error && <span className="muted">—</span>}
            </td>
            {sensor && <td className="mono small">{tick.cursor ?? <span className="muted">—</span>}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
