import { Link, useParams } from "react-router";
import { useApi } from "../api";
import { ErrorBox, Loading } from "../components/common";
import type { DefinitionsJson } from "../jobs/job-types";
import { JobSteps } from "../jobs/JobSteps";
import { Launchpad } from "../jobs/Launchpad";
import { useLive } from "../live";
import { RunsTable, TagChips } from "../runs/RunsTable";
import { useLiveRuns } from "../runs/use-live-runs";
import "../jobs/jobs.css";

/**
 * `/jobs/:name`: what the job runs (its steps as a layered graph), its latest runs (live), and the
 * launchpad to start it with config.
 */
export function JobPage() {
  const { name = "" } = useParams();
  const definitions = useApi<DefinitionsJson>("/definitions");
  // A reload may change the job's steps or schema; the editor's text stays as the user left it.
  useLive((m) => {
    if (m.kind === "definitions") definitions.reload();
  });
  const runs = useLiveRuns({ statuses: [], job: name, tags: [] }, 10);
  const snapshot = definitions.data?.snapshot;
  const job = snapshot?.jobs.find((j) => j.name === name);

  if (definitions.error) return <ErrorBox error={definitions.error} />;
  if (!definitions.data) return <p className="muted">Loading…</p>;
  if (!job) {
    return (
      <div>
        <h1 className="mono">{name}</h1>
        <div className="banner error" role="alert" data-testid="error">
          <strong>NOT_FOUND: </strong>Job "{name}" is not defined{snapshot ? `. Known jobs: ${snapshot.jobs.map((j) => j.name).join(", ") || "(none)"}` : " (no definitions are loaded)"}.
        </div>
        <p>
          <Link to="/jobs">All jobs</Link>
        </p>
      </div>
    );
  }
  const schedules = snapshot!.schedules.filter((s) => s.jobName === job.name);
  const sensors = snapshot!.sensors.filter((s) => s.jobName === job.name);
  return (
    <div className="job-page">
      <div className="row">
        <h1 className="mono">{job.name}</h1>
        <span className="badge muted">{job.type === "asset" ? "asset job" : "op job"}</span>
      </div>
      {job.description && <p>{job.description}</p>}
      <div className="row small job-facts">
        {job.selection !== null && (
          <span>
            <span className="filter-label">Selection</span> <span className="mono">{Array.isArray(job.selection) ? job.selection.join(", ") : job.selection}</span>
          </span>
        )}
        {Object.keys(job.tags).length > 0 && (
          <span className="row">
            <span className="filter-label">Tags</span> <TagChips tags={job.tags} />
          </span>
        )}
        {schedules.map((s) => (
          <span key={s.name}>
            <span className="filter-label">Schedule</span> <Link to={`/schedules/${encodeURIComponent(s.name)}`}>{s.name}</Link>
          </span>
        ))}
        {sensors.map((s) => (
          <span key={s.name}>
            <span className="filter-label">Sensor</span> <Link to={`/sensors/${encodeURIComponent(s.name)}`}>{s.name}</Link>
          </span>
        ))}
      </div>
      <h2>Launchpad</h2>
      <Launchpad key={job.name} job={job} />
      <h2>
        Steps <span className="muted small">{job.steps.length}</span>
      </h2>
      <JobSteps job={job} />
      <h2>
        Latest runs{" "}
        <Link className="small" to={`/runs?job=${encodeURIComponent(job.name)}`}>
          all runs of this job
        </Link>
      </h2>
      <Loading error={runs.error}>{runs.data ? <RunsTable runs={runs.data.runs} empty="This job has not run yet." /> : undefined}</Loading>
    </div>
  );
}
