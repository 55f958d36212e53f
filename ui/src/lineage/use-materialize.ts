import { useState } from "react";
import { api, ApiError } from "../api";
import type { RunAnswerJson, RunJson } from "../types";

/** The last run launched from the page, and for how many assets. */
export interface LaunchedRun {
  run: RunJson;
  count: number | "all";
}

/** Launching materializations: in flight, the last run launched, the last error. */
export interface Materializer {
  launching: boolean;
  launched: LaunchedRun | null;
  error: ApiError | null;
  /** Queues a run of these assets (`"*"`: all of them) with POST /api/runs. */
  materialize: (selection: readonly string[] | "*") => Promise<void>;
  /** Shows a run launched elsewhere (the partition picker) as the last one launched. */
  report: (run: RunJson, count: number | "all") => void;
  dismiss: () => void;
}

/** POST /api/runs for a selection of assets; `onLaunched` runs after a run is queued. */
export function useMaterialize(onLaunched: () => void): Materializer {
  const [launching, setLaunching] = useState(false);
  const [launched, setLaunched] = useState<LaunchedRun | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const materialize = async (selection: readonly string[] | "*") => {
    setLaunching(true);
    setError(null);
    try {
      const { run } = await api<RunAnswerJson>("/runs", { body: { selection } });
      setLaunched({ run, count: selection === "*" ? "all" : selection.length });
      onLaunched();
    } catch (err) {
      setLaunched(null);
      setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setLaunching(false);
    }
  };
  const report = (run: RunJson, count: number | "all") => {
    setError(null);
    setLaunched({ run, count });
    onLaunched();
  };
  return { launching, launched, error, materialize, report, dismiss: () => setLaunched(null) };
}
