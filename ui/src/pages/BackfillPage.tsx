import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, ApiError, useApi } from "../api";
import { assetPath } from "../assets/asset-json";
import { useThrottled } from "../assets/use-throttled";
import { ErrorBox, Loading, StatusBadge, Time } from "../components/common";
import { mayHaveMissed, useLive } from "../live";
import { BACKFILL_PARTITION_COLORS, plural, type BackfillAnswerJson, type BackfillJson, type BackfillLaunchAnswerJson, type BackfillPartitionJson } from "../partitions/partition-types";
import "../partitions/partitions.css";
import { BackfillProgress, partitionSetText } from "./BackfillsPage";

/** Partitions (cells of the grid) per page: 10,000 partitions are five pages. */
export const GRID_PAGE = 2000;
/** The tag of a backfill's runs (src/runs/new-run.ts BACKFILL_TAG). */
const BACKFILL_TAG = "sluice/backfill";
const FINISHED = new Set(["COMPLETED", "FAILED", "CANCELED"]);

/**
 * One backfill (route /backfills/:id): what it runs, its progress, and a grid of its partitions
 * (one cell per partition and group, coloured by status, linking to its run), a page of
 * GRID_PAGE at a time; live. Cancel (confirmed), Resume, Retry failed.
 */
export function BackfillPage() {
  const id = useParams().id ?? "";
  const [offset, setOffset] = useState(0);
  const answer = useApi<BackfillAnswerJson>(id ? `/backfills/${encodeURIComponent(id)}?offset=${offset}&limit=${GRID_PAGE}` : null);
  const refresh = useThrottled(answer.reload, 750);
  useLive((m) => {
    if (m.kind === "backfill" && m.backfill.backfillId === id) refresh();
    else if (m.kind === "run" && m.run.tags[BACKFILL_TAG] === id) refresh();
    else if (mayHaveMissed(m)) refresh();
  });
  const data = answer.data;
  return (
    <div className="backfill-page" data-testid="backfill-page">
      <div className="small muted">
        <Link to="/backfills">Backfills</Link>
      </div>
      <Loading error={data ? undefined : answer.error}>
        {data && (
          <>
            <div className="row">
              <h1 className="mono">{data.backfill.backfillId}</h1>
              <span data-testid="backfill-status" data-status={data.backfill.status}>
                <StatusBadge status={data.backfill.status} />
              </span>
              <span className="spacer" />
              <Actions backfill={data.backfill} onChanged={answer.reload} />
            </div>
            {answer.error && <ErrorBox error={answer.error} />}
            <Facts backfill={data.backfill} />
            <Grid data={data} offset={offset} setOffset={setOffset} />
          </>
        )}
      </Loading>
    </div>
  );
}

function Facts({ backfill: b }: { backfill: BackfillJson }) {
  return (
    <section className="panel" data-testid="backfill-facts">
      <dl className="backfill-facts">
        <dt>Target</dt>
        <dd className="mono">
          {b.target.kind === "job" ? (
            <Link to={`/jobs/${encodeURIComponent(b.target.jobName)}`}>job {b.target.jobName}</Link>
          ) : (
            <>
              {b.target.selection !== null && <div>{b.target.selection}</div>}
              {b.target.assetKeys.map((k) => (
                <Link key={k} to={assetPath(k)} className="asset-job">
                  {k}
                </Link>
              ))}
            </>
          )}
        </dd>
        <dt>Partitions</dt>
        <dd>
          <span className="mono">{partitionSetText(b)}</span> · {plural(b.partitionCount, "partition")}, {plural(b.runCount, "run")}
        </dd>
        <dt>Progress</dt>
        <dd>
          <BackfillProgress backfill={b} />
        </dd>
        <dt>Created</dt>
        <dd>
          <Time iso={b.createdAt} /> by {b.launchedBy}
          {b.endedAt && (
            <span className="muted">
              {" "}
              · ended <Time iso={b.endedAt} />
            </span>
          )}
        </dd>
        {b.parentBackfillId && (
          <>
            <dt>Retries</dt>
            <dd>
              <Link className="mono" to={`/backfills/${encodeURIComponent(b.parentBackfillId)}`}>
                {b.parentBackfillId}
              </Link>
            </dd>
          </>
        )}
        {Object.keys(b.tags).length > 0 && (
          <>
            <dt>Tags</dt>
            <dd className="mono small">{Object.entries(b.tags).map(([k, v]) => `${k}=${v}`).join(", ")}</dd>
          </>
        )}
        {b.error && (
          <>
            <dt>Error</dt>
            <dd className="partition-node-failed">{b.error}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

/** Cancel (after a confirmation), Resume, Retry failed: what the backfill's status allows. */
function Actions({ backfill: b, onChanged }: { backfill: BackfillJson; onChanged: () => void }) {
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const post = async (action: "cancel" | "resume" | "retry-failed") => {
    setBusy(true);
    setError(null);
    try {
      const { backfill } = await api<BackfillLaunchAnswerJson>(`/backfills/${encodeURIComponent(b.backfillId)}/${action}`, { method: "POST" });
      if (action === "retry-failed") void navigate(`/backfills/${encodeURIComponent(backfill.backfillId)}`);
      else onChanged();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  const retryable = FINISHED.has(b.status) && b.counts.failed + b.counts.canceled > 0;
  return (
    <div className="row">
      {b.status === "REQUESTED" &&
        (confirming ? (
          <span className="row backfill-confirm" data-testid="cancel-confirm">
            Cancel? Nothing more is launched; runs in flight finish.
            <button type="button" className="danger" disabled={busy} onClick={() => void post("cancel")} data-testid="cancel-confirm-yes">
              Cancel backfill
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </span>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="backfill-cancel">
            Cancel
          </button>
        ))}
      {(b.status === "FAILED" || b.status === "CANCELED") && (
        <button type="button" disabled={busy} onClick={() => void post("resume")} data-testid="backfill-resume" title="Launch its partitions that did not succeed, in this backfill">
          Resume
        </button>
      )}
      {retryable && (
        <button type="button" className="primary" disabled={busy} onClick={() => void post("retry-failed")} data-testid="backfill-retry-failed" title="A new backfill of the failed and canceled partitions">
          Retry failed ({(b.counts.failed + b.counts.canceled).toLocaleString("en-US")})
        </button>
      )}
      {error && (
        <div data-testid="backfill-action-error">
          <ErrorBox error={error} />
        </div>
      )}
    </div>
  );
}

/** A group by its name, else by its assets. */
function groupLabel(backfill: BackfillJson, name: string): string {
  const group = backfill.groups.find((g) => g.name === name);
  const keys = group ? group.assetKeys.join(", ") : "";
  return name ? `${name}${keys ? `: ${keys}` : ""}` : keys;
}

function cellTitle(p: BackfillPartitionJson): string {
  return `${p.partition}: ${p.status}${p.runStatus ? ` (run ${p.runStatus.toLowerCase()})` : ""}${p.reason ? ` — ${p.reason}` : ""}`;
}

/** One page of the partitions, per group, one cell each; a cell with a run links to it. */
function Grid({ data, offset, setOffset }: { data: BackfillAnswerJson; offset: number; setOffset: (n: number) => void }) {
  const { total } = data.page;
  const byGroup = new Map<string, BackfillPartitionJson[]>();
  for (const p of data.partitions) byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), p]);
  return (
    <section data-testid="backfill-grid">
      <div className="row">
        <h2>Partitions</h2>
        <span className="row small">
          {(Object.keys(BACKFILL_PARTITION_COLORS) as (keyof typeof BACKFILL_PARTITION_COLORS)[]).map((s) => (
            <span key={s} className="partition-count">
              <span className="swatch" style={{ background: BACKFILL_PARTITION_COLORS[s] }} /> {s}
            </span>
          ))}
        </span>
        <span className="spacer" />
        {total > GRID_PAGE && (
          <span className="row small" data-testid="grid-pager">
            <button type="button" className="small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - GRID_PAGE))}>
              ← Previous
            </button>
            {(offset + 1).toLocaleString("en-US")}–{Math.min(total, offset + GRID_PAGE).toLocaleString("en-US")} of {total.toLocaleString("en-US")}
            <button type="button" className="small" disabled={offset + GRID_PAGE >= total} onClick={() => setOffset(offset + GRID_PAGE)}>
              Next →
            </button>
          </span>
        )}
      </div>
      {[...byGroup].map(([group, parts]) => (
        <div key={group} data-testid="backfill-group" data-group={group}>
          <div className="small muted">
            <span className="mono">{groupLabel(data.backfill, group)}</span>
          </div>
          <div className="backfill-grid">
            {parts.map((p) =>
              p.runId ? (
                <Link
                  key={p.partition}
                  to={`/runs/${p.runId}`}
                  className="backfill-cell"
                  style={{ background: BACKFILL_PARTITION_COLORS[p.status] }}
                  title={cellTitle(p)}
                  data-testid="backfill-cell"
                  data-partition={p.partition}
                  data-status={p.status}
                />
              ) : (
                <span key={p.partition} className="backfill-cell" style={{ background: BACKFILL_PARTITION_COLORS[p.status] }} title={cellTitle(p)} data-testid="backfill-cell" data-partition={p.partition} data-status={p.status} />
              ),
            )}
          </div>
        </div>
      ))}
    </section>
  );
}
