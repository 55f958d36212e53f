/** A short list of runs (a job's latest, say) that stays current with the live stream. */
import { useEffect, useRef } from "react";
import { useApi, type ApiState } from "../api";
import { mayHaveMissed, useLive } from "../live";
import type { RunJson, RunsPageJson } from "../types";
import { runMatches, runsApiPath, type RunsFilter } from "./run-filters";

/**
 * The newest `limit` runs passing `filter`, read again (at most twice a second) whenever the live
 * stream reports a run that passes it.
 */
export function useLiveRuns(filter: RunsFilter, limit: number): ApiState<{ runs: RunJson[]; nextCursor: string | null }> {
  const state = useApi<RunsPageJson>(runsApiPath(filter, limit));
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useLive((m) => {
    if ((m.kind === "run" && runMatches(m.run, filter)) || mayHaveMissed(m)) {
      if (timer.current !== undefined) return;
      timer.current = setTimeout(() => {
        timer.current = undefined;
        state.reload();
      }, 500);
    }
  });
  return state;
}
