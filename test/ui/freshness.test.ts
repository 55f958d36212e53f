/**
 * Freshness in headless Chromium against a real `sluice dev`: the asset page shows the policy in
 * words, the status pill, the lag and the deadline; a lineage node of an overdue asset carries a
 * small overdue marker, and a fresh one none.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT } from "../cli/helpers.js";
import { api, ServerSandbox, waitFor, type ServerProcess } from "../server/helpers.js";
import { runToEnd, assetNode } from "./asset-ui-helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";
import type { Browser } from "playwright-core";

const DEFS = path.join(REPO_ROOT, "test", "fixtures", "ui", "freshness-defs.ts");

describe("freshness in the web UI", () => {
  let browser: Browser;
  let sandbox: ServerSandbox;
  let server: ServerProcess;

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    sandbox = new ServerSandbox();
    server = await sandbox.startServer("dev", ["-f", DEFS], { cwd: REPO_ROOT });
    expect((await runToEnd(server.url, { selection: ["orders", "report"] })).status).toBe("SUCCESS");
    // orders' 2 s pass (the API computes freshness when asked).
    await waitFor("orders to be overdue", async () => {
      const body = (await api(server.url, "GET", "/api/assets/orders")).body;
      return body.freshness?.status === "OVERDUE" ? true : undefined;
    }, 30_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.dispose();
  });

  it("the asset page shows the policy, the status, the lag and the deadline", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets/orders`);
    const panel = page.getByTestId("asset-freshness");
    await panel.waitFor();
    expect(await panel.getByTestId("freshness-status").textContent()).toBe("overdue");
    expect(await panel.getByTestId("freshness-policy").textContent()).toBe("Policy: at most 2s old");
    expect(await panel.textContent()).toContain("Was due by");
    expect(await panel.getByTestId("freshness-lag").textContent()).toMatch(/^\d+ s$/);
    await screenshot(page, "freshness-asset-overdue");

    await page.goto(`${server.url}/assets/morning`);
    await page.getByTestId("asset-freshness").waitFor();
    expect(await page.getByTestId("freshness-status").textContent()).toBe("unknown");
    expect(await page.getByTestId("freshness-policy").textContent()).toBe("Policy: by 09:00 Europe/Paris, at most 2h old");
    expect(await page.getByTestId("asset-freshness").textContent()).toContain("Must be materialized by");
    await screenshot(page, "freshness-asset-cron");

    await page.goto(`${server.url}/assets/plain`);
    await page.getByTestId("latest-materialization").waitFor();
    expect(await page.getByTestId("asset-freshness").count()).toBe(0);
    expect(errors()).toEqual([]);
  });

  it("the asset page turns the pill overdue when the deadline passes, without a reload", async () => {
    const { page, errors } = await newPage(browser);
    expect((await runToEnd(server.url, { selection: ["soon"] })).status).toBe("SUCCESS");
    await page.goto(`${server.url}/assets/soon`);
    const pill = page.getByTestId("freshness-status");
    await pill.waitFor();
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    // Within its 8 s it is fresh.
    expect(await pill.textContent()).toBe("fresh");
    expect(await page.getByTestId("asset-freshness").textContent()).toContain("Must be materialized by");
    await screenshot(page, "freshness-asset-fresh");
    await waitFor("the pill to turn overdue", async () => ((await pill.textContent()) === "overdue" ? true : undefined), 20_000);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.getByTestId("asset-freshness").textContent()).toContain("Was due by");
    expect(errors()).toEqual([]);
  });

  it("lineage nodes of overdue assets carry a marker", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets`);
    await assetNode(page, "orders").waitFor();
    await waitFor("the overdue marker", async () => ((await assetNode(page, "orders").getByTestId("node-overdue").count()) === 1 ? true : undefined), 15_000);
    expect(await assetNode(page, "report").getByTestId("node-overdue").count()).toBe(0);
    expect(await assetNode(page, "plain").getByTestId("node-overdue").count()).toBe(0);
    await screenshot(page, "freshness-lineage");

    // Fresh data for soon (8 s lag): its marker goes with the run, and comes back when the
    // deadline passes, with no run or event to tell the page.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    expect((await runToEnd(server.url, { selection: ["soon"] })).status).toBe("SUCCESS");
    await waitFor("soon's marker to go", async () => ((await assetNode(page, "soon").getByTestId("node-overdue").count()) === 0 ? true : undefined), 8_000);
    await waitFor("soon's marker to come back", async () => ((await assetNode(page, "soon").getByTestId("node-overdue").count()) === 1 ? true : undefined), 20_000);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(errors()).toEqual([]);
  });
});
