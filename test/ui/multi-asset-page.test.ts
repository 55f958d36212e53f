/**
 * A multi-asset in the web UI, against a real `sluice dev` on the CLI's multi-asset fixture: the
 * asset page of an output names the assets computed with it, and the run page lists the
 * multi-asset's step (not its outputs) among the steps.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, fixture, REPO_ROOT } from "../cli/helpers.js";
import { ServerSandbox, waitFor, type ServerProcess } from "../server/helpers.js";
import { runToEnd } from "./asset-ui-helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";

describe("multi-asset in the UI", () => {
  let browser: Browser;
  let sandbox: ServerSandbox;
  let server: ServerProcess;

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    sandbox = new ServerSandbox();
    server = await sandbox.startServer("dev", ["-f", fixture("multi-asset.ts")], { cwd: REPO_ROOT });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.dispose();
  });

  it("shows what an output is computed with, and the multi-asset's step on the run page", async () => {
    const run = await runToEnd(server.url, { selection: ["orders", "orders/paid"] });
    expect(run.status).toBe("SUCCESS");
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets/orders/open`);
    await page.getByTestId("latest-materialization").locator("a").first().waitFor();
    const fact = page.getByTestId("multi-asset-fact");
    expect(await fact.textContent()).toBe("orders/paid (multi-asset split_orders)");
    expect(await fact.locator("a").getAttribute("href")).toBe("/assets/orders/paid");
    await screenshot(page, "multi-asset-page");

    await page.goto(`${server.url}/runs/${run.runId}`);
    const options = page.getByTestId("step-filter").locator("option");
    await waitFor("the multi-asset's step in the step filter", async () => (await options.allTextContents()).includes("split_orders") || undefined, 15_000);
    expect((await options.allTextContents()).slice(2)).toEqual(["orders", "split_orders"]);
    // The timeline has one row per step: the selected output is not a pending row of its own.
    const rows = await page.$$eval("[data-testid=gantt] .gantt-row[data-step]", (els) => els.map((e) => [e.getAttribute("data-step"), e.getAttribute("data-status")]));
    expect(rows).toEqual([
      ["orders", "SUCCESS"],
      ["split_orders", "SUCCESS"],
    ]);
    await screenshot(page, "multi-asset-run");
    expect(errors()).toEqual([]);
  });
});
