/**
 * A lineage node's checks: counts of failed, warning and passed checks in their colours, with the
 * whole summary in the tooltip; nothing when the asset has no checks.
 */
import type { CheckSummaryJson } from "./check-types";
import "./checks.css";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The badge of an asset's check summary (null: the asset has no checks, and nothing is drawn). */
export function CheckBadge({ summary }: { summary: CheckSummaryJson | null | undefined }) {
  if (!summary) return null;
  const failed = summary.failed + summary.executionFailed;
  const total = failed + summary.warning + summary.passed + summary.missing;
  const parts = [
    summary.failed > 0 && `${summary.failed} failed`,
    summary.executionFailed > 0 && `${summary.executionFailed} errored`,
    summary.warning > 0 && `${summary.warning} with a warning`,
    summary.passed > 0 && `${summary.passed} passed`,
    summary.missing > 0 && `${summary.missing} not evaluated`,
  ].filter(Boolean);
  const title = `${plural(total, "check")}: ${parts.join(", ")}`;
  const tone = failed > 0 ? "bad" : summary.warning > 0 ? "warn" : summary.missing > 0 ? "muted" : "ok";
  return (
    <span
      className={`check-badge ${tone}`}
      data-testid="check-badge"
      data-failed={failed}
      data-warning={summary.warning}
      data-passed={summary.passed}
      data-missing={summary.missing}
      title={title}
      aria-label={title}
    >
      {failed > 0 && <span className="check-count bad">✕ {failed}</span>}
      {summary.warning > 0 && <span className="check-count warn">! {summary.warning}</span>}
      {summary.passed > 0 && <span className="check-count ok">✓ {summary.passed}</span>}
      {summary.missing > 0 && <span className="check-count muted">○ {summary.missing}</span>}
    </span>
  );
}
