/** Small pieces that every page uses: status badges, times, errors, loading. */
import type { ReactNode } from "react";
import type { ApiError } from "../api";

const STATUS_CLASS: Record<string, string> = {
  SUCCESS: "ok",
  MATERIALIZED: "ok",
  HEALTHY: "ok",
  RUNNING: "ok",
  FAILURE: "bad",
  FAILED: "bad",
  UNHEALTHY: "bad",
  STALE: "warn",
  CANCELED: "muted",
  CANCELING: "warn",
  QUEUED: "info",
  STARTING: "info",
  STARTED: "info",
  IN_PROGRESS: "info",
  SKIPPED: "muted",
  STOPPED: "muted",
  NEVER_MATERIALIZED: "muted",
  REQUESTED: "info",
  COMPLETED: "ok",
  MISSING: "muted",
};

/** A status as a coloured badge. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${STATUS_CLASS[status] ?? "muted"}`}>{status.replace(/_/g, " ")}</span>;
}

/** A time, shown relative ("3 min ago"), exact in its tooltip. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso} title={new Date(iso).toLocaleString()}>{relative(iso)}</time>;
}

/** "3 s ago", "in 5 min", … */
export function relative(iso: string, now: number = Date.now()): string {
  const delta = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(delta);
  const [value, unit] =
    abs < 60 ? [abs, "s"] : abs < 3600 ? [abs / 60, "min"] : abs < 86400 ? [abs / 3600, "h"] : [abs / 86400, "d"];
  const text = `${Math.round(value)} ${unit}`;
  return delta < 0 ? `${text} ago` : `in ${text}`;
}

/** A duration between two times (or until now), as "1.2 s", "3 min 4 s". */
export function duration(startIso: string | null, endIso: string | null): string {
  if (!startIso) return "—";
  const ms = (endIso ? new Date(endIso).getTime() : Date.now()) - new Date(startIso).getTime();
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** An API error, with the path at fault when the server named one. */
export function ErrorBox({ error }: { error: ApiError | Error }) {
  const path = "path" in error ? (error as ApiError).path : undefined;
  const code = "code" in error ? (error as ApiError).code : undefined;
  return (
    <div className="banner error" role="alert" data-testid="error">
      {code && <strong>{code}: </strong>}
      {error.message}
      {path && <div className="mono small">at {path}</div>}
    </div>
  );
}

/** A page's loading state, its error, or its content. */
export function Loading({ error, children }: { error?: ApiError | undefined; children?: ReactNode }) {
  if (error) return <ErrorBox error={error} />;
  return <>{children ?? <p className="muted">Loading…</p>}</>;
}
