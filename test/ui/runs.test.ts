/**
 * Run control in a real browser against a real `sluice dev` on the server fixture (its flags make
 * the step `numbers` block until canceled, or fail): cancel a running run from its page while its
 * Gantt bar grows, re-execute a failed run from failure, and launch an op job whose required config
 * is missing, then given.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { api, SERVER_DEFS, ServerSandbox, sleep, waitFor, waitForRun, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";
import { markPage, runIdOf, stillSamePage, textsOf } from "./ui-helpers.js";

describe("run control on the server fixture", () => {
  let browser: Browser;
  let sandbox: ServerSandbox;
  let server: ServerProcess;

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    sandbox = new ServerSandbox();
    server = await sandbox.startServer("dev", ["-f", SERVER_DEFS]);
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.dispose();
    removeTempDirs();
  });

  const clearFlag = (name: string) => rmSync(path.join(sandbox.fixtureDir, name), { force: true });

  it("cancels a running run from its page, while the running step's bar grows live", async () => {
    sandbox.setFlag("slow");
    try {
      const runId = (await api(server.url, "POST", "/api/runs", { selection: "+numbers" })).body.run.runId;
      const { page, errors } = await newPage(browser);
      await page.goto(`${server.url}/runs/${runId}`);
      await markPage(page);
      const numbers = page.locator('.gantt-row[data-step="numbers"]');
      await page.locator('.gantt-row[data-step="numbers"][data-status="IN_PROGRESS"]').waitFor({ timeout: 30_000 });
      // The in-progress bar reaches "now" on a time line that ends "now": it grows relative to the
      // finished step's bar, whose share of the line shrinks.
      const share = async () => {
        const source = await page.locator('.gantt-row[data-step="raw/source"] [data-testid="gantt-bar"]').evaluate((e) => (e as unknown as { style: { width: string } }).style.width);
        const running = await numbers.locator('[data-testid="gantt-bar"]').evaluate((e) => (e as unknown as { style: { width: string } }).style.width);
        return { source: parseFloat(source), running: parseFloat(running) };
      };
      const early = await share();
      await sleep(1500);
      const later = await share();
      expect(later.source).toBeLessThan(early.source);
      expect(later.running).toBeGreaterThan(50);
      expect(await page.getByTestId("reexecute-all").count()).toBe(0);
      await screenshot(page, "run-in-progress");

      await page.getByTestId("cancel-run").click();
      await page.getByTestId("run-status").getByText("CANCELED").waitFor({ timeout: 30_000 });
      expect(await stillSamePage(page)).toBe(true);
      expect((await api(server.url, "GET", `/api/runs/${runId}`)).body.run.status).toBe("CANCELED");
      expect(await page.getByTestId("cancel-run").count()).toBe(0);
      expect(await page.getByTestId("reexecute-failure").count()).toBe(0);
      await page.getByTestId("reexecute-all").waitFor();
      await page.locator('.log-row[data-type="RUN_CANCELED"]').waitFor({ timeout: 10_000 });
      await screenshot(page, "run-canceled");
      expect(errors()).toEqual([]);
      await page.close();
    } finally {
      clearFlag("slow");
    }
  });

  it("shows a step that started before the page's live stream opened (a loaded machine opens it late)", async () => {
    sandbox.setFlag("slow");
    const { page, errors } = await newPage(browser);
    // The live stream is held back until the step runs, so its STEP_START is never streamed.
    let releaseStream!: () => void;
    const streamHeld = new Promise<void>((resolve) => (releaseStream = resolve));
    await page.route("**/api/events/stream**", async (route) => {
      await streamHeld;
      await route.continue();
    });
    try {
      const runId = (await api(server.url, "POST", "/api/runs", { selection: "+numbers" })).body.run.runId;
      // The page's first read of the run answers as it was at launch: read before the step started.
      const atLaunch = (await api(server.url, "GET", `/api/runs/${runId}`)).body;
      expect(atLaunch.run.steps.some((s: { key: string; status: string }) => s.key === "numbers" && s.status !== "PENDING")).toBe(false);
      let firstRead = true;
      await page.route(`**/api/runs/${runId}`, async (route) => {
        if (!firstRead) return route.continue();
        firstRead = false;
        await route.fulfill({ json: atLaunch });
      });
      await page.goto(`${server.url}/runs/${runId}`);
      await page.getByTestId("run-status").waitFor();
      await waitFor("numbers to run", async () => {
        const run = (await api(server.url, "GET", `/api/runs/${runId}`)).body.run;
        return run.steps?.some((s: { key: string; status: string }) => s.key === "numbers" && s.status === "IN_PROGRESS");
      });
      // Its events are there (read with afterId), but the run as first read says it has not started.
      await page.locator('.log-row[data-type="STEP_START"]').nth(1).waitFor({ timeout: 30_000 });
      expect(await page.locator('.gantt-row[data-step="numbers"][data-status="IN_PROGRESS"]').count()).toBe(0);
      releaseStream();
      // Nothing more is streamed about the step (it waits to be canceled): the page must read again once the stream opens.
      await page.locator('.gantt-row[data-step="numbers"][data-status="IN_PROGRESS"]').waitFor({ timeout: 30_000 });
      await page.getByTestId("cancel-run").click();
      await page.getByTestId("run-status").getByText("CANCELED").waitFor({ timeout: 30_000 });
      expect(errors()).toEqual([]);
    } finally {
      releaseStream();
      clearFlag("slow");
      await page.close();
    }
  });

  it("re-executes a failed run from failure: the new run opens, links to its parent, runs only what failed, and succeeds", async () => {
    sandbox.setFlag("fail");
    const failedId = (await api(server.url, "POST", "/api/runs", { selection: "*", tags: { team: "data" } })).body.run.runId;
    try {
      expect((await waitForRun(server.url, failedId, ["FAILURE", "SUCCESS"])).status).toBe("FAILURE");
    } finally {
      clearFlag("fail");
    }
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/runs/${failedId}`);
    await page.getByTestId("run-status").getByText("FAILURE").waitFor();
    await page.locator('.gantt-row[data-step="numbers"][data-status="FAILURE"]').waitFor();
    await page.locator('.gantt-row[data-step="total"][data-status="SKIPPED"]').waitFor();
    await page.getByTestId("level-ERROR").click();
    const failure = page.locator('.log-row[data-type="STEP_FAILURE"]');
    await failure.waitFor();
    await failure.click();
    expect(await page.locator(".log-stack").textContent()).toContain("Error: numbers failed on purpose");
    await screenshot(page, "run-failed");

    await page.getByTestId("reexecute-failure").click();
    await page.waitForURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(failedId));
    const newId = runIdOf(page.url());
    await page.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("parent-run").getAttribute("href")).toBe(`/runs/${failedId}`);
    await waitFor("both re-executed steps done", async () => ((await page.locator('.gantt-row[data-status="SUCCESS"]').count()) === 2 ? true : undefined), 10_000);
    expect(await page.locator(".gantt-row[data-step]").evaluateAll((els) => els.map((e) => e.getAttribute("data-step")))).toEqual(["numbers", "total"]);
    const run = (await api(server.url, "GET", `/api/runs/${newId}`)).body.run;
    expect(run).toMatchObject({ status: "SUCCESS", parentRunId: failedId, selection: ["numbers", "total"], tags: { team: "data", "sluice/reexecution": "from_failure" } });
    await screenshot(page, "run-reexecuted");

    // The parent run is now listed as the root of a re-execution; "Re-execute all" re-runs all four.
    await page.getByTestId("parent-run").click();
    await page.getByTestId("reexecute-all").click();
    await page.waitForURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(failedId) && !url.pathname.endsWith(newId));
    await page.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 30_000 });
    expect((await api(server.url, "GET", `/api/runs/${runIdOf(page.url())}`)).body.run).toMatchObject({ parentRunId: failedId, selection: ["raw/source", "numbers", "total", "lonely"] });
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("launches an op job: a missing required field is named by the schema check and by the server; once given, the run greets", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/jobs/hello`);
    await page.getByTestId("launchpad").waitFor();
    expect(JSON.parse(await page.getByTestId("config-editor").inputValue())).toEqual({ ops: { greet: { config: {} } } });
    expect(await page.getByTestId("config-problems").textContent()).toContain("ops.greet.config.name is required (string)");
    await page.getByTestId("launch-run").click();
    const launchError = page.getByTestId("launch-error");
    await launchError.waitFor();
    expect(await launchError.textContent()).toContain("CONFIG_ERROR");
    expect(await launchError.textContent()).toContain("at ops.greet.config.name");
    await screenshot(page, "launchpad-missing-field");

    await page.getByTestId("config-editor").fill('{"ops": {"greet": {"config": {"name": "ada"}}}}');
    await page.getByTestId("config-problems").waitFor({ state: "detached" });
    await page.getByTestId("launch-run").click();
    await page.waitForURL(/\/runs\/[\w-]+$/);
    await page.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 30_000 });
    await page.getByTestId("log-search").fill("hello ada");
    await waitFor("the greeting in the log", async () => ((await page.getByTestId("log-message").count()) === 1 ? true : undefined), 10_000);
    expect(await textsOf(page.locator(".log-row .log-step"))).toEqual(["greet"]);
    expect(errors()).toEqual([expect.stringContaining("the server responded with a status of 400")]);
    await page.close();
  });

  it("shows a run that does not exist as RUN_NOT_FOUND", async () => {
    const { page } = await newPage(browser);
    await page.goto(`${server.url}/runs/no-such-run`);
    const error = page.getByTestId("error");
    await error.waitFor();
    expect(await error.textContent()).toContain("RUN_NOT_FOUND");
    await page.close();
  });
});
