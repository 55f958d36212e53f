/**
 * The job launchpad, the run page and the runs list in a real browser against a real `sluice dev`
 * on a copy of the quickstart: launch refresh_reports with edited config and watch it succeed
 * live, read and filter its logs, see config mistakes reported before and by the server, and
 * filter, page and follow the runs list.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT, removeTempDirs } from "../cli/helpers.js";
import { api, ServerSandbox, waitFor, waitForRun, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";
import { copyQuickstart, markPage, runIdOf, stillSamePage, textsOf } from "./ui-helpers.js";

const STEPS = ["raw/orders", "raw/customers", "clean/orders", "report/daily_revenue", "report/revenue_by_country", "export/daily_revenue_csv"];

describe("launchpad, run page and runs list on the quickstart", () => {
  let browser: Browser;
  let sandbox: ServerSandbox;
  let server: ServerProcess;
  let project: string;
  let outDir: string;
  let launchedRunId: string;

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    sandbox = new ServerSandbox();
    project = copyQuickstart();
    outDir = path.join(project, "custom-out");
    server = await sandbox.startServer("dev", ["-f", path.join(project, "defs.ts")], { cwd: REPO_ROOT });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
    removeTempDirs();
  });

  /** Replaces the launchpad editor's text. */
  async function setConfig(page: Page, text: string): Promise<void> {
    await page.getByTestId("config-editor").fill(text);
  }

  async function runCount(): Promise<number> {
    return (await api(server.url, "GET", "/api/runs?limit=1000")).body.runs.length;
  }

  it("pre-fills the config from the schema's defaults, launches with an edited out dir, and shows the run turn SUCCESS live with 6 steps on the Gantt", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/jobs`);
    await page.getByTestId("jobs-table").getByRole("link", { name: "refresh_reports" }).click();
    await page.getByTestId("launchpad").waitFor();
    expect(await textsOf(page.getByTestId("job-steps").locator(".job-step-key"))).toEqual(expect.arrayContaining(STEPS));

    const prefilled = JSON.parse(await page.getByTestId("config-editor").inputValue());
    expect(prefilled).toEqual({
      ops: {
        "raw/orders": { config: { path: path.join(project, "data", "orders.csv") } },
        "raw/customers": { config: { path: path.join(project, "data", "customers.csv") } },
        "export/daily_revenue_csv": { config: { dir: path.join(project, "out") } },
      },
    });
    prefilled.ops["export/daily_revenue_csv"].config.dir = outDir;
    await setConfig(page, JSON.stringify(prefilled, null, 2));
    await page.getByTestId("launch-tags").fill("team:reports");
    expect(await page.getByTestId("config-problems").count()).toBe(0);
    await markPage(page);
    await page.getByTestId("launch-run").click();
    await page.waitForURL(/\/runs\/[\w-]+$/);
    launchedRunId = runIdOf(page.url());

    await page.getByTestId("run-status").getByText("SUCCESS").waitFor({ timeout: 30_000 });
    // Reached without reloading: the status came over the live stream.
    expect(await stillSamePage(page)).toBe(true);
    const rows = page.getByTestId("gantt").locator(".gantt-row[data-step]");
    await waitFor("six finished steps on the Gantt", async () => ((await rows.locator('[data-testid="gantt-bar"]').count()) === 6 ? true : undefined), 10_000);
    expect((await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-step")))).sort()).toEqual([...STEPS].sort());
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-status")))).toEqual(Array(6).fill("SUCCESS"));
    await screenshot(page, "launchpad-run-success");

    const run = (await api(server.url, "GET", `/api/runs/${launchedRunId}`)).body.run;
    expect(run).toMatchObject({ status: "SUCCESS", jobName: "refresh_reports", tags: { team: "reports" } });
    expect(run.config.ops["export/daily_revenue_csv"].config.dir).toBe(outDir);
    expect(readFileSync(path.join(outDir, "daily_revenue.csv"), "utf8")).toMatch(/^day,orders,revenue\n2026-11-01,/);
    expect(existsSync(path.join(project, "out"))).toBe(false);
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("filters the run's log by level WARN to the dropped orders, searches it, and narrows it to a step from the Gantt", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/runs/${launchedRunId}`);
    const messages = page.getByTestId("log-box").getByTestId("log-message");
    await waitFor("the run's events", async () => ((await messages.count()) > 20 ? true : undefined), 10_000);
    const total = await messages.count();

    await page.getByTestId("level-WARN").click();
    await waitFor("only warnings", async () => ((await messages.count()) === 3 ? true : undefined), 5_000);
    for (const text of await textsOf(messages)) expect(text).toMatch(/^dropping order \d+: amount=/);
    expect(await page.locator(".log-row").evaluateAll((els) => els.map((e) => e.getAttribute("data-level")))).toEqual(["WARN", "WARN", "WARN"]);
    expect(await page.getByTestId("log-count").textContent()).toBe(`3 of ${total} events`);
    expect(new URL(page.url()).searchParams.get("level")).toBe("WARN");
    await screenshot(page, "run-logs-warn");

    await page.getByTestId("log-search").fill("1006");
    await waitFor("one match", async () => ((await messages.count()) === 1 ? true : undefined), 5_000);
    expect(await messages.first().textContent()).toContain('dropping order 1006: amount="42.00" ordered_at="not-a-date"');
    expect(await textsOf(messages.first().locator("mark"))).toEqual(["1006"]);

    // Cleared filters, then a click on a step's Gantt row shows only that step's events.
    await page.getByRole("button", { name: "Clear", exact: true }).click();
    await waitFor("all events again", async () => ((await messages.count()) === total ? true : undefined), 5_000);
    await page.locator('.gantt-row[data-step="raw/orders"]').click();
    // The filter lives in the URL: React Router renders a navigation in a transition, after the
    // click has returned, so the select shows the step a moment later, not at once.
    await waitFor("the step filter to show raw/orders", async () => ((await page.getByTestId("step-filter").inputValue()) === "raw/orders" ? true : undefined), 5_000);
    await waitFor("the step's events", async () => ((await messages.count()) < total ? true : undefined), 5_000);
    expect(new Set(await textsOf(page.locator(".log-row .log-step")))).toEqual(new Set(["raw/orders"]));
    expect((await textsOf(messages)).some((t) => /^read 12 orders from orders\.csv/.test(t))).toBe(true);
    await page.getByTestId("log-search").fill("no such text anywhere");
    await page.getByText("No event matches these filters.").waitFor();
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("shows a JSON syntax error at once with its line and column, and does not launch", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/jobs/refresh_reports`);
    await page.getByTestId("launchpad").waitFor();
    const before = await runCount();
    // Line 4 lacks the comma after the previous entry: the parser stops at its first quote.
    await setConfig(page, '{\n  "ops": {\n    "raw/orders": {"config": {"path": "x.csv"}}\n    "raw/customers": {}\n  }\n}');
    const error = page.getByTestId("config-syntax-error");
    await error.waitFor();
    expect(await error.textContent()).toContain("JSON syntax error at line 4, column 5:");
    expect(await error.textContent()).toContain('Expected "," or "}" after the value of "raw/orders"');
    expect(await page.getByTestId("launch-run").isDisabled()).toBe(true);
    expect(await page.locator(".config-gutter .error-line").textContent()).toBe("4");
    await screenshot(page, "launchpad-json-error");

    await setConfig(page, '{"ops": {}}');
    await page.getByTestId("config-syntax-error").waitFor({ state: "detached" });
    expect(await page.getByTestId("launch-run").isDisabled()).toBe(false);
    expect(await runCount()).toBe(before);
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("shows a config that fails the schema while typing, then the server's CONFIG_ERROR naming the path, and creates no run", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/jobs/refresh_reports`);
    await page.getByTestId("launchpad").waitFor();
    const before = await runCount();
    await setConfig(page, JSON.stringify({ ops: { "raw/orders": { config: { path: 5 } } } }, null, 2));
    const problems = page.getByTestId("config-problems");
    await problems.waitFor();
    expect(await problems.textContent()).toContain("ops.raw/orders.config.path expected string, got number");

    await page.getByTestId("launch-run").click();
    const launchError = page.getByTestId("launch-error");
    await launchError.waitFor();
    const text = (await launchError.textContent()) ?? "";
    expect(text).toContain("CONFIG_ERROR");
    expect(text).toContain("at ops.raw/orders.config.path");
    expect(text).toContain("expected string, received number");
    expect(new URL(page.url()).pathname).toBe("/jobs/refresh_reports");
    expect(await runCount()).toBe(before);
    await screenshot(page, "launchpad-config-error");

    // Editing clears the server's verdict; "Reset to defaults" brings the defaults back.
    await page.getByTestId("reset-config").click();
    await launchError.waitFor({ state: "detached" });
    expect(JSON.parse(await page.getByTestId("config-editor").inputValue()).ops["raw/orders"].config.path).toBe(path.join(project, "data", "orders.csv"));
    // The browser logs the refused launch itself; nothing else went wrong.
    expect(errors()).toEqual([expect.stringContaining("the server responded with a status of 400")]);
    await page.close();
  });

  it("lists runs newest first with status, job and tag filters in the URL, pages with Load more, and shows a new run live", async () => {
    const launch = async (tags: Record<string, string>) =>
      (await api(server.url, "POST", "/api/runs", { job: "refresh_reports", config: { ops: { "export/daily_revenue_csv": { config: { dir: outDir } } } }, tags })).body.run.runId as string;
    const second = await launch({ team: "other" });
    const failing = (await api(server.url, "POST", "/api/runs", { selection: ["raw/orders"], config: { ops: { "raw/orders": { config: { path: path.join(project, "missing.csv") } } } } })).body.run.runId;
    await waitForRun(server.url, second, ["SUCCESS"]);
    await waitForRun(server.url, failing, ["FAILURE"]);
    const all = (await api(server.url, "GET", "/api/runs?limit=1000")).body.runs.map((r: any) => r.runId);

    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/runs?limit=2`);
    const ids = () => page.getByTestId("runs-table").locator("tbody tr").evaluateAll((els) => els.map((e) => e.getAttribute("data-run-id")));
    await page.getByTestId("runs-table").waitFor();
    expect(await ids()).toEqual(all.slice(0, 2));
    while ((await page.getByTestId("load-more").count()) > 0) {
      const shown = (await ids()).length;
      await page.getByTestId("load-more").click();
      await waitFor("the next page", async () => ((await ids()).length > shown ? true : undefined), 20_000);
    }
    expect(await ids()).toEqual(all);

    await page.goto(`${server.url}/runs`);
    await page.getByTestId("runs-filters").getByRole("button", { name: "FAILURE", exact: true }).click();
    await page.waitForURL(/status=FAILURE/);
    await waitFor("only the failed run", async () => (JSON.stringify(await ids()) === JSON.stringify([failing]) ? true : undefined), 5_000);
    await page.getByTestId("runs-filters").getByRole("button", { name: "SUCCESS", exact: true }).click();
    await page.waitForURL(/status=SUCCESS%2CFAILURE|status=SUCCESS,FAILURE/);
    await waitFor("successes and failures", async () => ((await ids()).length === all.length ? true : undefined), 5_000);

    await page.getByRole("button", { name: "Clear filters" }).click();
    await page.getByTestId("job-filter").selectOption("refresh_reports");
    await page.waitForURL(/job=refresh_reports/);
    await waitFor("the job's runs", async () => ((await ids()).length === all.length - 1 ? true : undefined), 5_000);
    expect(await ids()).not.toContain(failing);

    await page.getByTestId("tag-input").fill("team:reports");
    await page.getByTestId("tag-input").press("Enter");
    await page.waitForURL(/tag=team%3Areports/);
    await waitFor("the tagged run", async () => (JSON.stringify(await ids()) === JSON.stringify([launchedRunId]) ? true : undefined), 5_000);
    await screenshot(page, "runs-filtered");
    // The URL alone restores the filters.
    await page.reload();
    await page.getByTestId("runs-table").waitFor();
    expect(await ids()).toEqual([launchedRunId]);
    expect(await page.getByTestId("job-filter").inputValue()).toBe("refresh_reports");

    await page.goto(`${server.url}/runs`);
    await page.getByTestId("runs-table").waitFor();
    await markPage(page);
    const live = await launch({ team: "live" });
    const row = page.locator(`tr[data-run-id="${live}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect((await ids())[0]).toBe(live);
    await page.locator(`tr[data-run-id="${live}"][data-status="SUCCESS"]`).waitFor({ timeout: 30_000 });
    expect(await stillSamePage(page)).toBe(true);
    await screenshot(page, "runs-live");
    expect(errors()).toEqual([]);
    await page.close();
  });
});
