import { useEffect, useState } from "react";
import { api, ApiError, useApi } from "../api";
import { ErrorBox, StatusBadge, Time } from "../components/common";
import type { AutomationJson } from "./condition-types";
import { usePolling } from "./use-polling";
import "./conditions.css";

/**
 * The automation loop's status (RUNNING / STOPPED, by default or as set), its interval and latest
 * evaluation, with a button that starts it or, after a confirmation, stops it
 * (`POST /api/automation/start|stop`). `onChange` hears of a start or stop, `onLoad` of each read.
 */
export function AutomationLoopCard({ compact = false, onChange, onLoad }: { compact?: boolean; onChange?: (loop: AutomationJson) => void; onLoad?: (loop: AutomationJson) => void }) {
  const fetched = useApi<AutomationJson>("/automation?ticks=1");
  usePolling(fetched.reload, 5000);
  const [answer, setAnswer] = useState<AutomationJson>();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  // A start or stop shows at once; the next read replaces it.
  useEffect(() => {
    setAnswer(undefined);
    if (fetched.data) onLoad?.(fetched.data);
  }, [fetched.data]);
  const loop = answer ?? fetched.data;

  const act = async (action: "start" | "stop") => {
    setBusy(true);
    setError(undefined);
    try {
      const updated = await api<AutomationJson>(`/automation/${action}`, { method: "POST" });
      setAnswer(updated);
      setConfirming(false);
      onChange?.(updated);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setBusy(false);
    }
  };

  if (!loop) return fetched.error ? <ErrorBox error={fetched.error} /> : <p className="muted">Loading…</p>;
  const running = loop.status === "RUNNING";
  return (
    <div className="automation-loop" data-testid="automation-loop" data-status={loop.status}>
      <StatusBadge status={loop.status} />
      {loop.isDefault && <span className="muted small">by default</span>}
      {running ? (
        <button type="button" className="danger" disabled={busy || confirming} onClick={() => setConfirming(true)} data-testid="automation-stop">
          Stop
        </button>
      ) : (
        <button type="button" className="primary" disabled={busy} onClick={() => void act("start")} data-testid="automation-start">
          Start
        </button>
      )}
      {!compact && (
        <span className="muted small">
          every {loop.intervalSeconds} s · {loop.automatedAssets.length} automated asset{loop.automatedAssets.length === 1 ? "" : "s"} · last evaluation{" "}
          {loop.cursor?.evaluatedAt ? (
            <>
              #{loop.cursor.evaluationId} <Time iso={loop.cursor.evaluatedAt} />
            </>
          ) : (
            "never"
          )}
        </span>
      )}
      {confirming && (
        <div className="confirm" role="alertdialog" aria-label="Stop the automation loop?" data-testid="automation-stop-confirm">
          <span>Stop the automation loop? No asset will be materialized by its condition until it is started again.</span>
          <button type="button" className="danger" disabled={busy} onClick={() => void act("stop")} data-testid="automation-stop-confirmed">
            Stop it
          </button>
          <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      {error && <ErrorBox error={error} />}
    </div>
  );
}
