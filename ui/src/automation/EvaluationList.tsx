import { Time } from "../components/common";
import type { AutomationEvaluationJson } from "./condition-types";
import { partitionCount, requestedText } from "./condition-text";

/**
 * Kept evaluations, newest first, one row each (time, what it requested, the root's result); a
 * click selects one. Paged: "Older" asks for the page after the last row.
 */
export function EvaluationList({
  evaluations,
  partitioned,
  selectedId,
  onSelect,
  onOlder,
  onNewest,
}: {
  evaluations: AutomationEvaluationJson[];
  partitioned: boolean;
  selectedId: number | null;
  onSelect: (id: number) => void;
  /** Undefined on the last page. */
  onOlder: (() => void) | undefined;
  /** Undefined on the first page. */
  onNewest: (() => void) | undefined;
}) {
  return (
    <>
      <table className="evaluation-list" data-testid="evaluation-list">
        <thead>
          <tr>
            <th>Evaluated</th>
            <th>Result</th>
            <th>Requested</th>
          </tr>
        </thead>
        <tbody>
          {evaluations.map((e) => {
            const result = e.tree.trueCount > 0;
            return (
              <tr
                key={e.id}
                className={e.id === selectedId ? "selected" : undefined}
                onClick={() => onSelect(e.id)}
                data-testid="evaluation-row"
                data-evaluation={e.evaluationId}
                aria-selected={e.id === selectedId}
              >
                <td>
                  <Time iso={e.evaluatedAt} /> <span className="muted small">#{e.evaluationId}</span>
                </td>
                <td className={result ? "nowrap" : "nowrap muted"} title={partitioned ? partitionCount(e.tree.trueCount, e.tree.candidateCount) : undefined}>
                  <span className={`condition-mark ${result ? "true" : "false"}`}>{result ? "✓" : "✗"}</span>{" "}
                  {partitioned ? (
                    <span className="small">
                      {e.tree.trueCount} of {e.tree.candidateCount}
                    </span>
                  ) : null}
                </td>
                <td className={e.requestedCount > 0 ? "" : "muted"}>{requestedText(e.requestedCount, partitioned)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {(onOlder || onNewest) && (
        <div className="evaluation-pager">
          <button type="button" disabled={!onNewest} onClick={onNewest}>
            ← Newest
          </button>
          <button type="button" disabled={!onOlder} onClick={onOlder} data-testid="evaluations-older">
            Older →
          </button>
        </div>
      )}
    </>
  );
}
