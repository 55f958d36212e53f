import { request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { errorResponseOf } from "./http-errors.js";
import { RequestGate, type RequestGateOptions } from "./request-gate.js";

function appWith(gate: RequestGate, handler: (c: { req: { path: string } }) => Promise<Response> | Response): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    const { status, body } = errorResponseOf(err);
    return c.json(body, status as 503);
  });
  app.use("*", gate.middleware((c) => c.req.path === "/health"));
  app.get("*", (c) => handler(c));
  return app;
}

/** A promise with its resolve function, to hold handlers until the test lets them go. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

const options = (over: Partial<RequestGateOptions> = {}): RequestGateOptions => ({ concurrency: 2, maxWaiting: 100, maxSendMs: 60_000, ...over });

describe("RequestGate", () => {
  it("lets `concurrency` handlers run at once and the rest in arrival order", async () => {
    const gate = new RequestGate(options());
    const release = deferred();
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    const app = appWith(gate, async (c) => {
      if (c.req.path === "/health") return new Response("up");
      running++;
      peak = Math.max(peak, running);
      order.push(c.req.path);
      await release.promise;
      running--;
      return new Response("ok");
    });
    const responses = Array.from({ length: 10 }, (_, i) => app.request(`/r${i}`));
    await until("two handlers running and eight waiting", () => gate.active === 2 && gate.waiting === 8);
    expect(order).toEqual(["/r0", "/r1"]);
    // A request the gate lets through does not wait.
    expect((await app.request("/health")).status).toBe(200);
    release.resolve();
    expect((await Promise.all(responses)).map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(peak).toBe(2);
    expect(order).toEqual(Array.from({ length: 10 }, (_, i) => `/r${i}`));
    expect(gate.active).toBe(0);
  });

  it("answers 503 with Retry-After when the line is full", async () => {
    const gate = new RequestGate(options({ concurrency: 1, maxWaiting: 2 }));
    const release = deferred();
    const app = appWith(gate, async () => {
      await release.promise;
      return new Response("ok");
    });
    const queued = [app.request("/a"), app.request("/b"), app.request("/c")];
    await until("one running, two waiting", () => gate.active === 1 && gate.waiting === 2);
    const refused = await app.request("/d");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ error: { code: "SERVER_BUSY" } });
    release.resolve();
    expect((await Promise.all(queued)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it("frees the place of a handler that throws", async () => {
    const gate = new RequestGate(options({ concurrency: 1 }));
    const app = appWith(gate, (c) => {
      if (c.req.path === "/boom") throw new Error("boom");
      return new Response("ok");
    });
    expect((await app.request("/boom")).status).toBe(500);
    expect((await app.request("/fine")).status).toBe(200);
    expect(gate.active).toBe(0);
  });
});

describe("RequestGate on a real server", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
  });

  // 32 MB: more than the socket buffers hold, so the response is not sent while its client does not read.
  const BIG = "x".repeat(32 * 1024 * 1024);

  async function serve(gate: RequestGate): Promise<string> {
    const app = appWith(gate, (c) => new Response(c.req.path === "/big" ? BIG : "small"));
    server = createAdaptorServer({ fetch: app.fetch }) as Server;
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Requests /big and stops reading after the first chunk; `resume()` reads the rest. */
  function slowReader(url: string): Promise<{ resume: () => Promise<number> }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${url}/big`, (res: IncomingMessage) => {
        let bytes = 0;
        res.once("data", (chunk: Buffer) => {
          bytes += chunk.length;
          res.pause();
          resolve({
            resume: () =>
              new Promise((done) => {
                res.on("data", (more: Buffer) => (bytes += more.length));
                res.on("end", () => done(bytes));
                res.resume();
              }),
          });
        });
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("keeps a handler's place until its response is sent", async () => {
    const gate = new RequestGate(options({ concurrency: 1 }));
    const url = await serve(gate);
    const reader = await slowReader(url);
    let second: string | undefined;
    const next = fetch(`${url}/small`).then(async (r) => (second = await r.text()));
    await until("the second request to wait", () => gate.waiting === 1);
    expect(second).toBeUndefined();
    expect(await reader.resume()).toBe(BIG.length);
    await next;
    expect(second).toBe("small");
  });

  it("gives the place up after maxSendMs when the client reads too slowly", async () => {
    const gate = new RequestGate(options({ concurrency: 1, maxSendMs: 200 }));
    const url = await serve(gate);
    const reader = await slowReader(url);
    expect(await (await fetch(`${url}/small`)).text()).toBe("small");
    expect(await reader.resume()).toBe(BIG.length);
  });
});
