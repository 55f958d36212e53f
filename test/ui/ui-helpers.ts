/**
 * Helpers of the runs, launchpad and automation browser tests: a throwaway copy of the quickstart,
 * and small readers of what a page shows.
 */
import { cpSync, mkdirSync, mkdtempSync } from "node:fs";
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { REPO_ROOT } from "../cli/helpers.js";

/**
 * Copies examples/quickstart (without its .sluice and out/) into the repository's .scratch/, so
 * that runs write their reports there and the copy resolves `sluice` and csv-parse as the original
 * does. Returns the copy's directory; the caller removes it.
 */
export function copyQuickstart(): string {
  mkdirSync(path.join(REPO_ROOT, ".scratch"), { recursive: true });
  const project = mkdtempSync(path.join(REPO_ROOT, ".scratch", "ui-quickstart-"));
  cpSync(path.join(REPO_ROOT, "examples", "quickstart"), project, { recursive: true, filter: (src) => !/\.sluice|out$/.test(src) });
  return project;
}

/** The run id of a run page's URL (`…/runs/<id>`), or throws. */
export function runIdOf(url: string): string {
  const match = /\/runs\/([\w-]+)(?:\?|$)/.exec(url);
  if (!match) throw new Error(`Not a run page: ${url}`);
  return match[1]!;
}

/** The trimmed text of every element the locator matches, in order. */
export async function textsOf(locator: Locator): Promise<string[]> {
  return (await locator.allTextContents()).map((t) => t.trim());
}

/**
 * Marks the page's window; {@link stillSamePage} then tells whether the page was reloaded since,
 * so a test can prove that what it saw change came over the live stream.
 */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as { __sluiceMark: boolean }).__sluiceMark = true;
  });
}

/** True when the page has not been reloaded since {@link markPage}. */
export function stillSamePage(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { __sluiceMark?: boolean }).__sluiceMark === true);
}
