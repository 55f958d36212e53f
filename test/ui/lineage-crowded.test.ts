/**
 * A lineage too crowded to read when fitted, in headless Chromium against a real `sluice dev`:
 * 2,400 assets in 400 groups open as one node per group, at a readable zoom at the leftmost groups
 * (only the groups in view drawn), and the fit-view control still shows every group.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT } from "../cli/helpers.js";
import { ServerSandbox, waitFor, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage, screenshot } from "./browser.js";

const GROUPS = 400;
const PER_GROUP = 6;

/** The scale of the lineage's viewport (xyflow's transform). */
async function zoomOf(page: Page): Promise<number> {
  const transform = await page.locator(".react-flow__viewport").getAttribute("style");
  return Number(/scale\(([\d.e-]+)\)/.exec(transform ?? "")?.[1] ?? NaN);
}

describe("crowded lineage", () => {
  let browser: Browser;
  let server: ServerProcess;
  let project: string;
  const sandbox = new ServerSandbox();

  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
    mkdirSync(path.join(REPO_ROOT, ".scratch"), { recursive: true });
    project = mkdtempSync(path.join(REPO_ROOT, ".scratch", "ui-crowded-"));
    // Each group a chain of six; each group's first asset reads the last of the group before.
    writeFileSync(
      path.join(project, "defs.ts"),
      `import { asset, defineDefinitions } from "sluice";
const assets = [];
for (let g = 0; g < ${GROUPS}; g++) {
  for (let i = 0; i < ${PER_GROUP}; i++) {
    const deps = i > 0 ? [\`g\${g}/a\${i - 1}\`] : g > 0 ? [\`g\${g - 1}/a${PER_GROUP - 1}\`] : [];
    assets.push(asset({ key: \`g\${g}/a\${i}\`, group: \`group_\${String(g).padStart(3, "0")}\`, deps, run: () => 1 }));
  }
}
export default defineDefinitions({ assets });
`,
    );
    server = await sandbox.startServer("dev", ["-f", path.join(project, "defs.ts")], { cwd: REPO_ROOT });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("opens at its leftmost groups at a readable zoom, drawing only those in view; fit view shows them all", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets`);
    const groupNodes = page.locator("[data-testid=lineage-group]");
    await groupNodes.first().waitFor();
    await waitFor("the view to settle at a readable zoom", async () => ((await zoomOf(page)) === 0.5 ? true : undefined), 15_000);
    const drawn = await groupNodes.count();
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(GROUPS / 4);
    // The first group of the flow is in view.
    expect(await page.locator('[data-testid=lineage-group][data-group="group_000"]').count()).toBe(1);
    await screenshot(page, "lineage-crowded-start");

    await page.locator(".react-flow__controls-fitview").click();
    await waitFor("every group to be drawn after fit view", async () => ((await groupNodes.count()) === GROUPS ? true : undefined), 30_000);
    expect(await zoomOf(page)).toBeLessThan(0.5);
    expect(errors()).toEqual([]);
    await page.close();
  });
});
