/**
 * "Materialize all" on a filtered lineage view (/assets?select=…) in headless Chromium against a
 * real `sluice dev` on the quickstart: it launches the assets shown, never `*`, and says so in the
 * button and in the confirmation; without a filter it stays "Materialize all".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, waitFor, waitForRun } from "../server/helpers.js";
import { nodeStatuses, QUICKSTART_GROUPS, startQuickstart, type QuickstartWorld } from "./asset-ui-helpers.js";
import { newPage, screenshot } from "./browser.js";

describe("materialize what a filter shows", () => {
  let world: QuickstartWorld;

  beforeAll(async () => {
    world = await startQuickstart();
  });

  afterAll(async () => {
    await world?.dispose();
  });

  it("launches exactly the filtered assets, naming how many and the filter", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets`);
    const button = page.getByTestId("materialize-all");
    await waitFor("the unfiltered button", async () => ((await button.textContent()) === "Materialize all" && (await button.isEnabled()) ? true : undefined), 15_000);

    await page.getByTestId("lineage-search").fill("group:ingest");
    await waitFor("the filter to apply", async () => ((await page.getByTestId("selection-count").textContent()) === "2 of 6 assets" ? true : undefined), 15_000);
    await waitFor("the button to name the shown assets", async () => ((await button.textContent()) === "Materialize 2 shown assets" ? true : undefined), 5_000);
    expect(await button.getAttribute("title")).toBe("Materialize the 2 assets the filter group:ingest shows");
    await button.click();

    const banner = page.getByTestId("launched-run");
    await banner.waitFor();
    expect(await banner.textContent()).toContain("queued for the 2 assets shown by the filter group:ingest.");
    expect(await page.getByTestId("launched-mismatch").count()).toBe(0);
    const runId = (await banner.locator("a").first().getAttribute("href"))!.slice("/runs/".length);
    const launched = (await api(world.server.url, "GET", `/api/runs/${runId}`)).body.run;
    expect([...launched.selection].sort()).toEqual([...QUICKSTART_GROUPS.ingest!].sort());
    const run = await waitForRun(world.server.url, runId, ["SUCCESS", "FAILURE"]);
    expect(run.status).toBe("SUCCESS");
    await screenshot(page, "lineage-materialize-shown");

    // Only what was shown was materialized: the rest of the graph is untouched.
    await page.getByTestId("lineage-search").fill("");
    await waitFor(
      "the ingest assets to show MATERIALIZED, every other one not",
      async () => {
        const s = await nodeStatuses(page);
        return Object.keys(s).length === 6 && Object.entries(s).every(([key, status]) => (QUICKSTART_GROUPS.ingest!.includes(key) ? status === "MATERIALIZED" : status === "NEVER_MATERIALIZED")) ? s : undefined;
      },
      30_000,
    );
    expect(await button.textContent()).toBe("Materialize all");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("disables the button when the filter shows nothing", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(`${world.server.url}/assets?select=${encodeURIComponent("group:nothing_here")}`);
    await page.getByTestId("selection-empty").waitFor();
    const button = page.getByTestId("materialize-all");
    expect(await button.textContent()).toBe("Materialize 0 shown assets");
    expect(await button.isDisabled()).toBe(true);
    expect(errors()).toEqual([]);
    await page.close();
  });
});
