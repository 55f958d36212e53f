/**
 * `sluice/http`: a fetch-based HTTP client (timeout, retries with backoff on 429 and 5xx) and a
 * resource that configures one per run. Nothing to install: it uses Node's fetch.
 */
export { HttpClient, parseRetryAfter } from "./http/http-client.js";
export type { HttpClientOptions, HttpResponse, RequestOptions, RetryInfo } from "./http/http-client.js";
export { httpResource } from "./http/http-resource.js";
export { HttpRequestError } from "./http/http-request-error.js";
