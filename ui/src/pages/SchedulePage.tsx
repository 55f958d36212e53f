import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useApi } from "../api";
import { ErrorBox, Time } from "../components/common";
import type { ScheduleAnswerJson, ScheduleJson } from "../automation/automation-types";
import { cronText, inZone } from "../automation/format";
import { InstigatorToggle } from "../automation/InstigatorToggle";
import { ResourcesFact } from "../automation/ResourcesFact";
import { TicksTable } from "../automation/TicksTable";
import { usePolling } from "../automation/use-polling";
import { TagChips } from "../runs/RunsTable";
import "../automation/automation.css";

/** The tag the daemon puts on every run a schedule launches. */
const SCHEDULE_NAME_TAG = "sluice/schedule_name";

/**
 * `/schedules/:name`: the schedule's cron and time zone, its next five ticks, its tick history
 * with the runs each tick launched, and the switch that starts or stops it. Re-read every 5 s.
 */
export function SchedulePage() {
  const { name = "" } = useParams();
  const detail = useApi<ScheduleAnswerJson>(`/schedules/${encodeURIComponent(name)}?nextTicks=5&ticks=25`);
  const [override, setOverride] = useState<Partial<ScheduleJson>>();
  useEffect(() => setOverride(undefined), [detail.data]);
  usePolling(detail.reload, 5000);

  if (detail.error && !detail.data) {
    return (
      <div>
        <h1>{name}</h1>
        <ErrorBox error={detail.error} />
        <p>
          <Link to="/automation">All schedules and sensors</Link>
        </p>
      </div>
    );
  }
  if (!detail.data) return <p className="muted">Loading…</p>;
  const s = { ...detail.data.schedule, ...override };
  return (
    <div className="instigator-page">
      <div className="row">
        <h1>{s.name}</h1>
        <span className="badge muted">schedule</span>
        <span className="spacer" />
        <InstigatorToggle<ScheduleJson>
          kind="schedules"
          name={s.name}
          running={s.status === "RUNNING"}
          onChange={(updated) => {
            setOverride({ status: updated.status, state: updated.state });
            detail.reload();
          }}
        />
      </div>
      {s.description && <p>{s.description}</p>}
      <div className="panel">
        <dl className="facts">
          <div>
            <dt>Target</dt>
            <dd>{s.jobName ? <Link to={`/jobs/${encodeURIComponent(s.jobName)}`} className="mono">{s.jobName}</Link> : <span className="mono">{s.selection ?? "—"}</span>}</dd>
          </div>
          <div>
            <dt>Cron</dt>
            <dd className="mono" data-testid="schedule-cron">{cronText(s.cron)}</dd>
          </div>
          <div>
            <dt>Time zone</dt>
            <dd>{s.timezone}</dd>
          </div>
          <div>
            <dt>Default</dt>
            <dd>{s.defaultStatus.toLowerCase()}</dd>
          </div>
          <div>
            <dt>Catch-up ticks</dt>
            <dd>{s.catchUpTicks}</dd>
          </div>
          <ResourcesFact resources={s.resources} />
          {s.state && (
            <div>
              <dt>Turned {s.state.status === "RUNNING" ? "on" : "off"}</dt>
              <dd>
                <Time iso={s.state.updatedAt} />
              </dd>
            </div>
          )}
          <div>
            <dt>Runs</dt>
            <dd>
              <Link to={`/runs?tag=${encodeURIComponent(`${SCHEDULE_NAME_TAG}:${s.name}`)}`}>runs it launched</Link>
            </dd>
          </div>
        </dl>
        {Object.keys(s.tags).length > 0 && (
          <div className="row" style={{ marginTop: 8 }}>
            <span className="filter-label">Run tags</span> <TagChips tags={s.tags} />
          </div>
        )}
      </div>
      <h2>Next ticks</h2>
      {s.status !== "RUNNING" && <p className="muted small">The schedule is stopped: these are the times it would tick once started.</p>}
      {s.nextTicks.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ol className="next-ticks" data-testid="next-ticks">
          {s.nextTicks.map((t) => (
            <li key={t}>
              <span>{inZone(t, s.timezone)}</span> <span className="mono small muted">{t}</span>{" "}
              <span className="muted small">
                (<Time iso={t} />)
              </span>
            </li>
          ))}
        </ol>
      )}
      <h2>Tick history</h2>
      <TicksTable ticks={s.ticks} />
    </div>
  );
}
