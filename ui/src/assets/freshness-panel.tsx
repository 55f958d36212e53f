/**
 * The asset page's freshness panel: the policy in words ("at most 1h old", "by 09:00 Europe/Paris,
 * at most 2h old"), the status pill, the last materialization judged, its lag, and the deadline
 * ("must be materialized by"). Nothing for an asset without a policy.
 */
import { relative, Time } from "../components/common";
import type { FreshnessJson, FreshnessStatusJson } from "./asset-json";
import "./freshness.css";
import { useFreshnessDeadline } from "./use-freshness-deadline";

const LABEL: Record<FreshnessStatusJson, string> = { FRESH: "fresh", STALE: "stale", OVERDUE: "overdue", UNKNOWN: "unknown" };
const HINT: Record<FreshnessStatusJson, string> = {
  FRESH: "Its data is as recent as its freshness policy asks.",
  STALE: "It met its last deadline, but its data is older than its policy's lag now: materialize it before the next deadline.",
  OVERDUE: "Its data is older than its freshness policy allows: materialize it.",
  UNKNOWN: "Never materialized, and no deadline has passed yet.",
};

/** The status as a coloured pill. */
export function FreshnessPill({ status }: { status: FreshnessStatusJson }) {
  return (
    <span className={`freshness-pill ${status}`} data-testid="freshness-status" title={HINT[status]}>
      {LABEL[status]}
    </span>
  );
}

/** `1h 5min`, `42 s`. */
function lagText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/**
 * The panel, or nothing without a policy. `onDue` is called when the deadline it shows passes
 * (the status may change then with no run or event to say so): the page refetches.
 */
export function FreshnessPanel({ freshness, onDue }: { freshness: FreshnessJson | null | undefined; onDue?: () => void }) {
  useFreshnessDeadline([freshness?.nextDeadline], onDue);
  if (!freshness) return null;
  // A lag-only policy's deadline passes when it goes overdue; a cron's is always the next tick.
  const late = Date.parse(freshness.nextDeadline) < Date.parse(freshness.evaluatedAt);
  return (
    <section className="panel" data-testid="asset-freshness">
      <h2>
        Freshness <FreshnessPill status={freshness.status} />
      </h2>
      <p className="small" data-testid="freshness-policy">
        Policy: {freshness.policy.description}
      </p>
      <dl className="freshness-facts">
        <dt>Last materialization</dt>
        <dd>
          <Time iso={freshness.lastMaterializationAt} />
          {freshness.partition && <span className="mono small"> (partition {freshness.partition})</span>}
        </dd>
        <dt>Lag</dt>
        <dd data-testid="freshness-lag">{freshness.lagMs === null ? "—" : lagText(freshness.lagMs)}</dd>
        <dt>{late ? "Was due by" : "Must be materialized by"}</dt>
        <dd data-testid="freshness-deadline" className={late ? "freshness-late" : undefined}>
          <time dateTime={freshness.nextDeadline} title={new Date(freshness.nextDeadline).toLocaleString()}>
            {new Date(freshness.nextDeadline).toLocaleString()}
          </time>
          <span className="muted"> ({relative(freshness.nextDeadline)})</span>
        </dd>
      </dl>
    </section>
  );
}
