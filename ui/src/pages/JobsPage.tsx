import { Link } from "react-router";
import { useApi } from "../api";
import { Loading } from "../components/common";
import type { DefinitionsJson } from "../jobs/job-types";
import { TagChips } from "../runs/RunsTable";
import "../jobs/jobs.css";

/** `/jobs`: every job of the definitions, with its steps, and the schedules and sensors that launch it. */
export function JobsPage() {
  const definitions = useApi<DefinitionsJson>("/definitions");
  const snapshot = definitions.data?.snapshot;
  return (
    <div>
      <h1>Jobs</h1>
      <Loading error={definitions.error}>
        {definitions.data && !snapshot ? (
          <p className="muted">No definitions are loaded yet.</p>
        ) : snapshot ? (
          snapshot.jobs.length === 0 ? (
            <p className="muted">
              These definitions have no jobs. Declare one with <span className="mono">job()</span> or <span className="mono">assetJob()</span>; assets
              can still be materialized from the Assets page.
            </p>
          ) : (
            <table data-testid="jobs-table">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>Type</th>
                  <th>Steps</th>
                  <th>Launched by</th>
                  <th>Tags</th>
                </tr>
              </thead>
              <tbody>
                {snapshot.jobs.map((job) => {
                  const schedules = snapshot.schedules.filter((s) => s.jobName === job.name);
                  const sensors = snapshot.sensors.filter((s) => s.jobName === job.name);
                  return (
                    <tr key={job.name} data-job={job.name}>
                      <td>
                        <Link to={`/jobs/${encodeURIComponent(job.name)}`} className="mono">
                          {job.name}
                        </Link>
                        {job.description && <div className="muted small">{job.description}</div>}
                      </td>
                      <td>{job.type === "asset" ? "assets" : "ops"}</td>
                      <td title={job.steps.map((s) => s.key).join("\n")}>{job.steps.length}</td>
                      <td>
                        {schedules.length + sensors.length === 0 && <span className="muted">—</span>}
                        {schedules.map((s) => (
                          <div key={`schedule:${s.name}`}>
                            <span className="muted small">schedule </span>
                            <Link to={`/schedules/${encodeURIComponent(s.name)}`}>{s.name}</Link>
                          </div>
                        ))}
                        {sensors.map((s) => (
                          <div key={`sensor:${s.name}`}>
                            <span className="muted small">sensor </span>
                            <Link to={`/sensors/${encodeURIComponent(s.name)}`}>{s.name}</Link>
                          </div>
                        ))}
                      </td>
                      <td>
                        <TagChips tags={job.tags} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        ) : null}
      </Loading>
    </div>
  );
}
