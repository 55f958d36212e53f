import { HttpRequestError } from "./http-request-error.js";

/** Settings of an {@link HttpClient}. */
export interface HttpClientOptions {
  /** Prefix of every relative path, e.g. `https://api.example.com/v1/`. */
  baseUrl: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A secret sent in `authHeader` with every request (usually from `EnvVar`). */
  token?: string | undefined;
  /** Header that carries the token (default `Authorization`). */
  authHeader?: string;
  /** Written before the token (default `Bearer` for `Authorization`, nothing for other headers). */
  authScheme?: string;
  /** Each attempt is aborted after this long (ms; default 30 s). */
  timeoutMs?: number;
  /** Retries after a 429, a 5xx, a timeout or a network error (default 3). */
  maxRetries?: number;
  /** Wait before the first retry (ms, default 500); doubled after each, with jitter. */
  initialDelayMs?: number;
  /** Longest wait between attempts (ms, default 30 s); a longer Retry-After fails at once. */
  maxDelayMs?: number;
  /** Aborts every request (the run's signal: a canceled run stops waiting). */
  signal?: AbortSignal;
  /** Told before each retry (the resource logs it as a WARN line of the run). */
  onRetry?: (retry: RetryInfo) => void;
}

/** What {@link HttpClientOptions.onRetry} is told. */
export interface RetryInfo {
  method: string;
  url: string;
  /** The attempt that failed (1 for the first). */
  attempt: number;
  /** Attempts at most (maxRetries + 1). */
  maxAttempts: number;
  /** Why it is retried: a status, a timeout, a network error. */
  reason: string;
  delayMs: number;
}

/** Per-request options. */
export interface RequestOptions {
  /** Query parameters added to the URL; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** A body sent as JSON (sets `content-type: application/json`). */
  json?: unknown;
  /** A raw body (string or bytes). */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Overrides the client's timeout for this request (ms). */
  timeoutMs?: number;
}

/** A response whose status was 2xx, with its body read. */
export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

const RETRY_STATUS = (status: number): boolean => status === 429 || (status >= 500 && status <= 599);

/**
 * A small fetch-based HTTP client: a base URL, an auth header, a timeout per attempt, and retries
 * with exponential backoff and jitter on 429 (honouring `Retry-After`), 5xx, timeouts and network
 * errors. A request that fails for good throws HttpRequestError naming the method, URL and status.
 * @example
 * const api = new HttpClient({ baseUrl: "https://api.example.com/", token: process.env.API_TOKEN });
 * const devices = await api.getJson<Device[]>("devices", { query: { page: 1 } });
 */
export class HttpClient {
  private readonly options: Required<Omit<HttpClientOptions, "token" | "signal" | "authScheme" | "onRetry">> &
    Pick<HttpClientOptions, "token" | "signal" | "authScheme" | "onRetry">;

  constructor(options: HttpClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`HttpClient: baseUrl ${JSON.stringify(options.baseUrl)} is not an absolute URL (like https://api.example.com/).`);
    }
    this.options = {
      // A base without a trailing slash would drop its last segment when paths are resolved against it.
      baseUrl: base.href.endsWith("/") ? base.href : `${base.href}/`,
      headers: options.headers ?? {},
      token: options.token,
      authHeader: options.authHeader ?? "Authorization",
      authScheme: options.authScheme,
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 3,
      initialDelayMs: options.initialDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      signal: options.signal,
      onRetry: options.onRetry,
    };
  }

  /** The absolute URL of a path (relative to the base URL) with query parameters. */
  url(pathOrUrl: string, query?: RequestOptions["query"]): string {
    const url = new URL(pathOrUrl.replace(/^\/+/, ""), this.options.baseUrl);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.href;
  }

  /** GET, parsing a JSON response. */
  async getJson<T = unknown>(path: string, options?: RequestOptions): Promise<T> {
    return (await this.requestJson<T>("GET", path, options)).body;
  }

  /** POST a JSON body, parsing a JSON response. */
  async postJson<T = unknown>(path: string, json: unknown, options?: RequestOptions): Promise<T> {
    return (await this.requestJson<T>("POST", path, { ...options, json })).body;
  }

  /** PUT a JSON body, parsing a JSON response. */
  async putJson<T = unknown>(path: string, json: unknown, options?: RequestOptions): Promise<T> {
    return (await this.requestJson<T>("PUT", path, { ...options, json })).body;
  }

  /** GET the raw bytes of a response (an image, a file). */
  async getBytes(path: string, options?: RequestOptions): Promise<Uint8Array> {
    return (await this.request("GET", path, options, async (r) => new Uint8Array(await r.arrayBuffer()))).body;
  }

  /** GET the response as text (an HTML page). */
  async getText(path: string, options?: RequestOptions): Promise<string> {
    return (await this.request("GET", path, options, (r) => r.text())).body;
  }

  /** Any method, parsing a JSON response (an empty body gives null). */
  requestJson<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<HttpResponse<T>> {
    return this.request(method, path, options, async (response, fail) => {
      const text = await response.text();
      if (text.trim() === "") return null as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        return fail(`the response is not JSON (${response.headers.get("content-type") ?? "no content-type"})`, text);
      }
    });
  }

  /**
   * Sends a request, retrying as configured, and reads a 2xx response's body with `read` (within
   * the attempt's timeout). Throws HttpRequestError for a non-2xx status, a timeout or a network
   * error once retries are used up.
   */
  async request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
    read: (response: Response, fail: (reason: string, body: string) => never) => Promise<T> = async () => undefined as T,
  ): Promise<HttpResponse<T>> {
    const url = this.url(path, options.query);
    const headers = new Headers(this.options.headers);
    if (this.options.token) {
      const scheme = this.options.authScheme ?? (this.options.authHeader.toLowerCase() === "authorization" ? "Bearer" : "");
      headers.set(this.options.authHeader, scheme ? `${scheme} ${this.options.token}` : this.options.token);
    }
    let body: string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers.set("content-type", "application/json");
    }
    if (!headers.has("accept")) headers.set("accept", "application/json, */*;q=0.5");
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);

    const outer = [this.options.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const fail = (fields: { status: number | null; reason: string; responseBody?: string | null; attempts: number }, cause?: unknown): never => {
      throw new HttpRequestError(
        { method, url, status: fields.status, responseBody: excerpt(fields.responseBody ?? null), attempts: fields.attempts, reason: fields.reason },
        cause === undefined ? undefined : { cause },
      );
    };

    for (let attempt = 1; ; attempt++) {
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([...outer, timeout]);
      let retryReason: string;
      let retryAfterMs: number | undefined;
      let lastStatus: number | null = null;
      let lastBody: string | null = null;
      try {
        const response = await fetch(url, { method, headers, body: body ?? null, signal });
        if (response.ok) {
          const value = await read(response, (reason, text) => fail({ status: response.status, reason, responseBody: text, attempts: attempt }));
          return { status: response.status, headers: response.headers, body: value };
        }
        lastStatus = response.status;
        lastBody = await response.text().catch(() => null);
        // Node names statuses it does not know (529) "unknown": say only the number then.
        const statusText = response.statusText.toLowerCase() === "unknown" ? "" : response.statusText;
        const reason = `${response.status} ${statusText}`.trim();
        if (!RETRY_STATUS(response.status)) fail({ status: response.status, reason, responseBody: lastBody, attempts: attempt });
        retryReason = reason;
        retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      } catch (err) {
        if (err instanceof HttpRequestError) throw err;
        if (outer.some((s) => s.aborted)) {
          fail({ status: lastStatus, reason: "aborted (the run was canceled)", attempts: attempt }, err);
        }
        retryReason = timeout.aborted ? `no response within ${timeoutMs} ms` : `network error (${networkReason(err)})`;
        if (attempt > this.options.maxRetries) fail({ status: lastStatus, reason: retryReason, responseBody: lastBody, attempts: attempt }, err);
      }
      if (attempt > this.options.maxRetries) fail({ status: lastStatus, reason: retryReason, responseBody: lastBody, attempts: attempt });
      if (retryAfterMs !== undefined && retryAfterMs > this.options.maxDelayMs) {
        fail({
          status: lastStatus,
          reason: `${retryReason}, and the server asks to retry after ${Math.ceil(retryAfterMs / 1000)} s, longer than maxDelayMs (${this.options.maxDelayMs} ms)`,
          responseBody: lastBody,
          attempts: attempt,
        });
      }
      const delayMs = retryAfterMs ?? this.backoff(attempt);
      this.options.onRetry?.({ method, url, attempt, maxAttempts: this.options.maxRetries + 1, reason: retryReason, delayMs });
      await sleep(delayMs, outer);
      if (outer.some((s) => s.aborted)) fail({ status: lastStatus, reason: "aborted (the run was canceled)", attempts: attempt });
    }
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random. */
  private backoff(attempt: number): number {
    const full = Math.min(this.options.initialDelayMs * 2 ** (attempt - 1), this.options.maxDelayMs);
    return full / 2 + Math.random() * (full / 2);
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function excerpt(text: string | null): string | null {
  if (text === null) return null;
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat === "") return null;
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

function sleep(ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    for (const s of signals) s.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener("abort", done);
      resolve();
    }
  });
}
