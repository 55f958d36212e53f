/**
 * Declarative automation in a real browser against a real `sluice dev` (its daemon evaluating
 * every second): the loop started from the Automation page, an upstream materialized, and the
 * evaluations the loop really made and kept shown on the assets' Automation tab (each node true or
 * false, "k of n partitions" for a partitioned asset, the runs requested); an asset without a
 * condition explains how to add one; the loop stopped from the tab after a confirmation.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT, removeTempDirs } from "../cli/helpers.js";
import { api, ServerSandbox, waitFor, waitForRun, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";

const DEFS = path.join(REPO_ROOT, "test", "fixtures", "automation", "explain-defs.ts");

interface EvaluationJson {
  id: number;
  evaluationId: number;
  requestedCount: number;
  runIds: string[];
}

describe("automation conditions in the UI", () => {
  let browser: Browser;
  let sandbox: ServerSandbox;
  let server: ServerProcess;

  const evaluations = async (key: string): Promise<EvaluationJson[]> => (await api(server.url, "GET", `/api/assets/${key}/automation?limit=50`)).body.evaluations;
  const loopStatus = async (): Promise<string> => (await api(server.url, "GET", "/api/automation")).body.status;

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    sandbox = new ServerSandbox();
    writeFileSync(path.join(sandbox.home, "sluice.yaml"), "automation:\n  evaluation_interval_seconds: 1\n");
    server = await sandbox.startServer("dev", ["-f", DEFS]);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.dispose();
    removeTempDirs();
  });

  it("explains how to add a condition on an asset without one", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets/raw`);
    await page.getByTestId("tab-automation").click();
    await page.waitForURL(/\/assets\/raw\?tab=automation$/);
    const panel = page.getByTestId("no-condition");
    await panel.waitFor();
    expect(await panel.textContent()).toContain("automation: AutomationCondition.eager()");
    await screenshot(page, "automation-no-condition");
    // The Overview tab is the asset page as it was.
    await page.getByTestId("asset-tabs").getByRole("link", { name: "Overview" }).click();
    await page.getByTestId("latest-materialization").waitFor();
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("starts the loop from the Automation page, listed beside schedules and sensors", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/automation`);
    const loop = page.getByTestId("automation-loop");
    await loop.waitFor();
    expect(await loop.getAttribute("data-status")).toBe("STOPPED");
    expect(await page.getByTestId("automated-assets").textContent()).toBe("Evaluates: clean, report, regions");
    await page.getByTestId("automation-start").click();
    await page.locator('[data-testid="automation-loop"][data-status="RUNNING"]').waitFor();
    expect(await loopStatus()).toBe("RUNNING");
    await screenshot(page, "automation-loop-running");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("shows the evaluations the loop kept: each node true or false, the run requested, then not requested", async () => {
    const launched = await api(server.url, "POST", "/api/runs", { selection: ["raw"] });
    expect(launched.status).toBe(201);
    await waitForRun(server.url, launched.body.run.runId, ["SUCCESS"]);
    // Requested once (clean and report in one run), then false once clean is updated.
    const kept = await waitFor(
      "two kept evaluations of clean, the older with a run that succeeded",
      async () => {
        const list = await evaluations("clean");
        const requested = list.find((e) => e.requestedCount > 0 && e.runIds.length > 0);
        if (!requested || list[0]!.requestedCount > 0) return undefined;
        const run = (await api(server.url, "GET", `/api/runs/${requested.runIds[0]}`)).body.run;
        return run.status === "SUCCESS" ? { latest: list[0]!, requested } : undefined;
      },
      90_000,
      250,
    );

    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets/clean?tab=automation`);
    const detail = page.getByTestId("evaluation-detail");
    await detail.waitFor();
    // The newest is shown first (the loop may have kept a newer one since): nothing requested, the root false.
    expect(Number(await detail.getAttribute("data-evaluation"))).toBeGreaterThanOrEqual(kept.latest.evaluationId);
    expect(await page.getByTestId("evaluation-requested").textContent()).toBe("nothing");
    const root = page.getByTestId("evaluation-tree").getByTestId("condition-node").first();
    expect(await root.getAttribute("data-result")).toBe("false");
    // The condition in words, without marks.
    expect(await page.getByTestId("condition-definition").getByTestId("condition-node").first().textContent()).toBe("eagerall of");

    await page.locator(`[data-testid="evaluation-row"][data-evaluation="${kept.requested.evaluationId}"]`).click();
    await page.locator(`[data-testid="evaluation-detail"][data-evaluation="${kept.requested.evaluationId}"]`).waitFor();
    expect(await page.getByTestId("evaluation-requested").textContent()).toBe("a run");
    expect(await root.getAttribute("data-result")).toBe("true");
    // Clean had never been materialized, so the trigger that held was "missing". (Whether
    // any_deps_updated was true in this very evaluation depends on whether the loop ran while raw's
    // run was still finishing: then the update was seen one evaluation earlier and "since" kept it.)
    // The first "missing" node is clean's own (inside newly_missing); any_deps_missing holds another.
    const missingNode = page.getByTestId("evaluation-tree").locator('[data-testid="condition-node"][data-type="missing"]').first();
    expect(await missingNode.getAttribute("data-result")).toBe("true");
    const since = page.getByTestId("evaluation-tree").locator('[data-testid="condition-node"][data-type="since"]');
    expect(await since.getAttribute("data-result")).toBe("true");
    await screenshot(page, "automation-clean-requested");

    const runLink = page.getByTestId("evaluation-runs").getByRole("link");
    expect(await runLink.textContent()).toBe(kept.requested.runIds[0]!.slice(0, 8));
    await runLink.click();
    await page.waitForURL(new RegExp(`/runs/${kept.requested.runIds[0]}$`));
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("counts partitions on every node of a partitioned asset", async () => {
    const requested = await waitFor("the regions' requesting evaluation", async () => (await evaluations("regions")).find((e) => e.requestedCount === 3), 60_000, 250);
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets/regions?tab=automation`);
    await page.locator(`[data-testid="evaluation-row"][data-evaluation="${requested.evaluationId}"]`).click();
    await page.locator(`[data-testid="evaluation-detail"][data-evaluation="${requested.evaluationId}"]`).waitFor();
    expect(await page.getByTestId("evaluation-requested").textContent()).toBe("3 partitions (apac, eu, us)");
    const counts = page.getByTestId("evaluation-tree").getByTestId("condition-count");
    expect(await counts.first().textContent()).toBe("3 of 3 partitions");
    expect(await page.getByTestId("evaluation-runs").getByRole("link").count()).toBe(3);
    await screenshot(page, "automation-partitioned");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("stops the loop from the tab only after a confirmation", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets/report?tab=automation`);
    await page.locator('[data-testid="automation-loop"][data-status="RUNNING"]').waitFor();
    await page.getByTestId("automation-stop").click();
    await page.getByTestId("automation-stop-confirm").waitFor();
    await screenshot(page, "automation-stop-confirm");
    expect(await loopStatus()).toBe("RUNNING");
    await page.getByTestId("automation-stop-confirmed").click();
    await page.locator('[data-testid="automation-loop"][data-status="STOPPED"]').waitFor();
    expect(await loopStatus()).toBe("STOPPED");
    expect(errors()).toEqual([]);
    await page.close();
  });
});
