import { z } from "zod";
import { resource } from "../../index.js";
import { HttpClient } from "./http-client.js";

/**
 * An HTTP API client as a resource (an {@link HttpClient}): base URL, a token from an env var sent
 * in an auth header, a timeout per attempt, retries with backoff on 429/5xx. A canceled run aborts
 * its requests.
 * @example
 * import { httpResource } from "sluice/http";
 * const api = configured(httpResource, { baseUrl: EnvVar("API_URL"), token: EnvVar("API_TOKEN") });
 * const devices = asset({ key: "raw/devices", resources: { api }, run: (_in, { resources }) => resources.api.getJson("devices") });
 */
export const httpResource = resource({
  description: "An HTTP API client (base URL, auth header, timeout, retries)",
  config: z.object({
    baseUrl: z.string().url(),
    /** Secret sent in `authHeader` (use EnvVar). */
    token: z.string().optional(),
    authHeader: z.string().default("Authorization"),
    /** Before the token; default `Bearer` for Authorization, nothing for other headers. */
    authScheme: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: z.number().int().positive().default(30_000),
    maxRetries: z.number().int().nonnegative().default(3),
    initialDelayMs: z.number().int().nonnegative().default(500),
    maxDelayMs: z.number().int().positive().default(30_000),
  }),
  setup: (config, { signal, log }) =>
    new HttpClient({
      ...config,
      signal,
      onRetry: (r) =>
        log.warn(`${r.method} ${r.url}: ${r.reason}; retrying in ${(r.delayMs / 1000).toFixed(1)} s (attempt ${r.attempt + 1} of ${r.maxAttempts})`),
    }),
});
