/**
 * Cross-site requests in a real headless Chromium against a real `sluice server` on loopback: a
 * `data:` page, a sandboxed iframe and a page of another local server try to launch or cancel a
 * run the ways a browser lets any page (a no-cors `fetch` with a text/plain body or none, a
 * text/plain form), and no run is created or canceled; the server's own page still launches one.
 *
 * Chromium itself keeps a non-secure page of an opaque origin (a `data:` page) from reaching
 * loopback (Private Network Access); Firefox and Safari do not. The browser here has that turned
 * off, to play the browsers that let such a request through to the server.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "../cli/helpers.js";
import { api, SERVER_DEFS, ServerSandbox, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage } from "./browser.js";

let browser: Browser;
const sandbox = new ServerSandbox();
let server: ServerProcess;
let other: Server;
let otherUrl: string;

/**
 * The script a hostile page runs: a no-cors POST, which a browser sends without asking the server.
 * Its outcome goes to `report(text)`: "answered" once the server answered (with whatever status:
 * the page cannot read it), "failed: ..." if the request did not get through.
 */
function attack(target: string, body: string | null, report: string): string {
  const init = `{ method: "POST", mode: "no-cors"${body === null ? "" : `, headers: { "content-type": "text/plain" }, body: ${JSON.stringify(body)}`} }`;
  return `fetch(${JSON.stringify(target)}, ${init}).then(() => ${report}("answered"), (e) => ${report}("failed: " + e.message));`;
}

/** An HTML page that runs `script` and frames `frame` (in a sandboxed iframe: an opaque origin) if given; outcomes land in `window.outcomes`. */
function hostilePage(script: string, frame?: string): string {
  const iframe = frame === undefined ? "" : `<iframe sandbox="allow-scripts" srcdoc="${frame.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"></iframe>`;
  const collect = `window.outcomes = []; window.report = (o) => outcomes.push(o); addEventListener("message", (e) => outcomes.push("frame " + e.data));`;
  return `<!doctype html><html><body><p>cat pictures</p><script>${collect}</script>${iframe}<script>${script}</script></body></html>`;
}

/** Waits for the server's answer to a request the page makes to `path` (opaque to the page, not to the browser). */
function answerTo(page: Page, path: string): Promise<Response> {
  return page.waitForResponse((res) => res.url() === `${server.url}${path}` && res.request().method() === "POST", { timeout: 30_000 });
}

async function runCount(): Promise<number> {
  return (await api(server.url, "GET", "/api/runs?limit=100")).body.runs.length;
}

beforeAll(async () => {
  assertBuilt();
  browser = await launchBrowser([
    "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks",
  ]);
  // `sluice server` has no daemon: a run that got through would stay QUEUED, easy to count.
  server = await sandbox.startServer("server", ["-f", SERVER_DEFS]);
  // A second site on loopback, as a page the user opened in another tab.
  let page = "";
  other = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(page));
  await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  (other as Server & { setPage: (html: string) => void }).setPage = (html) => (page = html);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => other?.close(resolve));
  await sandbox.dispose();
});

describe("a page of another origin cannot change state", () => {
  it("a data: page posting a run as text/plain (Origin: null) gets 403, and no run is created", async () => {
    const before = await runCount();
    const { page } = await newPage(browser);
    const answer = answerTo(page, "/api/runs");
    await page.goto(`data:text/html,${encodeURIComponent(hostilePage(attack(`${server.url}/api/runs`, JSON.stringify({ selection: "lonely" }), "report")))}`);
    expect((await answer).status()).toBe(403);
    expect(await runCount()).toBe(before);
    await page.close();
  });

  it("a data: page posting a text/plain form gets 403, and no run is created", async () => {
    const before = await runCount();
    const { page } = await newPage(browser);
    const answer = answerTo(page, "/api/runs");
    // The classic trick: a text/plain form whose one field spells JSON (`{... "x": "="}}`).
    const form =
      `<form method="POST" action="${server.url}/api/runs" enctype="text/plain">` +
      `<input name='{"selection": "lonely", "tags": {"x": "' value='"}}'></form><script>document.forms[0].submit()</script>`;
    await page.goto(`data:text/html,${encodeURIComponent(form)}`);
    expect((await answer).status()).toBe(403);
    expect(await runCount()).toBe(before);
    await page.close();
  });

  it("a data: page cancelling a run with a body-less no-cors POST gets 403, and the run stays queued", async () => {
    const launched = await api(server.url, "POST", "/api/runs", { selection: "lonely" });
    expect(launched.status).toBe(201);
    const runId = launched.body.run.runId as string;
    const { page } = await newPage(browser);
    const answer = answerTo(page, `/api/runs/${runId}/cancel`);
    await page.goto(`data:text/html,${encodeURIComponent(hostilePage(attack(`${server.url}/api/runs/${runId}/cancel`, null, "report")))}`);
    expect((await answer).status()).toBe(403);
    expect((await api(server.url, "GET", `/api/runs/${runId}`)).body.run.status).toBe("QUEUED");
    await page.close();
  });

  it("a page of another local site, and a sandboxed iframe in it, are answered, and no run is created", async () => {
    const before = await runCount();
    const body = JSON.stringify({ selection: "lonely" });
    const frame = `<script>const report = (o) => parent.postMessage(o, "*"); ${attack(`${server.url}/api/runs`, body, "report")}</script>`;
    (other as Server & { setPage: (html: string) => void }).setPage(hostilePage(attack(`${server.url}/api/runs`, body, "report"), frame));
    const { page } = await newPage(browser);
    await page.goto(otherUrl);
    // Both requests reached the server and were answered (a 403 each, which the pages cannot see).
    await expect.poll(() => page.evaluate<string[]>("window.outcomes.slice().sort()"), { timeout: 30_000 }).toEqual(["answered", "frame answered"]);
    expect(await runCount()).toBe(before);
    await page.close();
  });
});

describe("the server's own page", () => {
  it("launches a run with JSON, and gets 415 for the same request as text/plain", async () => {
    const before = await runCount();
    const { page } = await newPage(browser);
    await page.goto(server.url);
    const statuses = await page.evaluate(async () => {
      const send = (contentType: string) =>
        fetch("/api/runs", { method: "POST", headers: { "content-type": contentType }, body: JSON.stringify({ selection: "lonely" }) }).then((r) => r.status);
      return [await send("text/plain"), await send("application/json")];
    });
    expect(statuses).toEqual([415, 201]);
    expect(await runCount()).toBe(before + 1);
    await page.close();
  });
});
