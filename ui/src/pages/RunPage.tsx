import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, ApiError, useApi } from "../api";
import { duration, ErrorBox, StatusBadge, Time } from "../components/common";
import { mayHaveMissed, useLive } from "../live";
import { RunGantt } from "../runs/RunGantt";
import { LOG_LEVELS, type LogFilter } from "../runs/log-filter";
import { RunLogs } from "../runs/RunLogs";
import { RunTarget, shortId } from "../runs/RunsTable";
import { useNow } from "../runs/use-now";
import { useRunEvents } from "../runs/use-run-events";
import { isFinished, type CancelAnswerJson, type RunAnswerJson, type RunJson, type RunStatus } from "../types";
import "../runs/runs.css";

const ACTIVE: readonly RunStatus[] = ["QUEUED", "STARTING", "STARTED"];

/** Reads the log filter from the page URL (`?level=WARN,ERROR&step=…&q=…`). */
function logFilterOf(search: URLSearchParams): LogFilter {
  const levels = (search.get("level") ?? "").split(",").filter((l) => (LOG_LEVELS as readonly string[]).includes(l));
  return { levels, step: search.get("step") || null, query: search.get("q") ?? "" };
}

/**
 * `/runs/:runId`: the run's header (status, target, times, tags, parent run, config), a Gantt
 * chart of its steps and its event log, all live while it goes; Cancel while it is active,
 * "Re-execute from failure" when it failed and "Re-execute all" once it finished.
 */
export function RunPage() {
  const { runId = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const navigate = useNavigate();
  const fetched = useApi<RunAnswerJson>(`/runs/${encodeURIComponent(runId)}`);
  const [live, setLive] = useState<Partial<RunJson>>({});
  const { events, loaded, error: eventsError, catchUp } = useRunEvents(runId);
  const [actionError, setActionError] = useState<ApiError>();
  const [busy, setBusy] = useState<string | null>(null);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => setLive({}), [runId]);
  useEffect(() => () => clearTimeout(refetchTimer.current), []);

  // Step bars come from the run's steps: read the run again after step events, at most every 300 ms.
  const reloadSoon = () => {
    if (refetchTimer.current !== undefined) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = undefined;
      fetched.reload();
    }, 300);
  };
  useLive((m) => {
    if (m.kind === "run" && m.run.runId === runId) {
      setLive({ status: m.run.status, startedAt: m.run.startedAt, endedAt: m.run.endedAt, updatedAt: m.run.updatedAt });
      reloadSoon();
    } else if (m.kind === "event" && m.event.runId === runId && (m.event.type.startsWith("STEP_") || m.event.type.startsWith("RUN_"))) {
      reloadSoon();
    } else if (mayHaveMissed(m)) {
      reloadSoon();
    }
  });

  // A live status newer than the last read wins until the next read catches up.
  const base = fetched.data?.run.runId === runId ? fetched.data.run : undefined;
  const run = base && live.updatedAt && (!base.updatedAt || live.updatedAt > base.updatedAt) ? { ...base, ...live } : base;
  const active = run !== undefined && !isFinished(run.status);
  const now = useNow(active, 250);

  // Tails with afterId while the run goes (the live stream may have opened after the history was
  // read), and once more when it ends, so the log is complete.
  useEffect(() => {
    if (!active) {
      if (run) catchUp();
      return;
    }
    const timer = setInterval(catchUp, 3000);
    return () => clearInterval(timer);
  }, [active, run !== undefined, catchUp]);

  const logFilter = useMemo(() => logFilterOf(search), [search]);
  const setLogFilter = (next: LogFilter) => {
    const params = new URLSearchParams(search);
    for (const [key, value] of [
      ["level", next.levels.join(",")],
      ["step", next.step ?? ""],
      ["q", next.query],
    ] as const) {
      if (value) params.set(key, value);
      else params.delete(key);
    }
    setSearch(params, { replace: true });
  };

  if (fetched.error && !fetched.data) {
    return (
      <div>
        <h1>Run {shortId(runId)}</h1>
        <ErrorBox error={fetched.error} />
        <p>
          <Link to="/runs">All runs</Link>
        </p>
      </div>
    );
  }
  if (!run) return <p className="muted">Loading…</p>;

  const act = async (name: string, call: () => Promise<void>) => {
    setBusy(name);
    setActionError(undefined);
    try {
      await call();
    } catch (err) {
      setActionError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setBusy(null);
    }
  };
  const cancel = () =>
    act("cancel", async () => {
      const res = await api<CancelAnswerJson>(`/runs/${encodeURIComponent(runId)}/cancel`, { method: "POST" });
      setLive({ status: res.run.status, endedAt: res.run.endedAt, updatedAt: res.run.updatedAt });
      fetched.reload();
    });
  const reexecute = (fromFailure: boolean) =>
    act(fromFailure ? "from-failure" : "all", async () => {
      const res = await api<RunAnswerJson>(`/runs/${encodeURIComponent(runId)}/reexecute`, { body: { fromFailure } });
      navigate(`/runs/${res.run.runId}`);
    });

  // A selected asset computed by a multi-asset's step is not a step of its own: the events say
  // which are, so selected keys that have not started are listed (and drawn pending) only once
  // the events are in; until then every selected key counts as possibly inside one.
  const inMultiSteps: ReadonlySet<string> = loaded ? new Set(events.flatMap((e) => e.assetKeys ?? [])) : new Set(run.selection ?? []);
  const stepKeys = [...new Set([...(run.steps ?? []).map((s) => s.key), ...(run.selection ?? []).filter((k) => !inMultiSteps.has(k))])];
  const hasConfig = run.config !== null && typeof run.config === "object" && Object.keys(run.config as object).length > 0;

  return (
    <div className="run-page">
      <div className="run-title row">
        <h1>
          Run <span className="mono" title={run.runId}>{shortId(run.runId)}</span>
        </h1>
        <span data-testid="run-status">
          <StatusBadge status={run.status} />
        </span>
        <span className="spacer" />
        {ACTIVE.includes(run.status) && (
          <button type="button" className="danger" onClick={cancel} disabled={busy !== null} data-testid="cancel-run">
            {busy === "cancel" ? "Canceling…" : "Cancel"}
          </button>
        )}
        {run.status === "CANCELING" && (
          <button type="button" disabled>
            Canceling…
          </button>
        )}
        {run.status === "FAILURE" && (
          <button type="button" className="primary" onClick={() => reexecute(true)} disabled={busy !== null} data-testid="reexecute-failure">
            {busy === "from-failure" ? "Launching…" : "Re-execute from failure"}
          </button>
        )}
        {isFinished(run.status) && (
          <button type="button" onClick={() => reexecute(false)} disabled={busy !== null} data-testid="reexecute-all">
            {busy === "all" ? "Launching…" : "Re-execute all"}
          </button>
        )}
      </div>
      {actionError && <ErrorBox error={actionError} />}
      <div className="panel run-header">
        <dl className="facts">
          <div>
            <dt>Target</dt>
            <dd>
              <RunTarget run={run} />
            </dd>
          </div>
          <div>
            <dt>Steps</dt>
            <dd>{run.selection?.length ?? 0}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <Time iso={run.createdAt} />
            </dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>
              <Time iso={run.startedAt} />
            </dd>
          </div>
          <div>
            <dt>Ended</dt>
            <dd>
              <Time iso={run.endedAt} />
            </dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd data-testid="run-duration">{duration(run.startedAt, run.endedAt)}</dd>
          </div>
          {run.partition && (
            <div>
              <dt>Partition</dt>
              <dd className="mono">{run.partition}</dd>
            </div>
          )}
          {run.parentRunId && (
            <div>
              <dt>Re-execution of</dt>
              <dd>
                <Link to={`/runs/${run.parentRunId}`} className="mono" data-testid="parent-run" title={run.parentRunId}>
                  {shortId(run.parentRunId)}
                </Link>
                {run.rootRunId && run.rootRunId !== run.parentRunId && (
                  <span className="muted small">
                    {" "}
                    (root{" "}
                    <Link to={`/runs/${run.rootRunId}`} className="mono" title={run.rootRunId}>
                      {shortId(run.rootRunId)}
                    </Link>
                    )
                  </span>
                )}
              </dd>
            </div>
          )}
        </dl>
        <div className="row run-tags">
          <span className="filter-label">Tags</span>
          {Object.keys(run.tags).length === 0 ? (
            <span className="muted">—</span>
          ) : (
            Object.entries(run.tags).map(([k, v]) => (
              <Link key={k} className="tag-chip" to={`/runs?tag=${encodeURIComponent(`${k}:${v}`)}`} title={`Runs tagged ${k}:${v}`}>
                {k}:{v}
              </Link>
            ))
          )}
        </div>
        <details className="run-config" data-testid="run-config">
          <summary>Config{hasConfig ? "" : " (none given: defaults apply)"}</summary>
          <pre className="mono">{JSON.stringify(run.config ?? {}, null, 2)}</pre>
        </details>
      </div>
      <h2>Timeline</h2>
      <RunGantt run={run} inMultiSteps={inMultiSteps} now={now} selectedStep={logFilter.step} onSelectStep={(step) => setLogFilter({ ...logFilter, step })} />
      <h2>Events</h2>
      {eventsError && <ErrorBox error={eventsError} />}
      <RunLogs events={events} steps={stepKeys} filter={logFilter} onFilter={setLogFilter} live={active} loaded={loaded} />
    </div>
  );
}
