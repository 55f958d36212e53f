import { Link } from "react-router";
import { useApi } from "../api";
import { useThrottled } from "../assets/use-throttled";
import { ErrorBox, Loading, StatusBadge, Time } from "../components/common";
import { mayHaveMissed, useLive } from "../live";
import { BACKFILL_PARTITION_COLORS, plural, type BackfillJson, type BackfillPartitionStatus, type BackfillsPageJson } from "../partitions/partition-types";
import "../partitions/partitions.css";

const PROGRESS_ORDER: BackfillPartitionStatus[] = ["succeeded", "failed", "canceled", "launched", "pending"];

/** What a backfill runs, in a few words. */
export function targetText(backfill: BackfillJson): string {
  const t = backfill.target;
  if (t.kind === "job") return `job ${t.jobName}`;
  if (t.selection !== null) return t.selection;
  return t.assetKeys.length <= 3 ? t.assetKeys.join(", ") : `${t.assetKeys.slice(0, 3).join(", ")} +${t.assetKeys.length - 3}`;
}

/** Which partitions, as asked for. */
export function partitionSetText(backfill: BackfillJson): string {
  const s = backfill.partitionSet;
  switch (s.kind) {
    case "range":
      return `${s.first} … ${s.last}`;
    case "keys":
      return s.keys.length <= 3 ? s.keys.join(", ") : `${s.keys.length.toLocaleString("en-US")} keys`;
    default:
      return s.kind;
  }
}

/** A thin bar of a backfill's partitions by status, with the counts in its title. */
export function BackfillProgress({ backfill }: { backfill: BackfillJson }) {
  const total = PROGRESS_ORDER.reduce((sum, s) => sum + backfill.counts[s], 0);
  const title = PROGRESS_ORDER.filter((s) => backfill.counts[s] > 0)
    .map((s) => `${backfill.counts[s].toLocaleString("en-US")} ${s}`)
    .join(", ");
  return (
    <div className="row">
      <div className="backfill-progress" title={title}>
        {total > 0 && PROGRESS_ORDER.map((s) => (backfill.counts[s] > 0 ? <span key={s} style={{ width: `${(backfill.counts[s] / total) * 100}%`, background: BACKFILL_PARTITION_COLORS[s] }} /> : null))}
      </div>
      <span className="small" data-testid="backfill-counts">
        {backfill.counts.succeeded.toLocaleString("en-US")} / {total.toLocaleString("en-US")} succeeded
        {backfill.counts.failed > 0 && <span className="partition-node-failed"> · {backfill.counts.failed.toLocaleString("en-US")} failed</span>}
        {backfill.counts.launched > 0 && <span className="muted"> · {backfill.counts.launched.toLocaleString("en-US")} running</span>}
      </span>
    </div>
  );
}

/** The backfills (route /backfills), newest first, live. */
export function BackfillsPage() {
  const page = useApi<BackfillsPageJson>("/backfills?limit=100");
  const refresh = useThrottled(page.reload, 1000);
  useLive((m) => {
    if (m.kind === "backfill" || mayHaveMissed(m)) refresh();
  });
  const backfills = page.data?.backfills;
  return (
    <div data-testid="backfills-page">
      <h1>Backfills</h1>
      <p className="muted small">
        Launched from an asset's page, the lineage or a job's launchpad (choose a range, the missing or the failed partitions), or with <span className="mono">sluice backfill launch</span>.
      </p>
      {page.error && page.data && <ErrorBox error={page.error} />}
      <Loading error={page.data ? undefined : page.error}>
        {backfills &&
          (backfills.length === 0 ? (
            <p className="muted">No backfill yet.</p>
          ) : (
            <table className="backfills-table" data-testid="backfills-table">
              <thead>
                <tr>
                  <th>Backfill</th>
                  <th>Status</th>
                  <th>Target</th>
                  <th>Partitions</th>
                  <th>Progress</th>
                  <th>Created</th>
                  <th>Launched by</th>
                </tr>
              </thead>
              <tbody>
                {backfills.map((b) => (
                  <tr key={b.backfillId} data-backfill-id={b.backfillId}>
                    <td>
                      <Link className="mono" to={`/backfills/${encodeURIComponent(b.backfillId)}`}>
                        {b.backfillId}
                      </Link>
                    </td>
                    <td>
                      <StatusBadge status={b.status} />
                    </td>
                    <td className="mono">{targetText(b)}</td>
                    <td>
                      <span className="mono">{partitionSetText(b)}</span>
                      <div className="small muted">
                        {plural(b.partitionCount, "partition")}, {plural(b.runCount, "run")}
                      </div>
                    </td>
                    <td>
                      <BackfillProgress backfill={b} />
                    </td>
                    <td className="nowrap">
                      <Time iso={b.createdAt} />
                    </td>
                    <td>{b.launchedBy}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
      </Loading>
    </div>
  );
}
