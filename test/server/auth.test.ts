/**
 * Token auth: a non-loopback --host needs SLUICE_TOKEN (exit 2 without), and then every /api
 * request must carry it (401 without, 200 with, as a Bearer header or ?token= for EventSource).
 * Also `sluice server` alone: no daemon, and definitions that fail to load stop it (exit 2).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, fixture, removeTempDirs, runCli } from "../cli/helpers.js";
import { api, openStream, SERVER_DEFS, ServerSandbox, type ServerProcess } from "./helpers.js";

beforeAll(assertBuilt);

const TOKEN = "test-token-0123456789";
const sandbox = new ServerSandbox();
let server: ServerProcess;
/** The server listens on 0.0.0.0; tests reach it on loopback. */
let url: string;

beforeAll(async () => {
  server = await sandbox.startServer("server", ["-f", SERVER_DEFS, "--host", "0.0.0.0"], { env: { SLUICE_TOKEN: TOKEN } });
  url = server.url.replace("0.0.0.0", "127.0.0.1");
});

afterAll(async () => {
  await sandbox.dispose();
  removeTempDirs();
});

describe("a non-loopback host", () => {
  it("refuses to start without SLUICE_TOKEN (exit 2, saying why)", async () => {
    for (const command of ["server", "dev", "start"]) {
      const result = await runCli([command, "-f", SERVER_DEFS, "--host", "0.0.0.0", "--port", "0", "--home", sandbox.home], { env: { SLUICE_TOKEN: undefined } });
      expect(result.code, `${command}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain("SLUICE_TOKEN");
      expect(result.stderr).toContain("--host 0.0.0.0");
    }
  });

  it("prints its URL and serves with the token", async () => {
    expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    const res = await api(url, "GET", "/api/health", undefined, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, mode: "server", daemonInProcess: false });
  });
});

describe("with a token set", () => {
  const paths = ["/api/health", "/api/definitions", "/api/runs", "/api/assets", "/api/overview"];

  it.each(paths)("GET %s without the token → 401", async (p) => {
    const res = await api(url, "GET", p);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it.each(paths)("GET %s with Authorization: Bearer → 200", async (p) => {
    expect((await api(url, "GET", p, undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it("accepts ?token= (for EventSource) and refuses a wrong token", async () => {
    expect((await api(url, "GET", `/api/health?token=${TOKEN}`)).status).toBe(200);
    const wrong = await api(url, "GET", "/api/health", undefined, { authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toContain("not valid");
    expect((await api(url, "GET", "/api/health?token=nope")).status).toBe(401);
  });

  it("guards POST and the event stream too", async () => {
    expect((await api(url, "POST", "/api/runs", { selection: "*" })).status).toBe(401);
    const denied = await openStream(url);
    expect(denied.status).toBe(401);
    const stream = await openStream(url, `?token=${TOKEN}`);
    expect(stream.status).toBe(200);
    await stream.waitFor("ready", (m) => m.event === "ready");
    stream.close();
  });

  it("serves the page at / without the token (it holds no data)", async () => {
    expect((await fetch(`${url}/`)).status).toBe(200);
  });

  it("`sluice server` runs no daemon: a run launched over HTTP stays QUEUED", async () => {
    const res = await api(url, "POST", "/api/runs", { selection: "lonely" }, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1500));
    const run = await api(url, "GET", `/api/runs/${res.body.run.runId}`, undefined, { authorization: `Bearer ${TOKEN}` });
    expect(run.body.run.status).toBe("QUEUED");
  });
});

describe("sluice server with bad input", () => {
  it("exits 2 when its definitions fail to load, naming the file", async () => {
    const result = await runCli(["server", "-f", fixture("defs-errors/missing-dep.ts"), "--port", "0", "--home", sandbox.home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing-dep.ts");
  });

  it("exits 2 for a missing file, no definitions, or a bad port", async () => {
    const missing = await runCli(["dev", "-f", "nope.ts", "--port", "0", "--home", sandbox.home]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.ts");
    const none = await runCli(["dev", "--port", "0", "--home", sandbox.home]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("-f FILE");
    const port = await runCli(["server", "-f", SERVER_DEFS, "--port", "http", "--home", sandbox.home]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("--port");
  });

  it("exits 2 when the port is taken", async () => {
    const port = new URL(url).port;
    const result = await runCli(["server", "-f", SERVER_DEFS, "--port", port, "--host", "0.0.0.0", "--home", sandbox.home], { env: { SLUICE_TOKEN: TOKEN } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Port ${port}`);
  });
});
