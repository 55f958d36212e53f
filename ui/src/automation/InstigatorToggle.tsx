import { useState } from "react";
import { api, ApiError } from "../api";
import { ErrorBox } from "../components/common";
import type { InstigatorKind } from "./automation-types";
import "./automation.css";

/**
 * A switch that turns a schedule or sensor on or off (`POST /api/<kind>/:name/start|stop`) and
 * hands the server's answer to `onChange`; a refusal shows as an error beside it.
 */
export function InstigatorToggle<T>({ kind, name, running, onChange }: { kind: InstigatorKind; name: string; running: boolean; onChange: (updated: T) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const toggle = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const res = await api<Record<string, T>>(`/${kind}/${encodeURIComponent(name)}/${running ? "stop" : "start"}`, { method: "POST" });
      onChange(res[kind === "schedules" ? "schedule" : "sensor"]!);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="toggle-wrap">
      <button
        type="button"
        role="switch"
        aria-checked={running}
        aria-label={`${running ? "Stop" : "Start"} ${kind === "schedules" ? "schedule" : "sensor"} ${name}`}
        className={`toggle${running ? " on" : ""}`}
        onClick={toggle}
        disabled={busy}
        data-testid={`toggle-${name}`}
      >
        <span className="toggle-knob" />
      </button>
      <span className={`toggle-text${running ? " on" : ""}`}>{running ? "Running" : "Stopped"}</span>
      {error && <ErrorBox error={error} />}
    </span>
  );
}
