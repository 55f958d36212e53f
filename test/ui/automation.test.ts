/**
 * Schedules and sensors in a real browser against real `sluice dev` servers: the quickstart's
 * stopped schedule `nightly_reports` turned on and off (the API agrees), its next ticks; and the
 * daemon fixture's sensor `pending_keys`, whose ticks launch runs by run key and then skip the
 * keys that already ran.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT, removeTempDirs } from "../cli/helpers.js";
import { DAEMON_DEFS } from "../daemon/helpers.js";
import { api, ServerSandbox, waitFor, waitForRun, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";
import { runIdOf } from "./ui-helpers.js";

const QUICKSTART = path.join(REPO_ROOT, "examples", "quickstart", "defs.ts");

describe("automation pages", () => {
  let browser: Browser;
  const sandboxes: ServerSandbox[] = [];
  let quickstart: ServerProcess;
  let daemonFixture: ServerProcess;
  let fixtureDir: string;

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    const qs = new ServerSandbox();
    const fx = new ServerSandbox();
    sandboxes.push(qs, fx);
    fixtureDir = fx.fixtureDir;
    // Turning a schedule on and off runs nothing (ticks only come after it is started), so the
    // quickstart itself is served; its instance home is the sandbox's.
    quickstart = await qs.startServer("dev", ["-f", QUICKSTART], { cwd: REPO_ROOT });
    daemonFixture = await fx.startServer("dev", ["-f", DAEMON_DEFS]);
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of sandboxes) await s.dispose();
    removeTempDirs();
  });

  const scheduleStatus = async () => (await api(quickstart.url, "GET", "/api/schedules")).body.schedules.find((s: any) => s.name === "nightly_reports").status;

  it("turns nightly_reports on and off from the automation page, and the API agrees", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${quickstart.url}/automation`);
    const row = page.locator('tr[data-schedule="nightly_reports"]');
    await row.waitFor();
    expect(await row.locator("td").nth(3).textContent()).toBe("0 2 * * *UTC");
    expect(await row.locator("td").nth(2).textContent()).toBe("refresh_reports");
    expect(await row.locator("td").nth(4).textContent()).toMatch(/02:00 UTC.*\(if started\)/);
    const toggle = page.getByTestId("toggle-nightly_reports");
    expect(await toggle.getAttribute("aria-checked")).toBe("false");
    expect(await scheduleStatus()).toBe("STOPPED");

    await toggle.click();
    await page.locator('[data-testid="toggle-nightly_reports"][aria-checked="true"]').waitFor();
    expect(await scheduleStatus()).toBe("RUNNING");
    expect(await row.textContent()).toContain("Running");
    await screenshot(page, "automation-schedule-on");
    // Still on after the page reads the list again.
    await page.reload();
    await page.locator('[data-testid="toggle-nightly_reports"][aria-checked="true"]').waitFor();

    await page.getByTestId("toggle-nightly_reports").click();
    await page.locator('[data-testid="toggle-nightly_reports"][aria-checked="false"]').waitFor();
    expect(await scheduleStatus()).toBe("STOPPED");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("shows the schedule's next five ticks at 02:00 UTC and turns it on and off from its page", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${quickstart.url}/automation`);
    await page.getByRole("link", { name: "nightly_reports" }).click();
    await page.waitForURL(/\/schedules\/nightly_reports$/);
    const ticks = page.getByTestId("next-ticks").locator("li");
    await ticks.first().waitFor();
    const texts = await ticks.allTextContents();
    expect(texts).toHaveLength(5);
    const isos = texts.map((t) => /\d{4}-\d\d-\d\dT[\d:.]+Z/.exec(t)?.[0]);
    for (const [i, iso] of isos.entries()) {
      expect(iso).toMatch(/T02:00:00\.000Z$/);
      expect(texts[i]).toContain("02:00 UTC");
      if (i > 0) expect(Date.parse(iso!) - Date.parse(isos[i - 1]!)).toBe(86_400_000);
    }
    expect(Date.parse(isos[0]!)).toBeGreaterThan(Date.now());
    expect(await page.getByTestId("schedule-cron").textContent()).toBe("0 2 * * *");
    expect(await page.getByTestId("ticks-empty").textContent()).toBe("No ticks yet.");

    await page.getByTestId("toggle-nightly_reports").click();
    await page.locator('[data-testid="toggle-nightly_reports"][aria-checked="true"]').waitFor();
    expect(await scheduleStatus()).toBe("RUNNING");
    await screenshot(page, "schedule-page");
    await page.getByTestId("toggle-nightly_reports").click();
    await page.locator('[data-testid="toggle-nightly_reports"][aria-checked="false"]').waitFor();
    expect(await scheduleStatus()).toBe("STOPPED");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("shows a sensor's ticks with the runs they launched (links) and the run keys they skipped; stops it", async () => {
    writeFileSync(path.join(fixtureDir, "pending"), "key-a\nkey-b\n");
    const { page, errors } = await newPage(browser);
    await page.goto(`${daemonFixture.url}/automation`);
    await page.getByRole("link", { name: "pending_keys" }).click();
    await page.waitForURL(/\/sensors\/pending_keys$/);
    await page.getByTestId("ticks-empty").waitFor();
    // The sensor reads the file through a resource, which its page names.
    expect(await page.getByTestId("instigator-resources").textContent()).toBe("pending");
    await page.getByTestId("toggle-pending_keys").click();
    await page.locator('[data-testid="toggle-pending_keys"][aria-checked="true"]').waitFor();

    // The first tick launches one run per key; later ticks find both keys used and skip them.
    const launching = page.locator('tr[data-tick-status="SUCCESS"]').filter({ has: page.getByTestId("tick-run") }).last();
    await launching.waitFor({ timeout: 30_000 });
    expect(await launching.getByTestId("tick-run").count()).toBe(2);
    const skipping = page.locator("tr").filter({ hasText: "skipped run keys (already ran)" }).first();
    await skipping.waitFor({ timeout: 30_000 });
    expect(await skipping.locator(".tag-chip").allTextContents()).toEqual(["key-a", "key-b"]);
    expect(await skipping.getByTestId("tick-run").count()).toBe(0);
    await screenshot(page, "sensor-page");

    const sensor = (await api(daemonFixture.url, "GET", "/api/sensors/pending_keys?ticks=100")).body.sensor;
    const launched = sensor.ticks.flatMap((t: any) => t.runIds);
    expect(launched).toHaveLength(2);
    const href = await launching.getByTestId("tick-run").first().getAttribute("href");
    expect(launched.map((id: string) => `/runs/${id}`)).toContain(href);

    await page.getByTestId("toggle-pending_keys").click();
    await page.locator('[data-testid="toggle-pending_keys"][aria-checked="false"]').waitFor();
    expect((await api(daemonFixture.url, "GET", "/api/sensors")).body.sensors[0].status).toBe("STOPPED");

    // A tick's run link opens the run, which the sensor tagged with its name and run key.
    await launching.getByTestId("tick-run").first().click();
    await page.waitForURL(/\/runs\/[\w-]+$/);
    const runId = runIdOf(page.url());
    const run = await waitForRun(daemonFixture.url, runId, ["SUCCESS", "FAILURE"]);
    expect(run.tags).toMatchObject({ "sluice/sensor_name": "pending_keys" });
    await page.locator(".tag-chip", { hasText: "sluice/sensor_name:pending_keys" }).waitFor();
    await waitFor("the run's page to show its end", async () => ((await page.getByTestId("run-status").textContent()) === run.status ? true : undefined), 30_000);
    expect(errors()).toEqual([]);
    await page.close();
  });
});
