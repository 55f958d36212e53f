import { useState } from "react";
import { api, ApiError } from "../api";
import type { RunAnswerJson, RunJson } from "../types";

/** What a launch from the lineage page stands for, to say so once it is queued. */
export type LaunchScope =
  /** The assets of the selected nodes. */
  | { kind: "selected" }
  /** Every asset, no filter applied. */
  | { kind: "all" }
  /** The assets a filter shows: `count` of them, by the selection expression `filter`. */
  | { kind: "shown"; count: number; filter: string };

/** The last run launched from the page, and what it was launched for. */
export interface LaunchedRun {
  run: RunJson;
  scope: LaunchScope;
}

/** Launching materializations: in flight, the last run launched, the last error. */
export interface Materializer {
  launching: boolean;
  launched: LaunchedRun | null;
  error: ApiError | null;
  /**
   * Queues a run with POST /api/runs: of these asset keys, or of what a selection expression
   * selects (`"*"`: every asset); `scope` says what it stands for.
   */
  materialize: (selection: readonly string[] | string, scope: LaunchScope) => Promise<void>;
  /** Shows a run launched elsewhere (the partition picker) as the last one launched. */
  report: (run: RunJson, scope: LaunchScope) => void;
  dismiss: () => void;
}

/** POST /api/runs for a selection of assets; `onLaunched` runs after a run is queued. */
export function useMaterialize(onLaunched: () => void): Materializer {
  const [launching, setLaunching] = useState(false);
  const [launched, setLaunched] = useState<LaunchedRun | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const materialize = async (selection: readonly string[] | string, scope: LaunchScope) => {
    setLaunching(true);
    setError(null);
    try {
      const { run } = await api<RunAnswerJson>("/runs", { body: { selection } });
      setLaunched({ run, scope });
      onLaunched();
    } catch (err) {
      setLaunched(null);
      setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setLaunching(false);
    }
  };
  const report = (run: RunJson, scope: LaunchScope) => {
    setError(null);
    setLaunched({ run, scope });
    onLaunched();
  };
  return { launching, launched, error, materialize, report, dismiss: () => setLaunched(null) };
}
