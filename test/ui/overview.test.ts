/**
 * The overview page (/) in headless Chromium against a real `sluice dev` on the quickstart: what
 * is defined, the daemon's health from its heartbeats, and runs appearing live in recent runs and
 * recent failures.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, waitFor, waitForRun } from "../server/helpers.js";
import { startQuickstart, type QuickstartWorld } from "./asset-ui-helpers.js";
import { newPage, screenshot } from "./browser.js";

async function tile(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).locator(".overview-tile-value").textContent()) ?? "";
}

/** The status badge of a run's row in a table of the overview, or undefined while it is not listed. */
async function rowStatus(page: Page, table: string, runId: string): Promise<string | undefined> {
  const row = page.getByTestId(table).locator(`tr[data-run-id="${runId}"]`);
  if ((await row.count()) === 0) return undefined;
  return (await row.locator(".badge").textContent()) ?? undefined;
}

describe("overview page", () => {
  let world: QuickstartWorld;

  beforeAll(async () => {
    world = await startQuickstart();
  });

  afterAll(async () => {
    await world?.dispose();
  });

  it("counts what is defined and shows the in-process daemon healthy", async () => {
    const { page, errors } = await newPage(world.browser);
    await page.goto(world.server.url);
    await page.getByTestId("overview-page").waitFor();
    await page.getByTestId("count-assets").waitFor();
    expect(await tile(page, "count-assets")).toBe("6");
    expect(await tile(page, "count-jobs")).toBe("1");
    expect(await tile(page, "count-schedules")).toBe("1");
    expect(await tile(page, "count-sensors")).toBe("0");
    expect(await tile(page, "count-queued")).toBe("0");
    expect(await tile(page, "count-in-progress")).toBe("0");
    expect(await page.getByTestId("recent-runs").textContent()).toContain("No runs yet");
    expect(await page.getByTestId("recent-failures").textContent()).toContain("No failed runs.");
    // The daemon of `sluice dev` beats within a few seconds of starting; the page polls for it.
    const health = page.getByTestId("daemon-health");
    await waitFor("the daemon's heartbeats", async () => ((await health.locator("tr[data-daemon-type=scheduler]").count()) > 0 ? true : undefined), 30_000);
    expect(await health.locator("h2 .badge").textContent()).toBe("HEALTHY");
    expect(await health.textContent()).toContain("Running inside this server");
    const loops = await health.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-daemon-type")));
    expect(loops).toEqual(expect.arrayContaining(["run_coordinator", "scheduler", "sensor"]));
    for (const badge of await health.locator("tbody .badge").allTextContents()) expect(badge).toBe("HEALTHY");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("lists a launched job's run live, and a failed run under recent failures", async () => {
    const { page, errors } = await newPage(world.browser);
    const url = world.server.url;
    await page.goto(url);
    await page.getByTestId("count-assets").waitFor();
    // Set in the page: it survives only if the page is never reloaded.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

    const launched = await api(url, "POST", "/api/runs", { job: "refresh_reports" });
    expect(launched.status).toBe(201);
    const ok = launched.body.run.runId as string;
    await waitFor("the job's run to be listed as SUCCESS", async () => ((await rowStatus(page, "recent-runs", ok)) === "SUCCESS" ? true : undefined), 30_000);
    const row = page.getByTestId("recent-runs").locator(`tr[data-run-id="${ok}"]`);
    expect(await row.getByRole("link", { name: "refresh_reports" }).getAttribute("href")).toBe("/jobs/refresh_reports");
    expect(await row.getByRole("link", { name: ok.slice(0, 8) }).getAttribute("href")).toBe(`/runs/${ok}`);

    // A file that does not exist makes raw/orders fail.
    const failing = await api(url, "POST", "/api/runs", {
      selection: ["raw/orders"],
      config: { ops: { "raw/orders": { config: { path: "/nonexistent/orders.csv" } } } },
    });
    expect(failing.status).toBe(201);
    const bad = failing.body.run.runId as string;
    expect((await waitForRun(url, bad, ["SUCCESS", "FAILURE"])).status).toBe("FAILURE");
    await waitFor("the failed run under recent failures", async () => ((await rowStatus(page, "recent-failures", bad)) === "FAILURE" ? true : undefined), 30_000);
    expect(await rowStatus(page, "recent-runs", bad)).toBe("FAILURE");
    expect(await page.getByTestId("recent-failures").locator(`tr[data-run-id="${bad}"]`).textContent()).toContain("raw/orders");
    await waitFor("the failure count", async () => ((await tile(page, "count-failures")) === "1" ? true : undefined), 10_000);
    expect(await tile(page, "count-in-progress")).toBe("0");
    expect(await tile(page, "count-queued")).toBe("0");
    expect(await page.getByTestId("recent-runs").locator("tbody tr").count()).toBe(2);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await screenshot(page, "overview-runs");
    expect(errors()).toEqual([]);
    await page.close();
  });
});
