/**
 * Helpers for the UI's end-to-end tests: a real `sluice dev` (test/server/helpers.ts) driven by a
 * real headless Chromium, Debian's `/usr/bin/chromium` through playwright-core (never a browser
 * download). Screenshots go to test-artifacts/screenshots/ so that a person can look at them.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO_ROOT } from "../cli/helpers.js";

/** Where the browser is; `SLUICE_CHROMIUM` overrides. */
export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? "/usr/bin/chromium";

/** Flags for Chromium headless in a container without a GPU, network or updates. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The folder that keeps screenshots of the browser tests. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, "test-artifacts", "screenshots");

/** Launches headless Chromium (with `extraArgs` after the usual flags), or fails saying how to install it. */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`apt-get install -y chromium\` (.ci/run does) or set SLUICE_CHROMIUM.`);
  }
  if (!existsSync(path.join(REPO_ROOT, "dist", "ui", "index.html"))) {
    throw new Error("The web UI is not built (dist/ui/index.html is missing): run `npm run build`.");
  }
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

/**
 * A new page at 1440×900 that fails the test on any uncaught error of the page's scripts, and
 * collects console errors (`errors()`), so that a UI that throws cannot pass. With
 * SLUICE_UI_CPU_THROTTLE=N its scripts run N times slower (Chrome's CPU throttling).
 */
export async function newPage(browser: Browser): Promise<{ page: Page; errors: () => string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // SLUICE_UI_CPU_THROTTLE=10 runs the page's scripts ten times slower, as on a loaded machine:
  // what a test reads too early then fails every time instead of now and then.
  const throttle = Number(process.env.SLUICE_UI_CPU_THROTTLE ?? 1);
  if (throttle > 1) await (await page.context().newCDPSession(page)).send("Emulation.setCPUThrottlingRate", { rate: throttle });
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  return { page, errors: () => errors };
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
