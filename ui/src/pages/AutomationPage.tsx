import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { useApi } from "../api";
import { Loading, StatusBadge, Time } from "../components/common";
import type { ScheduleJson, SchedulesJson, SensorJson, SensorsJson } from "../automation/automation-types";
import { cronText, inZone } from "../automation/format";
import { AutomationLoopSection } from "../automation/AutomationLoopSection";
import { InstigatorToggle } from "../automation/InstigatorToggle";
import { usePolling } from "../automation/use-polling";
import "../automation/automation.css";

/** What a schedule or sensor launches: a job (linked) or an asset selection. */
function Target({ jobName, selection }: { jobName: string | null; selection: string | null }) {
  if (jobName) return <Link to={`/jobs/${encodeURIComponent(jobName)}`} className="mono">{jobName}</Link>;
  if (selection) return <span className="mono">{selection}</span>;
  return <span className="muted">—</span>;
}

/**
 * `/automation`: schedules (cron, time zone, next tick, last tick) and sensors (type, interval,
 * last tick, cursor), each with a switch that starts or stops it, and the loop that evaluates assets'
 * automation conditions. Re-read every 5 s for new ticks.
 */
export function AutomationPage() {
  const schedules = useApi<SchedulesJson>("/schedules");
  const sensors = useApi<SensorsJson>("/sensors");
  const [scheduleOverrides, setScheduleOverrides] = useState<Record<string, ScheduleJson>>({});
  const [sensorOverrides, setSensorOverrides] = useState<Record<string, SensorJson>>({});
  const reloadBoth = useCallback(() => {
    schedules.reload();
    sensors.reload();
  }, [schedules.reload, sensors.reload]);
  usePolling(reloadBoth, 5000);
  // A toggle's answer shows at once; the next read replaces it.
  useEffect(() => setScheduleOverrides({}), [schedules.data]);
  useEffect(() => setSensorOverrides({}), [sensors.data]);

  return (
    <div className="automation-page">
      <h1>Automation</h1>
      <h2>Schedules</h2>
      <Loading error={schedules.error}>
        {schedules.data &&
          (schedules.data.schedules.length === 0 ? (
            <p className="muted">No schedules are defined. Add one with <span className="mono">schedule()</span> in your definitions.</p>
          ) : (
            <table data-testid="schedules-table">
              <thead>
                <tr>
                  <th>Running</th>
                  <th>Schedule</th>
                  <th>Target</th>
                  <th>Cron</th>
                  <th>Next tick</th>
                  <th>Last tick</th>
                </tr>
              </thead>
              <tbody>
                {schedules.data.schedules.map((fetched) => {
                  const s = scheduleOverrides[fetched.name] ?? fetched;
                  return (
                    <tr key={s.name} data-schedule={s.name}>
                      <td>
                        <InstigatorToggle<ScheduleJson>
                          kind="schedules"
                          name={s.name}
                          running={s.status === "RUNNING"}
                          onChange={(updated) => {
                            setScheduleOverrides((o) => ({ ...o, [s.name]: { ...s, ...updated } }));
                            schedules.reload();
                          }}
                        />
                      </td>
                      <td>
                        <Link to={`/schedules/${encodeURIComponent(s.name)}`}>{s.name}</Link>
                        {s.description && <div className="muted small">{s.description}</div>}
                      </td>
                      <td>
                        <Target jobName={s.jobName} selection={s.selection} />
                      </td>
                      <td>
                        <span className="mono">{cronText(s.cron)}</span>
                        <div className="muted small">{s.timezone}</div>
                      </td>
                      <td>
                        {s.nextTick ? (
                          <>
                            <div>{inZone(s.nextTick, s.timezone)}</div>
                            <div className="muted small">
                              <Time iso={s.nextTick} />
                              {s.status !== "RUNNING" && " (if started)"}
                            </div>
                          </>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td>
                        {s.lastTick ? (
                          <>
                            <StatusBadge status={s.lastTick.status} /> <Time iso={s.lastTick.tickTime} />
                          </>
                        ) : (
                          <span className="muted">never ticked</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ))}
      </Loading>
      <h2>Sensors</h2>
      <Loading error={sensors.error}>
        {sensors.data &&
          (sensors.data.sensors.length === 0 ? (
            <p className="muted">No sensors are defined. Add one with <span className="mono">sensor()</span> in your definitions.</p>
          ) : (
            <table data-testid="sensors-table">
              <thead>
                <tr>
                  <th>Running</th>
                  <th>Sensor</th>
                  <th>Target</th>
                  <th>Kind</th>
                  <th>Last tick</th>
                  <th>Cursor</th>
                </tr>
              </thead>
              <tbody>
                {sensors.data.sensors.map((fetched) => {
                  const s = sensorOverrides[fetched.name] ?? fetched;
                  return (
                    <tr key={s.name} data-sensor={s.name}>
                      <td>
                        <InstigatorToggle<SensorJson>
                          kind="sensors"
                          name={s.name}
                          running={s.status === "RUNNING"}
                          onChange={(updated) => {
                            setSensorOverrides((o) => ({ ...o, [s.name]: { ...s, ...updated } }));
                            sensors.reload();
                          }}
                        />
                      </td>
                      <td>
                        <Link to={`/sensors/${encodeURIComponent(s.name)}`}>{s.name}</Link>
                        {s.description && <div className="muted small">{s.description}</div>}
                      </td>
                      <td>
                        <Target jobName={s.jobName} selection={s.selection} />
                      </td>
                      <td>
                        {s.type === "asset" ? `asset ${s.assetKey}` : s.type === "run_status" ? `run ${s.runStatus?.toLowerCase()}` : s.type === "freshness" ? "freshness" : "standard"}
                        <div className="muted small">evaluated at most every {s.minimumIntervalSeconds} s</div>
                      </td>
                      <td>
                        {s.lastTick ? (
                          <>
                            <StatusBadge status={s.lastTick.status} /> <Time iso={s.lastTick.tickTime} />
                          </>
                        ) : (
                          <span className="muted">never ticked</span>
                        )}
                      </td>
                      <td className="mono small cursor-cell" title={s.cursor ?? ""}>
                        {s.cursor ?? <span className="muted">—</span>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ))}
      </Loading>
      <h2>Automation conditions</h2>
      <AutomationLoopSection />
    </div>
  );
}
