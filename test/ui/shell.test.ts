/**
 * The UI's frame in a real browser against a real `sluice dev` on the quickstart: it loads with no
 * script error, navigates between pages, and shows a definitions load error with file and line.
 */
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT } from "../cli/helpers.js";
import { ServerSandbox, waitFor, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";

describe("web UI shell", () => {
  let browser: Browser;
  let sandbox: ServerSandbox;
  let server: ServerProcess;
  let defs: string;
  let project: string;

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    sandbox = new ServerSandbox();
    // A copy of the quickstart, so that breaking its definitions does not touch the repository; in
    // the repository's .scratch/ so that it resolves `sluice` and csv-parse as the original does.
    mkdirSync(path.join(REPO_ROOT, ".scratch"), { recursive: true });
    project = mkdtempSync(path.join(REPO_ROOT, ".scratch", "ui-quickstart-"));
    cpSync(path.join(REPO_ROOT, "examples", "quickstart"), project, { recursive: true, filter: (src) => !/\.sluice|out$/.test(src) });
    defs = path.join(project, "defs.ts");
    server = await sandbox.startServer("dev", ["-f", defs], { cwd: REPO_ROOT });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("loads every page without a script error", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(server.url);
    await page.getByRole("link", { name: "Overview" }).waitFor();
    await page.getByText(/generation 1/).waitFor();
    expect(await page.getByTestId("load-error").count()).toBe(0);
    for (const name of ["Assets", "Runs", "Jobs", "Automation", "Overview"]) {
      await page.getByRole("navigation").getByRole("link", { name }).click();
      await page.locator("main h1").first().waitFor();
    }
    await page.goto(`${server.url}/no/such/page`);
    await expect(page.locator("main h1").first().textContent()).resolves.toBe("Not found");
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("shows a load error with file and line, and clears it once the file is fixed", async () => {
    const { page } = await newPage(browser);
    await page.goto(server.url);
    const original = readFileSync(defs, "utf8");
    writeFileSync(defs, original.replace("const here =", "const here = ;"));
    try {
      const banner = page.getByTestId("load-error");
      await banner.waitFor({ timeout: 30_000 });
      const text = (await banner.textContent()) ?? "";
      expect(text).toContain("defs.ts:");
      await screenshot(page, "shell-load-error");
    } finally {
      writeFileSync(defs, original);
    }
    await waitFor("the load error to clear", async () => ((await page.getByTestId("load-error").count()) === 0 ? true : undefined), 30_000);
    await page.close();
  });
});
