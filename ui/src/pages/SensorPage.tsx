import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useApi } from "../api";
import { ErrorBox, Time } from "../components/common";
import type { SensorAnswerJson, SensorJson } from "../automation/automation-types";
import { InstigatorToggle } from "../automation/InstigatorToggle";
import { ResourcesFact } from "../automation/ResourcesFact";
import { FreshnessWatchFact } from "../assets/freshness-watch-fact";
import { TicksTable } from "../automation/TicksTable";
import { usePolling } from "../automation/use-polling";
import "../automation/automation.css";

/** The tag the daemon puts on every run a sensor launches. */
const SENSOR_NAME_TAG = "sluice/sensor_name";

/**
 * `/sensors/:name`: what the sensor watches, its cursor, its tick history (runs launched, run keys
 * skipped because they already ran, errors) and the switch that starts or stops it. Re-read every 3 s.
 */
export function SensorPage() {
  const { name = "" } = useParams();
  const detail = useApi<SensorAnswerJson>(`/sensors/${encodeURIComponent(name)}?ticks=25`);
  const [override, setOverride] = useState<Partial<SensorJson>>();
  useEffect(() => setOverride(undefined), [detail.data]);
  usePolling(detail.reload, 3000);

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
  const s = { ...detail.data.sensor, ...override };
  return (
    <div className="instigator-page">
      <div className="row">
        <h1>{s.name}</h1>
        <span className="badge muted">{s.type === "run_status" ? "run status sensor" : s.type === "asset" ? "asset sensor" : s.type === "freshness" ? "freshness sensor" : "sensor"}</span>
        <span className="spacer" />
        <InstigatorToggle<SensorJson>
          kind="sensors"
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
          {s.assetKey && (
            <div>
              <dt>Watches asset</dt>
              <dd>
                <Link to={`/assets/${s.assetKey}`} className="mono">{s.assetKey}</Link>
              </dd>
            </div>
          )}
          {s.runStatus && (
            <div>
              <dt>Watches runs</dt>
              <dd>
                {s.runStatus.toLowerCase()}
                {s.monitoredJobs.length > 0 ? ` of ${s.monitoredJobs.join(", ")}` : " of any job"}
              </dd>
            </div>
          )}
          {s.freshness && <FreshnessWatchFact watch={s.freshness} />}
          <ResourcesFact resources={s.resources} />
          <div>
            <dt>Interval</dt>
            <dd>at most every {s.minimumIntervalSeconds} s</dd>
          </div>
          <div>
            <dt>Default</dt>
            <dd>{s.defaultStatus.toLowerCase()}</dd>
          </div>
          <div>
            <dt>Last tick</dt>
            <dd>
              <Time iso={s.lastTickAt} />
            </dd>
          </div>
          <div>
            <dt>Runs</dt>
            <dd>
              <Link to={`/runs?tag=${encodeURIComponent(`${SENSOR_NAME_TAG}:${s.name}`)}`}>runs it launched</Link>
            </dd>
          </div>
        </dl>
        <div className="sensor-cursor">
          <span className="filter-label">Cursor</span>
          {s.cursor === null ? <span className="muted"> none yet</span> : <pre className="mono" data-testid="sensor-cursor">{s.cursor}</pre>}
        </div>
      </div>
      <h2>Tick history</h2>
      <TicksTable ticks={s.ticks} sensor />
    </div>
  );
}
