/**
 * Shared set-up of the lineage, asset page and overview browser tests: a real `sluice dev` on a
 * fresh copy of the quickstart (six assets in groups ingest, transform and report; the job
 * refresh_reports; the stopped schedule nightly_reports), and a headless Chromium.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { assertBuilt, REPO_ROOT } from "../cli/helpers.js";
import { api, ServerSandbox, waitForRun, type ServerProcess } from "../server/helpers.js";
import { launchBrowser } from "./browser.js";

/** The quickstart's asset keys, by group. */
export const QUICKSTART_GROUPS: Record<string, string[]> = {
  ingest: ["raw/orders", "raw/customers"],
  transform: ["clean/orders"],
  report: ["report/daily_revenue", "report/revenue_by_country", "export/daily_revenue_csv"],
};

/** A running quickstart server and browser; `dispose()` ends both and removes the copy. */
export interface QuickstartWorld {
  browser: Browser;
  server: ServerProcess;
  /** The copy's definitions file, which the server reloads when it changes. */
  defsFile: string;
  dispose(): Promise<void>;
}

/**
 * Copies the quickstart into the repository's .scratch/ (so that it resolves `sluice` and its CSV
 * libraries as the original does) and starts `sluice dev` on it with a fresh instance home.
 */
export async function startQuickstart(): Promise<QuickstartWorld> {
  assertBuilt();
  const browser = await launchBrowser();
  const sandbox = new ServerSandbox();
  mkdirSync(path.join(REPO_ROOT, ".scratch"), { recursive: true });
  const project = mkdtempSync(path.join(REPO_ROOT, ".scratch", "ui-assets-"));
  cpSync(path.join(REPO_ROOT, "examples", "quickstart"), project, { recursive: true, filter: (src) => !/\.sluice|out$/.test(src) });
  try {
    const server = await sandbox.startServer("dev", ["-f", path.join(project, "defs.ts")], { cwd: REPO_ROOT });
    return {
      browser,
      server,
      defsFile: path.join(project, "defs.ts"),
      dispose: async () => {
        await browser.close();
        await sandbox.dispose();
        rmSync(project, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await browser.close();
    await sandbox.dispose();
    rmSync(project, { recursive: true, force: true });
    throw err;
  }
}

/** Queues a run through the API and waits until it finishes; returns the finished run. */
export async function runToEnd(url: string, body: Record<string, unknown>): Promise<{ runId: string; status: string; selection: string[] }> {
  const res = await api(url, "POST", "/api/runs", body);
  if (res.status !== 201) throw new Error(`POST /api/runs answered ${res.status}: ${JSON.stringify(res.body)}`);
  return waitForRun(url, res.body.run.runId, ["SUCCESS", "FAILURE", "CANCELED"]);
}

/** The lineage node of an asset. */
export function assetNode(page: Page, key: string): Locator {
  return page.locator(`[data-testid=lineage-asset][data-key="${key}"]`);
}

/** Clicks a lineage node away from its name (which is a link to the asset's page). */
export async function clickNodeBody(node: Locator, modifiers: ("Shift" | "Control")[] = []): Promise<void> {
  const box = await node.boundingBox();
  if (!box) throw new Error("the node is not visible");
  await node.click({ position: { x: box.width - 12, y: box.height / 2 }, modifiers });
}

/** The `data-status` of every lineage asset node, by key. */
export async function nodeStatuses(page: Page): Promise<Record<string, string>> {
  return page.$$eval("[data-testid=lineage-asset]", (els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-key"), e.getAttribute("data-status")])));
}
