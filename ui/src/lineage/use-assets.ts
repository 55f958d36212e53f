import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, type ApiState } from "../api";
import type { AssetsJson } from "../assets/asset-json";

/** How long an early answer stays good enough for a first render. */
const PREFETCH_TTL_MS = 10_000;

// Opening the lineage page directly (a reload, a link), GET /api/assets starts while the app
// boots instead of after its first render: with 10,000 assets that is the critical path.
let early: { at: number; promise: Promise<AssetsJson> } | null =
  window.location.pathname === "/assets" ? { at: Date.now(), promise: api<AssetsJson>("/assets") } : null;
// Its failure is reported by the page that takes it; never as an unhandled rejection.
early?.promise.catch(() => undefined);

function takeEarly(): Promise<AssetsJson> | null {
  const taken = early;
  early = null;
  return taken && Date.now() - taken.at < PREFETCH_TTL_MS ? taken.promise : null;
}

/**
 * `GET /api/assets` as `useApi` gives it (data, error, loading, `reload()` keeping the last
 * data), whose first load takes the request started at boot when there is one. A reload asked for
 * while a load runs starts once that load has ended: aborting it would throw away an answer nearly
 * there (the live stream's "ready" asks for one while the first load runs; with 100,000 assets that
 * restarted the page's longest wait).
 */
export function useAssets(): ApiState<AssetsJson> {
  const [data, setData] = useState<AssetsJson>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const running = useRef(false);
  const again = useRef(false);
  useEffect(() => {
    const controller = new AbortController();
    let live = true;
    running.current = true;
    setLoading(true);
    (version === 0 ? (takeEarly() ?? api<AssetsJson>("/assets", { signal: controller.signal })) : api<AssetsJson>("/assets", { signal: controller.signal }))
      .then(
        (value) => {
          if (!live) return;
          performance.mark("sluice:lineage-assets", { detail: { assets: value.assets.length } });
          setData(value);
          setError(undefined);
          setLoading(false);
        },
        (err: unknown) => {
          if (!live || (err as Error).name === "AbortError") return;
          setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
          setLoading(false);
        },
      )
      .finally(() => {
        if (!live) return;
        running.current = false;
        if (again.current) {
          again.current = false;
          setVersion((v) => v + 1);
        }
      });
    return () => {
      live = false;
      running.current = false;
      controller.abort();
    };
  }, [version]);
  const reload = useCallback(() => {
    if (running.current) again.current = true;
    else setVersion((v) => v + 1);
  }, []);
  return { data, error, loading, reload };
}
