import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { apiGuard, isLoopbackHost, tokenForHost } from "./auth.js";
import { errorResponseOf } from "./http-errors.js";

describe("isLoopbackHost", () => {
  it.each(["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])("%s is loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(["0.0.0.0", "::", "192.168.1.10", "example.com", "128.0.0.1"])("%s is not", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe("tokenForHost", () => {
  it("requires SLUICE_TOKEN for a non-loopback host, with a message saying how", () => {
    expect(() => tokenForHost("0.0.0.0", {})).toThrow(expect.objectContaining({ code: "USAGE_ERROR", message: expect.stringContaining("SLUICE_TOKEN") }));
    expect(tokenForHost("0.0.0.0", { SLUICE_TOKEN: " t " })).toBe("t");
    expect(tokenForHost("127.0.0.1", {})).toBeUndefined();
    expect(tokenForHost("127.0.0.1", { SLUICE_TOKEN: "t" })).toBe("t");
  });
});

describe("apiGuard", () => {
  const app = (token: string | undefined) => {
    const a = new Hono();
    a.onError((err, c) => {
      const { status, body } = errorResponseOf(err);
      return c.json(body, status as 401);
    });
    a.use("*", apiGuard({ token }));
    a.get("/x", (c) => c.text("ok"));
    a.post("/x", (c) => c.text("ok"));
    return a;
  };

  it("with a token: 401 without or with a wrong one; 200 with the bearer header or ?token=", async () => {
    const a = app("secret");
    expect((await a.request("http://127.0.0.1/x")).status).toBe(401);
    expect((await a.request("http://127.0.0.1/x", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await a.request("http://127.0.0.1/x", { headers: { authorization: "Bearer secret" } })).status).toBe(200);
    expect((await a.request("http://127.0.0.1/x?token=secret")).status).toBe(200);
    const denied = await a.request("http://127.0.0.1/x");
    expect(await denied.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    // Any Host is fine once the token is checked.
    expect((await a.request("http://example.com/x", { headers: { authorization: "Bearer secret", host: "example.com" } })).status).toBe(200);
  });

  it("without a token: only localhost Host names, and no cross-origin requests", async () => {
    const a = app(undefined);
    expect((await a.request("http://127.0.0.1:3000/x", { headers: { host: "127.0.0.1:3000" } })).status).toBe(200);
    expect((await a.request("http://localhost:3000/x", { headers: { host: "localhost:3000" } })).status).toBe(200);
    expect((await a.request("http://evil.example/x", { headers: { host: "evil.example" } })).status).toBe(403);
    const cross = await a.request("http://127.0.0.1:3000/x", { headers: { host: "127.0.0.1:3000", origin: "http://evil.example" } });
    expect(cross.status).toBe(403);
    const same = await a.request("http://127.0.0.1:3000/x", { headers: { host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" } });
    expect(same.status).toBe(200);
  });

  it("refuses state-changing requests from an opaque origin (Origin: null), with or without a token", async () => {
    for (const [a, auth] of [[app(undefined), {}], [app("secret"), { authorization: "Bearer secret" }]] as const) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        const res = await a.request("http://127.0.0.1:3000/x", { method, headers: { host: "127.0.0.1:3000", origin: "null", ...auth } });
        expect(res.status, method).toBe(403);
        expect(await res.json()).toMatchObject({ error: { code: "FORBIDDEN", message: expect.stringContaining("opaque origin") } });
      }
      // Reading is harmless: a page of an opaque origin cannot see the answer.
      expect((await a.request("http://127.0.0.1:3000/x", { headers: { host: "127.0.0.1:3000", origin: "null", ...auth } })).status).toBe(200);
      expect((await a.request("http://127.0.0.1:3000/x", { method: "POST", headers: { host: "127.0.0.1:3000", ...auth } })).status).toBe(200);
    }
  });
});
