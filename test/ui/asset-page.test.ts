/**
 * The asset page (/assets/<key>) in headless Chromium against a real `sluice dev` on the
 * quickstart: definition and lineage links, the Materialize button, the history and the
 * row-count chart growing live with each materialization, and a clear error for an unknown asset.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor, waitForRun } from "../server/helpers.js";
import { runToEnd, startQuickstart, type QuickstartWorld } from "./asset-ui-helpers.js";
import { newPage, screenshot } from "./browser.js";

async function historyRunIds(page: Page): Promise<string[]> {
  return page.$$eval("[data-testid=materialization-history] tbody tr td:nth-child(2) a", (links) => links.map((a) => a.getAttribute("href")!.slice("/runs/".length)));
}

/**
 * Clicks Materialize, waits for the link to the run that this click launched (not one launched
 * before, whose banner may still be shown on a slow machine) and for that run to succeed; returns
 * the run id.
 */
async function materializeFromPage(page: Page, url: string, before: readonly string[] = []): Promise<string> {
  await page.getByTestId("materialize-asset").click();
  const link = page.getByTestId("launched-run").locator("a").first();
  const runId = await waitFor(
    "the launched run's link",
    async () => {
      const href = (await link.count()) > 0 ? await link.getAttribute("href") : null;
      const id = href?.slice("/runs/".length);
      return id && !before.includes(id) ? id : undefined;
    },
    15_000,
  );
  const run = await waitForRun(url, runId, ["SUCCESS", "FAILURE"]);
  expect(run.status).toBe("SUCCESS");
  expect(run.selection).toEqual(["clean/orders"]);
  return runId;
}

describe("asset page", () => {
  let world: QuickstartWorld;

  beforeAll(async () => {
    world = await startQuickstart();
    // clean/orders reads raw/orders' stored value: materialize that once first.
    expect((await runToEnd(world.server.url, { selection: ["raw/orders"] })).status).toBe("SUCCESS");
  });

  afterAll(async () => {
    await world?.dispose();
  });

  it("shows the definition, lineage links and, after two materializations, their history and row-count chart", async () => {
    const { page, errors } = await newPage(world.browser);
    const url = world.server.url;
    await page.goto(`${url}/assets/clean/orders`);
    await page.getByTestId("asset-page").waitFor();
    await page.getByTestId("latest-materialization").waitFor();
    expect(await page.locator("main h1").first().textContent()).toBe("clean/orders");
    expect(await page.getByTestId("asset-description").textContent()).toBe("Orders with a valid date and a positive amount; the others are dropped and logged.");
    expect(await page.getByTestId("latest-materialization").textContent()).toContain("Never materialized.");
    expect(await page.getByTestId("upstream").locator("a").allTextContents()).toEqual(["raw/orders"]);
    expect((await page.getByTestId("downstream").locator("a").allTextContents()).sort()).toEqual(["report/daily_revenue", "report/revenue_by_country"]);
    const definition = (await page.getByTestId("asset-definition").textContent()) ?? "";
    expect(definition).toContain("transform");
    expect(definition).toContain("refresh_reports");
    expect(await page.getByTestId("numeric-metadata").count()).toBe(0);
    // Set in the page: it survives only if the page is never reloaded.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

    const first = await materializeFromPage(page, url);
    await waitFor("one row of history", async () => ((await historyRunIds(page)).length === 1 ? true : undefined), 15_000);
    const second = await materializeFromPage(page, url, [first]);
    await waitFor("two rows of history", async () => ((await historyRunIds(page)).length === 2 ? true : undefined), 15_000);
    expect(await historyRunIds(page)).toEqual([second, first]);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    // The quickstart keeps 9 of its 12 orders: row count 9, 3 dropped, in both materializations.
    const rows = await page.locator("[data-testid=materialization-history] tbody tr").allTextContents();
    for (const row of rows) {
      expect(row).toContain("sluice/row_count: 9");
      expect(row).toContain("dropped: 3");
    }
    const latest = (await page.getByTestId("latest-metadata").textContent()) ?? "";
    expect(latest).toContain("sluice/row_count9");
    expect(await page.locator("main").getByText("MATERIALIZED", { exact: true }).count()).toBeGreaterThan(0);

    const chart = page.locator('[data-testid=metadata-chart][data-series="sluice/row_count"]');
    await waitFor("the row-count chart with two points", async () => ((await chart.getAttribute("data-points")) === "2" ? true : undefined), 15_000);
    expect(await chart.locator("canvas").count()).toBe(1);
    const canvas = (await chart.locator("canvas").boundingBox())!;
    expect(canvas.width).toBeGreaterThan(200);
    expect(canvas.height).toBeGreaterThan(100);
    expect(await chart.textContent()).toContain("latest 9 · 2 points");
    expect(await page.locator('[data-testid=metadata-chart][data-series="dropped"]').getAttribute("data-points")).toBe("2");

    const runs = await page.getByTestId("asset-runs").locator("tbody tr").allTextContents();
    expect(runs).toHaveLength(2);
    for (const row of runs) expect(row).toContain("SUCCESS");
    await screenshot(page, "asset-page-history");

    // Upstream links lead to the upstream asset's page.
    await page.getByTestId("upstream").getByRole("link", { name: "raw/orders" }).click();
    await page.waitForURL("**/assets/raw/orders");
    await waitFor("raw/orders' page", async () => ((await page.locator("main h1").first().textContent()) === "raw/orders" ? true : undefined), 10_000);
    await page.getByTestId("materialization-history").waitFor();
    expect(await page.getByTestId("asset-description").textContent()).toBe("Orders as exported by the shop, untouched.");
    expect((await page.getByTestId("latest-metadata").textContent()) ?? "").toContain("source");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("says so, with the API's error code, when the asset does not exist", async () => {
    const { page } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets/no/such/asset`);
    const error = page.getByTestId("error");
    await error.waitFor();
    const text = (await error.textContent()) ?? "";
    expect(text).toContain("NOT_FOUND");
    expect(text).toContain('Asset "no/such/asset" is not defined and has no materializations.');
    expect(await page.getByTestId("materialize-asset").isDisabled()).toBe(true);
    await screenshot(page, "asset-page-not-found");
    await page.close();
  });
});
