/**
 * The lineage view (/assets) in headless Chromium against a real `sluice dev` on the quickstart:
 * the graph with its group boxes, the selection search and its parse errors, selecting nodes
 * (click, shift-click, shift-drag), and materializing them while the statuses change live.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, waitFor, waitForRun } from "../server/helpers.js";
import { assetNode, clickNodeBody, nodeStatuses, QUICKSTART_GROUPS, startQuickstart, type QuickstartWorld } from "./asset-ui-helpers.js";
import { newPage, screenshot } from "./browser.js";

const ALL_KEYS = Object.values(QUICKSTART_GROUPS).flat().sort();

async function shownKeys(page: Page): Promise<string[]> {
  return (await page.$$eval("[data-testid=lineage-asset]", (els) => els.map((e) => e.getAttribute("data-key")!))).sort();
}

async function waitForShown(page: Page, keys: string[]): Promise<void> {
  await waitFor(`the graph to show ${keys.join(", ")}`, async () => (JSON.stringify(await shownKeys(page)) === JSON.stringify([...keys].sort()) ? true : undefined), 15_000);
}

describe("lineage view", () => {
  let world: QuickstartWorld;

  beforeAll(async () => {
    world = await startQuickstart();
  });

  afterAll(async () => {
    await world?.dispose();
  });

  it("draws the six assets inside their three group boxes, with kinds and statuses", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets`);
    await waitForShown(page, ALL_KEYS);
    expect(await page.getByTestId("selection-count").textContent()).toBe("6 assets");
    const boxes = page.getByTestId("lineage-group-box");
    expect((await boxes.evaluateAll((els) => els.map((e) => e.getAttribute("data-group")))).sort()).toEqual(["ingest", "report", "transform"]);
    for (const [group, keys] of Object.entries(QUICKSTART_GROUPS)) {
      const box = (await page.locator(`[data-testid=lineage-group-box][data-group="${group}"]`).boundingBox())!;
      expect(await page.locator(`[data-testid=lineage-group-box][data-group="${group}"]`).textContent()).toContain(`${keys.length} asset`);
      for (const key of keys) {
        const node = (await assetNode(page, key).boundingBox())!;
        expect(node.x >= box.x && node.y >= box.y && node.x + node.width <= box.x + box.width && node.y + node.height <= box.y + box.height, `${key} in ${group}`).toBe(true);
      }
    }
    // Left to right: ingest, then transform, then report.
    const x = async (key: string) => (await assetNode(page, key).boundingBox())!.x;
    expect(await x("raw/orders")).toBeLessThan(await x("clean/orders"));
    expect(await x("clean/orders")).toBeLessThan(await x("report/daily_revenue"));
    expect(await x("report/daily_revenue")).toBeLessThan(await x("export/daily_revenue_csv"));
    expect(Object.values(await nodeStatuses(page))).toEqual(Array(6).fill("NEVER_MATERIALIZED"));
    expect(await assetNode(page, "raw/orders").textContent()).toContain("csv");
    expect(await assetNode(page, "raw/orders").textContent()).toContain("NEVER MATERIALIZED");
    expect(await page.locator(".react-flow__edge").count()).toBe(5);
    await screenshot(page, "lineage-graph");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("filters by a selection, keeps it in the URL, and shows a parse error with its position", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets`);
    await waitForShown(page, ALL_KEYS);
    const search = page.getByTestId("lineage-search");

    await search.fill("key:raw/*");
    await waitForShown(page, ["raw/orders", "raw/customers"]);
    expect(await page.getByTestId("selection-count").textContent()).toBe("2 of 6 assets");
    expect(new URL(page.url()).searchParams.get("select")).toBe("key:raw/*");
    expect(await page.getByTestId("lineage-group-box").evaluateAll((els) => els.map((e) => e.getAttribute("data-group")))).toEqual(["ingest"]);

    // Dagster's clause syntax: a bare name with one "+" is one level upstream.
    await search.fill("+clean/orders");
    await waitForShown(page, ["raw/orders", "clean/orders"]);
    await search.fill("group:report or key:clean/orders");
    await waitForShown(page, ["clean/orders", ...QUICKSTART_GROUPS.report!]);
    expect(await page.locator(".react-flow__edge").count()).toBe(3);

    await search.fill("group:report and (");
    const error = page.getByTestId("selection-error");
    await error.waitFor();
    const text = (await error.textContent()) ?? "";
    expect(text).toContain("SELECTION_ERROR");
    expect(text).toContain("at position 18");
    expect(text).toContain('expected an expression after "("');
    // The caret sits under the position of the problem.
    const lines = (await error.locator("pre").textContent())!.split("\n");
    expect(lines.at(-1)!.indexOf("^") - lines.at(-2)!.indexOf("group:report")).toBe(18);
    // The last selection that parsed stays applied.
    expect(await shownKeys(page)).toEqual(["clean/orders", ...QUICKSTART_GROUPS.report!].sort());
    await screenshot(page, "lineage-selection-error");

    await search.fill("group:nothing_here");
    await page.getByTestId("selection-empty").waitFor();
    await waitForShown(page, []);
    await search.fill("");
    await waitForShown(page, ALL_KEYS);
    expect(await page.getByTestId("selection-error").count()).toBe(0);
    expect(new URL(page.url()).searchParams.has("select")).toBe(false);

    // A link with ?select= opens filtered.
    await page.goto(`${world.server.url}/assets?select=${encodeURIComponent("group:transform+")}`);
    await waitForShown(page, ["clean/orders", ...QUICKSTART_GROUPS.report!]);
    expect(await search.inputValue()).toBe("group:transform+");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("selects with click, shift-click and shift-drag", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets`);
    await waitForShown(page, ALL_KEYS);
    const selectedKeys = () => page.$$eval(".react-flow__node.selected [data-testid=lineage-asset]", (els) => els.map((e) => e.getAttribute("data-key")).sort());
    const button = page.getByTestId("materialize-selected");
    expect(await button.isDisabled()).toBe(true);

    await clickNodeBody(assetNode(page, "raw/orders"));
    expect(await selectedKeys()).toEqual(["raw/orders"]);
    await clickNodeBody(assetNode(page, "clean/orders"));
    expect(await selectedKeys()).toEqual(["clean/orders"]);
    await clickNodeBody(assetNode(page, "raw/orders"), ["Shift"]);
    expect(await selectedKeys()).toEqual(["clean/orders", "raw/orders"]);
    expect(await button.textContent()).toBe("Materialize selected (2)");

    await page.getByRole("button", { name: "Clear selection" }).click();
    expect(await selectedKeys()).toEqual([]);
    // A shift-drag from the empty canvas above the ingest group around it selects its two assets.
    const box = (await page.locator('[data-testid=lineage-group-box][data-group="ingest"]').boundingBox())!;
    await page.keyboard.down("Shift");
    await page.mouse.move(box.x - 10, box.y - 10);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width + 10, box.y + box.height + 10, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up("Shift");
    await waitFor("the box selection", async () => (JSON.stringify(await selectedKeys()) === JSON.stringify(["raw/customers", "raw/orders"]) ? true : undefined), 5_000);
    expect(await button.textContent()).toBe("Materialize selected (2)");

    // A click on the empty canvas clears the selection.
    await page.mouse.click(box.x + box.width / 2, box.y + box.height + 60);
    expect(await selectedKeys()).toEqual([]);
    expect(await button.isDisabled()).toBe(true);
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("collapses a group into one node that stands for its assets, and expands it again", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets`);
    await waitForShown(page, ALL_KEYS);
    await page.locator('[data-testid=lineage-group-box][data-group="report"]').getByRole("button", { name: "Collapse" }).click();
    await waitForShown(page, ["raw/orders", "raw/customers", "clean/orders"]);
    const group = page.locator('[data-testid=lineage-group][data-group="report"]');
    expect(await group.textContent()).toContain("3 assets");
    expect(await group.textContent()).toContain("3 never materialized");
    // raw/orders → clean/orders, and into the group: from raw/customers, and from clean/orders,
    // which feeds two report assets (one edge labelled 2).
    expect(await page.locator(".react-flow__edge").count()).toBe(3);
    expect(await page.locator(".lineage-edge-label").allTextContents()).toEqual(["2"]);
    expect(await page.getByTestId("overview-note").textContent()).toContain("3 groups: 1 collapsed");

    // Selecting the collapsed group selects what it stands for.
    await clickNodeBody(group);
    expect(await page.getByTestId("materialize-selected").textContent()).toBe("Materialize selected (3)");
    await screenshot(page, "lineage-collapsed-group");

    // Expanding shows the group whole: the view zooms to it (200 ms), and the assets it leaves out
    // of view are not drawn (only visible nodes are), so only the group's are sure to be there.
    await group.getByRole("button", { name: "Expand" }).click();
    await waitFor("the expanded group's assets", async () => {
      const shown = await shownKeys(page);
      return QUICKSTART_GROUPS.report!.every((k) => shown.includes(k)) && (await page.getByTestId("lineage-group").count()) === 0 ? true : undefined;
    }, 15_000);
    expect(await page.getByTestId("materialize-selected").isDisabled()).toBe(true);
    // The fit-view control shows all of it again.
    await page.getByRole("button", { name: "fit view" }).click();
    await waitForShown(page, ALL_KEYS);
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("materializes the selected assets and turns their badges MATERIALIZED live, then opens one", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets`);
    await waitForShown(page, ALL_KEYS);
    // Set in the page: it survives only if the page is never reloaded.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

    await clickNodeBody(assetNode(page, "raw/orders"));
    await clickNodeBody(assetNode(page, "clean/orders"), ["Shift"]);
    await page.getByTestId("materialize-selected").click();
    const banner = page.getByTestId("launched-run");
    await banner.waitFor();
    expect(await banner.textContent()).toContain("queued for 2 assets");
    const href = (await banner.locator("a").first().getAttribute("href"))!;
    expect(href).toMatch(/^\/runs\/[0-9a-f-]{36}$/);
    const runId = href.slice("/runs/".length);

    await waitFor(
      "raw/orders and clean/orders to show MATERIALIZED",
      async () => {
        const s = await nodeStatuses(page);
        return s["raw/orders"] === "MATERIALIZED" && s["clean/orders"] === "MATERIALIZED" ? s : undefined;
      },
      30_000,
    );
    const statuses = await nodeStatuses(page);
    for (const key of ALL_KEYS) expect(statuses[key], key).toBe(key === "raw/orders" || key === "clean/orders" ? "MATERIALIZED" : "NEVER_MATERIALIZED");
    expect(await assetNode(page, "clean/orders").textContent()).toMatch(/MATERIALIZED\d+ s ago/);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    const run = (await api(world.server.url, "GET", `/api/runs/${runId}`)).body.run;
    expect(run.status).toBe("SUCCESS");
    expect([...run.selection].sort()).toEqual(["clean/orders", "raw/orders"]);
    await screenshot(page, "lineage-materialized-selected");

    // The run link leads to the run's page.
    await banner.locator("a").first().click();
    await page.waitForURL(`**/runs/${runId}`);
    await page.goBack();
    await waitForShown(page, ALL_KEYS);

    // A node's name opens its asset page.
    await assetNode(page, "clean/orders").locator("a.lineage-asset-key").click();
    await page.waitForURL("**/assets/clean/orders");
    await page.getByTestId("asset-page").waitFor();
    expect(await page.locator("main h1").first().textContent()).toBe("clean/orders");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("materializes all assets and every badge turns MATERIALIZED", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets`);
    await waitForShown(page, ALL_KEYS);
    await page.getByTestId("materialize-all").click();
    const banner = page.getByTestId("launched-run");
    await banner.waitFor();
    expect(await banner.textContent()).toContain("queued for every asset");
    const runId = (await banner.locator("a").first().getAttribute("href"))!.slice("/runs/".length);
    await waitFor(
      "every asset to show MATERIALIZED",
      async () => (Object.values(await nodeStatuses(page)).every((s) => s === "MATERIALIZED") ? true : undefined),
      30_000,
    );
    const run = await waitForRun(world.server.url, runId, ["SUCCESS", "FAILURE"]);
    expect(run.status).toBe("SUCCESS");
    expect([...run.selection].sort()).toEqual(ALL_KEYS);
    await screenshot(page, "lineage-materialized-all");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("redraws the graph when the definitions change on disk, without a reload", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets`);
    await waitForShown(page, ALL_KEYS);
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    const original = readFileSync(world.defsFile, "utf8");
    // A new asset in a new group, downstream of clean/orders.
    const added = original
      .replace(
        "export default defineDefinitions({",
        'const audit = asset({ key: "audit/orders", group: "audit", ins: { orders: cleanOrders }, run: ({ orders }) => orders.length });\n\nexport default defineDefinitions({',
      )
      .replace("dailyRevenueCsv],", "dailyRevenueCsv, audit],");
    expect(added).not.toBe(original);
    writeFileSync(world.defsFile, added);
    try {
      await waitForShown(page, [...ALL_KEYS, "audit/orders"]);
      expect(await page.getByTestId("selection-count").textContent()).toBe("7 assets");
      expect(await page.locator('[data-testid=lineage-group-box][data-group="audit"]').count()).toBe(1);
      expect(await page.locator(".react-flow__edge").count()).toBe(6);
      expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      await screenshot(page, "lineage-definitions-changed");
    } finally {
      writeFileSync(world.defsFile, original);
    }
    await waitForShown(page, ALL_KEYS);
    expect(errors()).toEqual([]);
    await page.close();
  });
});
