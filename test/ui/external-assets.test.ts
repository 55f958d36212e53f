/**
 * External and observable assets in headless Chromium against a real `sluice dev` on
 * test/fixtures/ui/external: the external asset's page (the note with the report command, a
 * reported materialization labelled "reported", no Materialize button), the observable asset's
 * Observe button and data versions, and the lineage markers.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT } from "../cli/helpers.js";
import { api, ServerSandbox, waitFor, waitForRun, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";

describe("external and observable assets in the UI", () => {
  let browser: Browser;
  let sandbox: ServerSandbox;
  let server: ServerProcess;
  let project: string;

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    sandbox = new ServerSandbox();
    mkdirSync(path.join(REPO_ROOT, ".scratch"), { recursive: true });
    project = mkdtempSync(path.join(REPO_ROOT, ".scratch", "ui-external-"));
    cpSync(path.join(REPO_ROOT, "test", "fixtures", "ui", "external"), project, { recursive: true });
    server = await sandbox.startServer("dev", ["-f", path.join(project, "defs.ts")], { cwd: REPO_ROOT });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("an external asset's page says so, with the report command, and labels reported materializations", async () => {
    const reported = await api(server.url, "POST", "/api/assets/vendor/feed/reports", { metadata: { rows: 120 }, description: "nightly drop" });
    expect(reported.status).toBe(201);
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets/vendor/feed`);
    const note = page.getByTestId("external-asset-note");
    await note.waitFor();
    expect(await note.locator("h2").textContent()).toBe("External asset — materialized outside Sluice");
    expect(await page.getByTestId("report-command").textContent()).toContain("sluice asset report vendor/feed");
    expect(await page.getByTestId("materialize-asset").count()).toBe(0);
    const history = page.getByTestId("materialization-history");
    await history.waitFor();
    expect(await history.getByTestId("reported-label").allTextContents()).toEqual(["reported"]);
    expect(await history.locator("a[href^='/runs/']").count()).toBe(0);
    expect(await page.getByTestId("latest-materialization").textContent()).toContain("reported");
    expect(await page.getByTestId("latest-materialization").textContent()).toContain("rows");
    await screenshot(page, "external-asset-page");
    expect(errors()).toEqual([]);
  });

  it("an observable asset's Observe button launches a run whose data version the page then shows", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets/source/orders_file`);
    await page.getByTestId("observable-panel").waitFor();
    expect(await page.getByTestId("latest-data-version").textContent()).toBe("Never observed.");
    expect(await page.getByTestId("materialize-asset").count()).toBe(0);
    await page.getByTestId("observe-asset").click();
    const link = page.getByTestId("observe-launched").locator("a").first();
    await link.waitFor();
    const runId = (await link.getAttribute("href"))!.slice("/runs/".length);
    expect((await waitForRun(server.url, runId, ["SUCCESS", "FAILURE"])).status).toBe("SUCCESS");
    await waitFor("the data version on the page", async () => ((await page.getByTestId("latest-data-version").textContent())?.includes("sha-1111") ? true : undefined), 15_000);
    // A new version of the file, observed again: both are in the history, newest first.
    writeFileSync(path.join(project, "version.txt"), "sha-2222\n");
    await page.getByTestId("observe-asset").click();
    await waitFor("the second observation", async () => ((await page.getByTestId("observation-history").locator("tbody tr").count()) === 2 ? true : undefined), 30_000);
    expect(await page.getByTestId("observation-history").locator("tbody tr td:nth-child(4)").allTextContents()).toEqual(["sha-2222", "sha-1111"]);
    expect(await page.getByTestId("latest-data-version").textContent()).toContain("sha-2222");
    await screenshot(page, "observable-asset-page");
    expect(errors()).toEqual([]);
  });

  it("the lineage marks external and observable assets", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets`);
    const node = (key: string) => page.locator(`[data-testid=lineage-asset][data-key="${key}"]`);
    await node("vendor/feed").waitFor();
    expect(await node("vendor/feed").getByTestId("asset-kind-marker").textContent()).toBe("external");
    expect(await node("source/orders_file").getByTestId("asset-kind-marker").textContent()).toBe("observable");
    expect(await node("orders_clean").getByTestId("asset-kind-marker").count()).toBe(0);
    expect(await node("vendor/feed").getAttribute("data-status")).toBe("MATERIALIZED");
    await screenshot(page, "external-lineage");
    expect(errors()).toEqual([]);
  });
});
