/** One endpoint of the HTTP API, for the page shown when the UI is not built (README "HTTP API" documents each). */
export interface ApiEndpoint {
  method: "GET" | "POST";
  path: string;
  description: string;
}

/** Every endpoint of the HTTP API. */
export const API_ENDPOINTS: readonly ApiEndpoint[] = [
  { method: "GET", path: "/api/health", description: "server status, version, definitions status" },
  { method: "GET", path: "/api/definitions", description: "snapshot of the definitions, and the last load error" },
  { method: "POST", path: "/api/reload", description: "reload the definitions" },
  { method: "GET", path: "/api/assets", description: "every asset with its latest materialization and status" },
  { method: "GET", path: "/api/assets/:key", description: "one asset: materialization history, numeric metadata series" },
  { method: "POST", path: "/api/assets/:key/reports", description: "report a materialization made outside Sluice: {partition?, metadata?, description?}" },
  { method: "GET", path: "/api/assets/:key/observations?limit=", description: "an observable source asset's latest data versions and observation history" },
  { method: "GET", path: "/api/assets/:key/checks", description: "an asset's checks with their latest evaluations" },
  { method: "GET", path: "/api/assets/:key/checks/:name/evaluations?partition=&limit=&before=", description: "one check's evaluations, newest first, paged" },
  { method: "GET", path: "/api/runs?status=&job=&tag=k:v&limit=&cursor=", description: "runs, newest first, paged" },
  { method: "GET", path: "/api/runs/:id", description: "one run and its steps" },
  { method: "GET", path: "/api/runs/:id/events?afterId=&limit=", description: "a run's events in order" },
  { method: "POST", path: "/api/runs", description: "queue a run: {selection, config?, tags?, partition?, observe?} or {job, ...}; check keys ASSET:CHECK in selection run checks alone" },
  { method: "POST", path: "/api/runs/:id/cancel", description: "cancel a queued or running run" },
  { method: "POST", path: "/api/runs/:id/reexecute", description: "queue a re-execution: {fromFailure?}" },
  { method: "GET", path: "/api/partitions/:name", description: "the keys of dynamic partitions, in the order they were added" },
  { method: "POST", path: "/api/partitions/:name", description: "add or remove keys of dynamic partitions: {add?, remove?}" },
  { method: "GET", path: "/api/schedules", description: "schedules with status and next tick" },
  { method: "GET", path: "/api/schedules/:name", description: "one schedule: next ticks, tick history with run ids" },
  { method: "POST", path: "/api/schedules/:name/start", description: "start a schedule (…/stop to stop it)" },
  { method: "GET", path: "/api/sensors", description: "sensors with status and cursor" },
  { method: "GET", path: "/api/sensors/:name", description: "one sensor: cursor, tick history with run ids" },
  { method: "POST", path: "/api/sensors/:name/start", description: "start a sensor (…/stop to stop it)" },
  { method: "GET", path: "/api/overview", description: "recent runs, recent failures, daemon health" },
  { method: "GET", path: "/api/events/stream", description: "server-sent events: new events, run status changes, reloads" },
];
