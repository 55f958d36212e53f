import { useEffect, useState } from "react";
import { NavLink, Outlet } from "react-router";
import { api, useApi } from "../api";
import { useLive } from "../live";
import type { HealthJson } from "../types";

const NAV = [
  { to: "/", label: "Overview", end: true },
  { to: "/assets", label: "Assets", end: false },
  { to: "/runs", label: "Runs", end: false },
  { to: "/jobs", label: "Jobs", end: false },
  { to: "/backfills", label: "Backfills", end: false },
  { to: "/automation", label: "Automation", end: false },
];

/**
 * The frame of every page: navigation, a Reload button for the definitions, and the last load
 * error (file, line, message) when the definitions on disk fail to load.
 */
export function Layout() {
  const health = useApi<HealthJson>("/health");
  const [reloading, setReloading] = useState(false);
  useLive((m) => {
    if (m.kind === "definitions" || m.kind === "ready") health.reload();
  });
  // A reload announced while the live stream was reconnecting is not replayed: look now and then.
  useEffect(() => {
    const timer = setInterval(health.reload, 10_000);
    return () => clearInterval(timer);
  }, [health.reload]);
  const reload = async () => {
    setReloading(true);
    try {
      await api("/reload", { method: "POST" });
    } finally {
      setReloading(false);
      health.reload();
    }
  };
  const loadError = health.data?.definitions.loadError;
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Sluice</span>
        <nav>
          {NAV.map((item) => (
            <NavLink key={item.to} to={item.to} end={item.end} className={({ isActive }) => (isActive ? "active" : "")}>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <span className="spacer" />
        {health.data && <span className="muted small">generation {health.data.definitions.generation}</span>}
        <button type="button" onClick={reload} disabled={reloading} data-testid="reload-definitions">
          {reloading ? "Reloading…" : "Reload definitions"}
        </button>
      </header>
      {health.error && <div className="banner error">Cannot reach the Sluice server: {health.error.message}</div>}
      {loadError && (
        <div className="banner error" data-testid="load-error">
          <strong>Definitions failed to load</strong>
          {loadError.file && (
            <span className="mono">
              {" "}
              {loadError.file}
              {loadError.line !== null ? `:${loadError.line}` : ""}
              {loadError.column !== null ? `:${loadError.column}` : ""}
            </span>
          )}
          <pre>{loadError.message}</pre>
          <span className="small">The server keeps the last definitions that loaded.</span>
        </div>
      )}
      <main>
        <Outlet />
      </main>
    </div>
  );
}
