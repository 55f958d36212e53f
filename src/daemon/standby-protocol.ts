/**
 * Messages between a launcher and a standby run worker (`sluice __run-worker --standby`), over the
 * IPC channel of the child process. The standby opens the instance and loads the definitions, says
 * `ready`, and waits; the launcher gives it one run; the standby answers `accepted` (it executes
 * the run, then exits, exactly as a worker started for that run would) or `stale` (the code changed
 * since it loaded it: it exits without touching the run, and the launcher starts a worker for it).
 */
export type StandbyMessage =
  | { readonly type: "ready" }
  | { readonly type: "accepted"; readonly runId: string }
  | { readonly type: "stale"; readonly runId: string };

/** What the launcher sends a ready standby: the one run it is to execute. */
export interface StandbyAssignment {
  readonly type: "run";
  readonly runId: string;
}

/** True for a message a standby sends. */
export function isStandbyMessage(value: unknown): value is StandbyMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === "ready" || type === "accepted" || type === "stale";
}

/** True for the launcher's assignment of a run. */
export function isStandbyAssignment(value: unknown): value is StandbyAssignment {
  const v = value as { type?: unknown; runId?: unknown } | null;
  return v?.type === "run" && typeof v.runId === "string";
}
