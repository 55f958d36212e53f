/**
 * Asset checks in headless Chromium against a real `sluice dev` on test/fixtures/ui/checks: the
 * asset page's Checks section (latest result, blocking tag, history newest first and paged, "Run checks"
 * launching a check-only run and showing its result live; per partition through the picker), and
 * the lineage nodes' check badges (counts and colour; none without checks).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT } from "../cli/helpers.js";
import { api, ServerSandbox, waitFor, waitForRun, type ServerProcess } from "../server/helpers.js";
import { assetNode, runToEnd } from "./asset-ui-helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";

/** The text of each check row's outcome pill, by check name. */
async function outcomes(page: Page): Promise<Record<string, string | null>> {
  return page.$$eval("[data-testid=check-row]", (rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute("data-check"), r.querySelector("[data-testid=check-status]")?.getAttribute("data-outcome") ?? null])),
  );
}

/** Waits until the check rows show these outcomes. */
async function waitForOutcomes(page: Page, expected: Record<string, string>): Promise<void> {
  await waitFor(`the checks to show ${JSON.stringify(expected)}`, async () => (JSON.stringify(await outcomes(page)) === JSON.stringify(expected) ? true : undefined), 20_000);
}

/** Clicks "Run checks" (and, given a partition, picks it and launches); returns the launched run's id. */
async function runChecksFromPage(page: Page, partition?: string): Promise<string> {
  const banner = page.getByTestId("checks-launched-run");
  await page.getByTestId("run-checks").click();
  if (partition !== undefined) {
    await page.getByTestId("partition-picker").waitFor();
    await page.getByTestId("picker-key").fill(partition);
    await waitFor("the picker to count 1 run", async () => ((await page.getByTestId("picker-preview").textContent()) === "1 partition, 1 run" ? true : undefined), 15_000);
    await page.getByTestId("picker-launch").click();
  }
  return waitFor(
    "the launched check run's link",
    async () => {
      const link = banner.locator("a").first();
      return (await link.count()) > 0 ? (await link.getAttribute("href"))?.slice("/runs/".length) : undefined;
    },
    15_000,
  );
}

describe("asset checks UI", () => {
  let browser: Browser;
  let server: ServerProcess;
  let project: string;
  const sandbox = new ServerSandbox();

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    mkdirSync(path.join(REPO_ROOT, ".scratch"), { recursive: true });
    project = mkdtempSync(path.join(REPO_ROOT, ".scratch", "ui-checks-"));
    cpSync(path.join(REPO_ROOT, "test", "fixtures", "ui", "checks"), project, { recursive: true });
    server = await sandbox.startServer("dev", ["-f", path.join(project, "defs.ts")], { cwd: REPO_ROOT });
    // Materializing shop/orders runs its two checks with it: row_count passes, no_nulls warns.
    expect((await runToEnd(server.url, { selection: ["shop/orders"] })).status).toBe("SUCCESS");
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("shows each check's latest result, runs the checks alone, and shows the new result and the history live", async () => {
    const { page, errors } = await newPage(browser);
    const url = server.url;
    await page.goto(`${url}/assets/shop/orders`);
    await page.getByTestId("asset-checks").waitFor();
    await waitForOutcomes(page, { row_count: "passed", no_nulls: "warning" });
    const rowCount = page.locator("[data-testid=check-row][data-check=row_count]");
    expect(await rowCount.textContent()).toContain("blocking");
    expect(await rowCount.textContent()).toContain("Enough orders to report on");
    expect(await rowCount.textContent()).toContain("rows: 3");
    const noNulls = page.locator("[data-testid=check-row][data-check=no_nulls]");
    expect(await noNulls.getByTestId("check-result-description").textContent()).toBe("1 orders without a customer");
    expect(await noNulls.textContent()).not.toContain("blocking");
    expect(await page.getByTestId("checks-summary").textContent()).toBe("1 warning, 1 passed");
    await screenshot(page, "asset-checks-section");

    // Ask for more rows than there are: the next evaluation of row_count fails.
    writeFileSync(path.join(project, "min-rows.txt"), "10");
    const runId = await runChecksFromPage(page);
    const run = await waitForRun(url, runId, ["SUCCESS", "FAILURE"]);
    // A check-only run: no asset step; the failed blocking check fails the run.
    expect([...run.selection].sort()).toEqual(["shop/orders:no_nulls", "shop/orders:row_count"]);
    expect(run.status).toBe("FAILURE");
    await waitForOutcomes(page, { row_count: "failed", no_nulls: "warning" });
    expect(await rowCount.locator("a").first().getAttribute("href")).toBe(`/runs/${runId}`);
    expect(await rowCount.getByTestId("check-result-description").textContent()).toBe("3 rows, at least 10 wanted");
    expect(await page.getByTestId("checks-summary").textContent()).toBe("1 failed, 1 warning");
    const materializations = (await api(url, "GET", "/api/assets/shop/orders")).body.materializations;
    expect(materializations).toHaveLength(1);
    await waitFor("the check run among the recent runs", async () => ((await page.locator(`[data-testid=asset-runs] a[href="/runs/${runId}"]`).count()) > 0 ? true : undefined), 15_000);

    await rowCount.getByTestId("check-history-toggle").click();
    const history = page.locator("[data-testid=check-history][data-check=row_count] [data-testid=check-history-row]");
    await waitFor("two evaluations in the history", async () => ((await history.count()) === 2 ? true : undefined), 15_000);
    expect(await history.evaluateAll((rows) => rows.map((r) => r.querySelector("[data-testid=check-status]")!.getAttribute("data-outcome")))).toEqual(["failed", "passed"]);
    expect(await history.first().getAttribute("data-run")).toBe(runId);
    await screenshot(page, "asset-checks-failed-history");

    // The banner leads to the run: its timeline has the two check steps, its log the failure.
    await page.getByTestId("checks-launched-run").getByText("Watch it →").click();
    await page.waitForURL(new RegExp(`/runs/${runId}$`));
    const messages = page.getByTestId("log-message");
    await waitFor("the check's failure in the run's log", async () => ((await messages.allTextContents()).some((m) => m.includes("row_count")) ? true : undefined), 15_000);
    expect(await page.getByTestId("gantt-bar").count()).toBe(2);
    expect(await page.locator("main").textContent()).toContain("check shop/orders:row_count, shop/orders:no_nulls");
    await screenshot(page, "asset-checks-run-page");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("pages a long history: the newest ten, then the older ones on request", async () => {
    const { page, errors } = await newPage(browser);
    const url = server.url;
    // Two evaluations so far; nine more check runs make eleven.
    const launched = await Promise.all(Array.from({ length: 9 }, () => api(url, "POST", "/api/runs", { selection: ["shop/orders:row_count"] })));
    await Promise.all(launched.map((res) => waitForRun(url, res.body.run.runId, ["SUCCESS", "FAILURE"])));
    await page.goto(`${url}/assets/shop/orders`);
    const rowCount = page.locator("[data-testid=check-row][data-check=row_count]");
    await rowCount.getByTestId("check-history-toggle").click();
    const history = page.locator("[data-testid=check-history][data-check=row_count] [data-testid=check-history-row]");
    await waitFor("ten evaluations in the history", async () => ((await history.count()) === 10 ? true : undefined), 15_000);
    await page.getByTestId("check-history-older").click();
    await waitFor("eleven evaluations in the history", async () => ((await history.count()) === 11 ? true : undefined), 15_000);
    expect(await page.getByTestId("check-history-older").count()).toBe(0);
    // Oldest last: the evaluation that ran with the materialization, which passed.
    expect(await history.last().locator("[data-testid=check-status]").getAttribute("data-outcome")).toBe("passed");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("runs a partitioned asset's check for the partition picked, offering one key only", async () => {
    const { page, errors } = await newPage(browser);
    const url = server.url;
    expect((await runToEnd(url, { selection: ["regional/sales"], partition: "us" })).status).toBe("SUCCESS");
    await page.goto(`${url}/assets/regional/sales`);
    await page.getByTestId("asset-checks").waitFor();
    await waitForOutcomes(page, { positive: "passed" });
    await page.getByTestId("run-checks").click();
    await page.getByTestId("partition-picker").waitFor();
    expect(await page.locator("[data-testid^=picker-mode-]").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")))).toEqual(["picker-mode-key"]);
    await page.getByTestId("run-checks").click();
    const runId = await runChecksFromPage(page, "us");
    const run = await waitForRun(url, runId, ["SUCCESS", "FAILURE"]);
    expect(run).toMatchObject({ status: "SUCCESS", partition: "us", selection: ["regional/sales:positive"] });
    await waitFor("the row to show the new run", async () => ((await page.locator("[data-testid=check-row] a").first().getAttribute("href")) === `/runs/${runId}` ? true : undefined), 15_000);
    expect(await page.locator("[data-testid=check-row]").textContent()).toContain("us: 20");
    await screenshot(page, "asset-checks-partitioned");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("badges lineage nodes with their checks' counts (only assets that have checks), and filters them by status:", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets`);
    const badge = assetNode(page, "shop/orders").getByTestId("check-badge");
    await badge.waitFor();
    expect(await badge.getAttribute("data-failed")).toBe("1");
    expect(await badge.getAttribute("data-warning")).toBe("1");
    expect(await badge.getAttribute("title")).toBe("2 checks: 1 failed, 1 with a warning");
    expect(await badge.getAttribute("class")).toContain("bad");
    expect(await assetNode(page, "regional/sales").getByTestId("check-badge").getAttribute("title")).toBe("1 check: 1 passed");
    expect(await assetNode(page, "plain").getByTestId("check-badge").count()).toBe(0);
    expect(await assetNode(page, "shop/summary").getByTestId("check-badge").count()).toBe(0);
    await screenshot(page, "asset-checks-lineage");

    // The filter answers status: from the same results, as the server would.
    const shown = () => page.$$eval("[data-testid=lineage-asset]", (els) => els.map((e) => e.getAttribute("data-key")!).sort());
    for (const [expression, keys] of [
      ["status:check_failed", ["shop/orders"]],
      ["status:check_passed", ["regional/sales"]],
      ["status:check_failed+", ["shop/orders", "shop/summary"]],
      // Assets without checks have no check status: "not" keeps them.
      ["not status:check_missing and not status:check_passed", ["plain", "shop/orders", "shop/summary"]],
    ] as const) {
      await page.goto(`${server.url}/assets?select=${encodeURIComponent(expression)}`);
      await waitFor(`${expression} to show ${keys.join(", ")}`, async () => (JSON.stringify(await shown()) === JSON.stringify(keys) ? true : undefined), 15_000);
    }
    // status:stale filters with what the server says of each asset's staleness.
    const listed = (await api<{ assets: { key: string; staleness: { status: string } }[] }>(server.url, "GET", "/api/assets")).body;
    const stale = listed.assets.filter((a) => a.staleness.status === "STALE").map((a) => a.key).sort();
    await page.goto(`${server.url}/assets?select=${encodeURIComponent("status:stale")}`);
    await waitFor(`status:stale to show ${stale.join(", ") || "nothing"}`, async () => (JSON.stringify(await shown()) === JSON.stringify(stale) ? true : undefined), 15_000);
    expect(await page.getByTestId("selection-error").count()).toBe(0);

    // Live: row_count passes again in a check run launched elsewhere, and the badge turns amber.
    await page.goto(`${server.url}/assets`);
    await badge.waitFor();
    writeFileSync(path.join(project, "min-rows.txt"), "1");
    const res = await api(server.url, "POST", "/api/runs", { selection: ["shop/orders:row_count"] });
    expect((await waitForRun(server.url, res.body.run.runId, ["SUCCESS", "FAILURE"])).status).toBe("SUCCESS");
    await waitFor("the badge to drop the failure", async () => ((await badge.getAttribute("data-failed")) === "0" ? true : undefined), 15_000);
    expect(await badge.getAttribute("title")).toBe("2 checks: 1 with a warning, 1 passed");
    expect(await badge.getAttribute("class")).toContain("warn");
    expect(errors()).toEqual([]);
    await page.close();
  });
});
