import { useEffect, useState } from "react";
import { api, ApiError } from "../api";
import type { BackfillLaunchBodyJson, BackfillPreviewJson } from "./partition-types";

/** What a launch would do, as the server counts it, or why it would be refused. */
export interface PreviewState {
  preview: BackfillPreviewJson | null;
  error: ApiError | null;
  pending: boolean;
}

/** Waits this long after the last change of the choice before asking the server. */
const DEBOUNCE_MS = 200;

/**
 * POST /api/backfills with `preview: true` for `body` (null: nothing to ask yet), again whenever
 * it changes (compared as JSON), after a short pause; an answer to an older body is dropped.
 */
export function useBackfillPreview(body: BackfillLaunchBodyJson | null): PreviewState {
  const json = body === null ? null : JSON.stringify({ ...body, preview: true });
  const [state, setState] = useState<PreviewState>({ preview: null, error: null, pending: json !== null });
  useEffect(() => {
    if (json === null) {
      setState({ preview: null, error: null, pending: false });
      return;
    }
    setState((prev) => ({ ...prev, pending: true }));
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api<BackfillPreviewJson>("/backfills", { body: JSON.parse(json), signal: controller.signal }).then(
        (preview) => setState({ preview, error: null, pending: false }),
        (err: unknown) => {
          if ((err as Error).name === "AbortError") return;
          setState({ preview: null, error: err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)), pending: false });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [json]);
  return state;
}
