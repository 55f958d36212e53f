/**
 * The UI's only door to the server: JSON over `/api` (the endpoints are listed in the README's
 * "HTTP API" section). A token given once as `?token=` in the page URL is kept for the tab and sent
 * with every request, as the server requires when it listens beyond loopback.
 */
import { useCallback, useEffect, useState } from "react";

const TOKEN_KEY = "sluice.token";

function readToken(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get("token");
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const token = readToken();

/** An error answer of the API: its stable code, message and, for bad input, the path at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Calls `/api<path>`; resolves with the parsed JSON, rejects with an ApiError. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  const headers: Record<string, string> = {};
  // The server takes JSON only on every POST, even one without a body (a cross-site form cannot send it).
  if (init.body !== undefined || method !== "GET") headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "NETWORK_ERROR", `The Sluice server did not answer (${(err as Error).message}).`);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, "BAD_RESPONSE", `The server answered ${response.status} with something other than JSON.`);
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; path?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? "HTTP_ERROR", error?.message ?? `HTTP ${response.status}`, error?.path);
  }
  return json as T;
}

/** URL of the live event stream (EventSource cannot send headers, so the token goes in the query). */
export function streamUrl(params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params);
  if (token) query.set("token", token);
  const qs = query.toString();
  return `/api/events/stream${qs ? `?${qs}` : ""}`;
}

/** The state of one GET: data once loaded, the last error, and `reload()` to fetch again. */
export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Fetches `path` (null: nothing yet) and again on `reload()`; keeps the last data while a reload is
 * in flight so that live pages do not flicker.
 */
export function useApi<T>(path: string | null): ApiState<T> {
  // What was fetched is kept with the path it answers: after a navigation to another run or asset
  // (same page, new path), the previous one's data must not be shown under the new heading while
  // the new fetch is in flight. A reload of the same path keeps showing the data it replaces.
  const [fetched, setFetched] = useState<{ path: string; data?: T; error?: ApiError }>();
  const [loading, setLoading] = useState(path !== null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setLoading(true);
    api<T>(path, { signal: controller.signal }).then(
      (value) => {
        setFetched({ path, data: value });
        setLoading(false);
      },
      (err: unknown) => {
        if ((err as Error).name === "AbortError") return;
        const error = err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err));
        // A failed refresh keeps the data it could not replace, beside the error.
        setFetched((prev) => ({ path, ...(prev?.path === path ? { data: prev.data } : {}), error }));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [path, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const current = fetched !== undefined && fetched.path === path ? fetched : undefined;
  return { data: current?.data, error: current?.error, loading: loading || (path !== null && current === undefined), reload };
}
