/**
 * sluice/http against a real local HTTP server (node:http) that answers 429, 5xx, slow responses
 * and JSON, as flaky APIs do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { asset, configured, defineDefinitions, EnvVar, materialize } from "../../index.js";
import { HttpClient, HttpRequestError, httpResource, parseRetryAfter } from "../http.js";
import { removeTempDirs, tempDir } from "../testing/temp-dirs.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const routes = new Map<string, Handler>();
const hits: { method: string; url: string; at: number; headers: IncomingMessage["headers"]; body: string }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      hits.push({ method: req.method!, url: req.url!, at: Date.now(), headers: req.headers, body });
      const handler = routes.get(new URL(req.url!, "http://x").pathname);
      if (handler) handler(req, res, body);
      else res.writeHead(404, { "content-type": "text/plain" }).end(`no route ${req.url}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterEach(() => {
  routes.clear();
  hits.length = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

/** A handler that answers with each of `answers` in turn, then repeats the last. */
function sequence(...answers: [number, Record<string, string>, string][]): Handler {
  let i = 0;
  return (_req, res) => {
    const [status, headers, body] = answers[Math.min(i++, answers.length - 1)]!;
    res.writeHead(status, headers).end(body);
  };
}

const fast = { initialDelayMs: 20, maxDelayMs: 2000 };

describe("HttpClient", () => {
  it("sends the base URL, query, auth header and JSON body, and parses the JSON answer", async () => {
    routes.set("/api/items", (_req, res, body) => res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ got: JSON.parse(body) })));
    const client = new HttpClient({ baseUrl: base, token: "t0k", headers: { "x-client": "sluice" } });
    const answer = await client.postJson("/items", { name: "a" }, { query: { page: 2, skip: undefined } });
    expect(answer).toEqual({ got: { name: "a" } });
    expect(hits[0]!.url).toBe("/api/items?page=2");
    expect(hits[0]!.headers.authorization).toBe("Bearer t0k");
    expect(hits[0]!.headers["x-client"]).toBe("sluice");
    expect(hits[0]!.headers["content-type"]).toBe("application/json");
  });

  it("puts a token in another header without a scheme (x-api-key)", async () => {
    routes.set("/api/me", sequence([200, { "content-type": "application/json" }, "{}"]));
    await new HttpClient({ baseUrl: base, token: "k", authHeader: "x-api-key" }).getJson("me");
    expect(hits[0]!.headers["x-api-key"]).toBe("k");
    expect(hits[0]!.headers.authorization).toBeUndefined();
  });

  it("retries a 429 after the Retry-After the server asks for", async () => {
    routes.set("/api/limited", sequence([429, { "retry-after": "1" }, "slow down"], [200, {}, '{"ok":true}']));
    const retries: unknown[] = [];
    const answer = await new HttpClient({ baseUrl: base, ...fast, onRetry: (r) => retries.push(r) }).getJson("limited");
    expect(answer).toEqual({ ok: true });
    expect(retries).toEqual([{ method: "GET", url: `${base}limited`, attempt: 1, maxAttempts: 4, reason: "429 Too Many Requests", delayMs: 1000 }]);
    expect(hits).toHaveLength(2);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("retries 5xx with growing delays, then succeeds", async () => {
    routes.set("/api/flaky", sequence([500, {}, "oops"], [502, {}, "bad gateway"], [503, {}, "busy"], [200, {}, '"done"']));
    const answer = await new HttpClient({ baseUrl: base, initialDelayMs: 100, maxDelayMs: 2000 }).getJson("flaky");
    expect(answer).toBe("done");
    expect(hits).toHaveLength(4);
    const gaps = hits.slice(1).map((h, i) => h.at - hits[i]!.at);
    // Equal jitter: each wait is between half and all of 100, 200, 400 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(gaps[2]).toBeGreaterThanOrEqual(195);
    expect(gaps[2]).toBeLessThan(1500);
  });

  it("gives up after maxRetries naming method, URL, status and the body", async () => {
    routes.set("/api/down", sequence([500, {}, "database unavailable"]));
    const error = await new HttpClient({ baseUrl: base, maxRetries: 2, ...fast }).getJson("down").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    expect(error).toMatchObject({ code: "HTTP_REQUEST_ERROR", method: "GET", url: `${base}down`, status: 500, attempts: 3 });
    expect((error as Error).message).toBe(`GET ${base}down failed: 500 Internal Server Error (after 3 attempts): database unavailable`);
    expect(hits).toHaveLength(3);
  });

  it("does not retry a 404", async () => {
    const error = await new HttpClient({ baseUrl: base, ...fast }).getJson("missing").catch((e: unknown) => e);
    expect((error as Error).message).toBe(`GET ${base}missing failed: 404 Not Found: no route /api/missing`);
    expect(hits).toHaveLength(1);
  });

  it("aborts an attempt that takes longer than the timeout, and retries it", async () => {
    let calls = 0;
    routes.set("/api/slow", (_req, res) => {
      calls += 1;
      if (calls === 1) setTimeout(() => res.writeHead(200).end('"late"'), 1500);
      else res.writeHead(200).end('"quick"');
    });
    const started = Date.now();
    const answer = await new HttpClient({ baseUrl: base, timeoutMs: 300, ...fast }).getJson("slow");
    expect(answer).toBe("quick");
    expect(Date.now() - started).toBeLessThan(1400);
    expect(calls).toBe(2);
  });

  it("names the timeout when every attempt times out", async () => {
    routes.set("/api/hang", () => undefined);
    const error = await new HttpClient({ baseUrl: base, timeoutMs: 200, maxRetries: 1, ...fast }).getJson("hang").catch((e: unknown) => e);
    expect((error as Error).message).toBe(`GET ${base}hang failed: no response within 200 ms (after 2 attempts)`);
    expect((error as HttpRequestError).status).toBeNull();
  });

  it("fails at once when Retry-After is longer than maxDelayMs", async () => {
    routes.set("/api/later", sequence([429, { "retry-after": "3600" }, "come back in an hour"]));
    const error = await new HttpClient({ baseUrl: base, ...fast }).getJson("later").catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `GET ${base}later failed: 429 Too Many Requests, and the server asks to retry after 3600 s, longer than maxDelayMs (2000 ms): come back in an hour`,
    );
    expect(hits).toHaveLength(1);
  });

  it("stops waiting when its signal aborts (a canceled run)", async () => {
    routes.set("/api/hang", () => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const error = await new HttpClient({ baseUrl: base, signal: controller.signal }).getJson("hang").catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((error as Error).message).toBe(`GET ${base}hang failed: aborted (the run was canceled)`);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("httpResource", () => {
  it("is configured per run, the token read from an env var", async () => {
    routes.set("/api/devices", (req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(req.headers.authorization === "Bearer s3cret" ? [{ id: "d1" }] : [])),
    );
    const devices = asset({ key: "raw/devices", resources: { api: httpResource }, run: (_in, { resources }) => resources.api.getJson<{ id: string }[]>("devices") });
    const defs = defineDefinitions({
      assets: [devices],
      resources: { api: configured(httpResource, { baseUrl: base, token: EnvVar("SLUICE_INT_API_TOKEN") }) },
    });
    process.env.SLUICE_INT_API_TOKEN = "s3cret";
    try {
      const result = await materialize(defs, { home: path.join(tempDir(), ".sluice") });
      expect(result.success, JSON.stringify(result.failures)).toBe(true);
      expect(result.outputOf("raw/devices")).toEqual([{ id: "d1" }]);
    } finally {
      delete process.env.SLUICE_INT_API_TOKEN;
    }
  });
});
