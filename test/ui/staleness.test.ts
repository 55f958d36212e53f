/**
 * Staleness in the web UI, against a real `sluice dev` on the quickstart: materialize everything,
 * materialize raw/orders again → clean/orders shows stale ("upstream raw/orders updated") on its page
 * and on its lineage node, and the reports downstream as "upstream clean/orders is stale"; then give
 * clean/orders a code version in the definitions file → "code version changed (none → v2)".
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, waitFor } from "../server/helpers.js";
import { assetNode, QUICKSTART_GROUPS, runToEnd, startQuickstart, type QuickstartWorld } from "./asset-ui-helpers.js";
import { newPage, screenshot } from "./browser.js";

const ALL_KEYS = Object.values(QUICKSTART_GROUPS).flat();

describe("staleness in the UI", () => {
  let world: QuickstartWorld;

  beforeAll(async () => {
    world = await startQuickstart();
    expect((await runToEnd(world.server.url, { selection: ALL_KEYS })).status).toBe("SUCCESS");
  });

  afterAll(async () => {
    await world?.dispose();
  });

  it("marks what an upstream change made stale, on the asset page and the lineage graph", async () => {
    const { page, errors } = await newPage(world.browser);
    const url = world.server.url;
    await page.goto(`${url}/assets/clean/orders`);
    const panel = page.getByTestId("staleness");
    await waitFor("the asset up to date", async () => ((await panel.getAttribute("data-status")) === "UP_TO_DATE" ? true : undefined), 15_000);
    expect(await page.getByTestId("code-version").textContent()).toBe("none");
    const firstVersion = (await page.getByTestId("data-version").textContent())!;
    expect(firstVersion).toMatch(/^[0-9a-f]{24}$/);

    expect((await runToEnd(url, { selection: ["raw/orders"] })).status).toBe("SUCCESS");
    await waitFor("the asset page to show it stale", async () => ((await panel.getAttribute("data-status")) === "STALE" ? true : undefined), 15_000);
    expect(await page.getByTestId("stale-reasons").textContent()).toBe("upstream raw/orders updated");
    expect(await page.getByTestId("stale-reasons").locator("a").getAttribute("href")).toBe("/assets/raw/orders");
    await screenshot(page, "staleness-asset-page-upstream");

    await page.goto(`${url}/assets`);
    const marker = assetNode(page, "clean/orders").getByTestId("node-stale");
    await marker.waitFor();
    expect(await marker.textContent()).toBe("stale");
    expect(await marker.getAttribute("title")).toBe("Stale: upstream raw/orders updated");
    expect(await assetNode(page, "report/daily_revenue").getByTestId("node-stale").getAttribute("title")).toBe("Stale: upstream clean/orders is stale");
    expect(await assetNode(page, "raw/orders").getByTestId("node-stale").count()).toBe(0);
    expect(await assetNode(page, "raw/customers").getByTestId("node-stale").count()).toBe(0);
    await screenshot(page, "staleness-lineage");

    // Materializing what is stale clears the markers, live.
    expect((await runToEnd(url, { selection: ALL_KEYS.filter((k) => !k.startsWith("raw/")) })).status).toBe("SUCCESS");
    await waitFor("no stale marker", async () => ((await page.getByTestId("node-stale").count()) === 0 ? true : undefined), 15_000);
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("says which code version changed once the definitions file changes", async () => {
    const { page, errors } = await newPage(world.browser);
    const url = world.server.url;
    const original = readFileSync(world.defsFile, "utf8");
    const edited = original.replace('key: "clean/orders",', 'key: "clean/orders",\n  codeVersion: "v2",');
    expect(edited).not.toBe(original);
    writeFileSync(world.defsFile, edited);
    try {
      await waitFor("the reload", async () => ((await api(url, "GET", "/api/assets/clean/orders")).body.asset?.codeVersion === "v2" ? true : undefined), 30_000);
      await page.goto(`${url}/assets/clean/orders`);
      const panel = page.getByTestId("staleness");
      await waitFor("the asset page to show it stale", async () => ((await panel.getAttribute("data-status")) === "STALE" ? true : undefined), 15_000);
      expect(await page.getByTestId("stale-reasons").locator("li").allTextContents()).toEqual(["code version changed (none → v2)"]);
      expect(await page.getByTestId("code-version").textContent()).toBe("v2");
      expect(await page.getByTestId("materialized-code-version").textContent()).toBe("none");
      await screenshot(page, "staleness-asset-page-code-version");
    } finally {
      writeFileSync(world.defsFile, original);
    }
    expect(errors()).toEqual([]);
    await page.close();
  });
});
