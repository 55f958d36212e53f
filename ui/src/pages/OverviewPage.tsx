import { useEffect } from "react";
import { Link } from "react-router";
import { useApi } from "../api";
import { useThrottled } from "../assets/use-throttled";
import { duration, ErrorBox, Loading, StatusBadge, Time } from "../components/common";
import { mayHaveMissed, useLive } from "../live";
import type { OverviewJson, RunJson } from "../types";
import "./overview.css";

/** The job name of ad-hoc materializations (src/execution/materialize-assets.ts). */
const ASSET_JOB_NAME = "__asset_job";
/** Heartbeat ages move without any run event: poll for them. */
const POLL_MS = 10_000;

/** What a run ran: its job, or the assets it selected. */
function runTarget(run: RunJson): { label: string; to: string | null } {
  if (run.jobName && run.jobName !== ASSET_JOB_NAME) return { label: run.jobName, to: `/jobs/${encodeURIComponent(run.jobName)}` };
  if (run.selectionExpression) return { label: run.selectionExpression, to: null };
  const keys = run.selection ?? [];
  const label = keys.length <= 3 ? keys.join(", ") : `${keys.slice(0, 2).join(", ")} and ${keys.length - 2} more`;
  return { label: label || "—", to: null };
}

/** Home (route /): runs in flight and queued, recent runs and failures, daemon health, what is defined. Live. */
export function OverviewPage() {
  const overview = useApi<OverviewJson>("/overview");
  const refresh = useThrottled(overview.reload, 1000);
  useLive((m) => {
    if (m.kind === "run" || m.kind === "definitions" || mayHaveMissed(m)) refresh();
  });
  useEffect(() => {
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [refresh]);
  const data = overview.data;
  return (
    <div className="overview-page" data-testid="overview-page">
      <h1>Overview</h1>
      <Loading error={data ? undefined : overview.error}>
        {data && (
          <>
            {overview.error && <ErrorBox error={overview.error} />}
            <div className="overview-tiles">
              <Tile label="In progress" value={data.inProgress} to="/runs?status=STARTING,STARTED,CANCELING" testId="count-in-progress" tone={data.inProgress ? "info" : undefined} />
              <Tile label="Queued" value={data.queued} to="/runs?status=QUEUED" testId="count-queued" tone={data.queued ? "info" : undefined} />
              <Tile label="Recent failures" value={data.recentFailures.length} to="/runs?status=FAILURE" testId="count-failures" tone={data.recentFailures.length ? "bad" : undefined} />
              <Tile label="Assets" value={data.definitions.counts?.assets} to="/assets" testId="count-assets" />
              <Tile label="Jobs" value={data.definitions.counts?.jobs} to="/jobs" testId="count-jobs" />
              <Tile label="Schedules" value={data.definitions.counts?.schedules} to="/automation" testId="count-schedules" />
              <Tile label="Sensors" value={data.definitions.counts?.sensors} to="/automation" testId="count-sensors" />
            </div>
            <div className="overview-columns">
              <div>
                <section>
                  <h2>Recent runs</h2>
                  <RunsTable runs={data.recentRuns} testId="recent-runs" empty="No runs yet. Materialize assets from the Assets page, or launch a job." />
                </section>
                <section>
                  <h2>Recent failures</h2>
                  <RunsTable runs={data.recentFailures} testId="recent-failures" empty="No failed runs." />
                </section>
              </div>
              <aside>
                <Daemon daemon={data.daemon} />
                <section className="panel overview-definitions">
                  <h2>Definitions</h2>
                  <p className="small">
                    Generation {data.definitions.generation}
                    {data.definitions.loadedAt && (
                      <>
                        , loaded <Time iso={data.definitions.loadedAt} />
                      </>
                    )}
                  </p>
                  {data.definitions.source && <p className="mono small overview-source">{data.definitions.source}</p>}
                  {data.definitions.loadError && (
                    <p className="small overview-bad">The last reload failed: {data.definitions.loadError.message}</p>
                  )}
                </section>
              </aside>
            </div>
          </>
        )}
      </Loading>
    </div>
  );
}

function Tile({ label, value, to, testId, tone }: { label: string; value: number | undefined; to: string; testId: string; tone?: "info" | "bad" }) {
  return (
    <Link to={to} className={`overview-tile${tone ? ` ${tone}` : ""}`} data-testid={testId}>
      <span className="overview-tile-value">{value === undefined ? "—" : value.toLocaleString()}</span>
      <span className="overview-tile-label">{label}</span>
    </Link>
  );
}

function RunsTable({ runs, testId, empty }: { runs: RunJson[]; testId: string; empty: string }) {
  if (runs.length === 0) return <p className="muted" data-testid={testId}>{empty}</p>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Run</th>
          <th>Status</th>
          <th>Target</th>
          <th>Created</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => {
          const target = runTarget(run);
          return (
            <tr key={run.runId} data-run-id={run.runId}>
              <td>
                <Link className="mono" to={`/runs/${run.runId}`}>
                  {run.runId.slice(0, 8)}
                </Link>
              </td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td className="mono overview-target">{target.to ? <Link to={target.to}>{target.label}</Link> : target.label}</td>
              <td className="nowrap">
                <Time iso={run.createdAt} />
              </td>
              <td className="nowrap">{duration(run.startedAt, run.endedAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Daemon({ daemon }: { daemon: OverviewJson["daemon"] }) {
  const overall = !daemon.running ? "NOT_RUNNING" : daemon.healthy ? "HEALTHY" : "UNHEALTHY";
  return (
    <section className="panel" data-testid="daemon-health">
      <h2 className="row">
        Daemon <StatusBadge status={overall} />
      </h2>
      <p className="small muted">
        {daemon.running ? (daemon.inProcess ? "Running inside this server (sluice dev)." : "Running as a separate `sluice daemon`.") : "No daemon heartbeat in the last 30 s: queued runs, schedules and sensors wait until `sluice daemon` (or `sluice dev`) runs."}
      </p>
      {daemon.heartbeats.length > 0 && (
        <table className="overview-heartbeats" data-testid="heartbeats">
          <thead>
            <tr>
              <th>Loop</th>
              <th>Last beat</th>
              <th>Health</th>
            </tr>
          </thead>
          <tbody>
            {daemon.heartbeats.map((h) => (
              <tr key={`${h.daemonType}/${h.daemonId}`} data-daemon-type={h.daemonType}>
                <td className="mono" title={h.daemonId}>
                  {h.daemonType}
                </td>
                <td className="nowrap">{h.ageSeconds} s ago</td>
                <td>
                  <StatusBadge status={h.health} />
                  {h.errors.map((e, i) => (
                    <div key={i} className="small overview-bad">
                      {e.className}: {e.message}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
