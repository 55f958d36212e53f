/**
 * Lineage edges in headless Chromium against a real `sluice dev`, on a graph built so that
 * straight edges would cross nodes: shortcuts past the assets between their ends, and edges from
 * the middle of one group to a group beyond the next. Every edge must show its direction (an
 * arrowhead at its downstream end) and no drawn path may pass through a node it does not connect
 * (points sampled along each path with getPointAtLength, against every node's box).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT } from "../cli/helpers.js";
import { ServerSandbox, waitFor, type ServerProcess } from "../server/helpers.js";
import { launchBrowser, newPage, screenshot, SCREENSHOT_DIR } from "./browser.js";

/** [key, group, deps]: ingest has two chains a→b→c→d with a shortcut a→d; report reads b1 and a1 past stage. */
const GRAPH: [string, string, string[]][] = [
  ["a0", "ingest", []],
  ["b0", "ingest", ["a0"]],
  ["c0", "ingest", ["b0"]],
  ["d0", "ingest", ["c0", "a0"]],
  ["a1", "ingest", []],
  ["b1", "ingest", ["a1"]],
  ["c1", "ingest", ["b1"]],
  ["d1", "ingest", ["c1", "a1"]],
  ["s1", "stage", ["d0", "d1"]],
  ["s2", "stage", ["s1"]],
  ["s3", "stage", ["s2"]],
  ["r1", "report", ["s3"]],
  ["r2", "report", ["r1", "b1"]],
  ["r3", "report", ["r2", "a1"]],
];
const EDGE_COUNT = GRAPH.reduce((n, [, , deps]) => n + deps.length, 0);

interface EdgeCheck {
  /** Edges whose path has no arrowhead marker at its end. */
  unmarked: string[];
  /** Edges whose path does not end on its target's left side. */
  misdirected: string[];
  /** "<edge> crosses <node>" for every sampled point inside a node it does not connect. */
  crossings: string[];
  /** "<edge> would cross <node>" drawn straight from its start to its end: what the graph provokes. */
  straight: string[];
  edges: number;
}

/**
 * Samples every drawn edge in the page: its marker, where it ends, and points every 3 px along
 * it against the boxes of asset nodes, collapsed groups and other groups' boxes (1 px inside, so
 * that touching a border is allowed). In-page code, as text: this file is type-checked without the
 * DOM's types.
 */
const CHECK_EDGES = `(() => {
  const boxOf = (el, id, group) => {
    const r = el.getBoundingClientRect();
    return { id, left: r.left + 1, right: r.right - 1, top: r.top + 1, bottom: r.bottom - 1, group };
  };
  const nodes = [];
  for (const el of document.querySelectorAll(".react-flow__node-lineageAsset, .react-flow__node-lineageGroup")) {
    const isAsset = el.classList.contains("react-flow__node-lineageAsset");
    nodes.push(boxOf(el, el.getAttribute("data-id"), isAsset ? el.querySelector("[data-group]").getAttribute("data-group") : null));
  }
  const groupBoxes = [...document.querySelectorAll(".react-flow__node-lineageGroupBox")].map((el) => boxOf(el, el.getAttribute("data-id"), el.getAttribute("data-id").slice("group:".length)));
  const inside = (b, x, y) => x > b.left && x < b.right && y > b.top && y < b.bottom;
  const result = { unmarked: [], misdirected: [], crossings: [], straight: [], edges: 0 };
  for (const g of document.querySelectorAll(".react-flow__edge")) {
    const id = g.getAttribute("data-id");
    const [source, target] = id.split("->");
    const path = g.querySelector("path.react-flow__edge-path");
    result.edges++;
    const marker = /url\\(['"]?#([^'")]+)['"]?\\)/.exec(path.getAttribute("marker-end") ?? "");
    const markerEl = marker ? document.getElementById(marker[1]) : null;
    if (!markerEl || markerEl.tagName.toLowerCase() !== "marker" || !markerEl.querySelector("polyline")) result.unmarked.push(id);
    const ctm = path.getScreenCTM();
    const toScreen = (p) => new DOMPoint(p.x, p.y).matrixTransform(ctm);
    const total = path.getTotalLength();
    const start = toScreen(path.getPointAtLength(0));
    const end = toScreen(path.getPointAtLength(total));
    const sourceBox = nodes.find((n) => n.id === source);
    const targetBox = nodes.find((n) => n.id === target);
    if (!sourceBox || !targetBox) {
      result.misdirected.push(id + ": an end is not drawn");
      continue;
    }
    if (Math.abs(end.x - (targetBox.left - 1)) > 4 || end.y < targetBox.top || end.y > targetBox.bottom) result.misdirected.push(id + " ends at " + Math.round(end.x) + "," + Math.round(end.y) + ", target " + Math.round(targetBox.left - 1) + "," + Math.round(targetBox.top - 1) + "-" + Math.round(targetBox.bottom + 1));
    const own = new Set([source, target]);
    const ownGroups = new Set([sourceBox.group ?? source.slice("group:".length), targetBox.group ?? target.slice("group:".length)]);
    const others = [...nodes.filter((n) => !own.has(n.id)), ...groupBoxes.filter((b) => !ownGroups.has(b.group))];
    const scale = Math.hypot(ctm.a, ctm.b);
    for (let at = 0; at <= total; at += 3 / scale) {
      const p = toScreen(path.getPointAtLength(at));
      for (const b of others) if (inside(b, p.x, p.y)) result.crossings.push(id + " crosses " + b.id);
    }
    for (let t = 0; t <= 1; t += 0.01) {
      const x = start.x + (end.x - start.x) * t;
      const y = start.y + (end.y - start.y) * t;
      for (const b of others) if (inside(b, x, y)) result.straight.push(id + " would cross " + b.id);
    }
  }
  result.crossings = [...new Set(result.crossings)];
  result.straight = [...new Set(result.straight)];
  return result;
})()`;

function checkEdges(page: Page): Promise<EdgeCheck> {
  return page.evaluate(CHECK_EDGES) as Promise<EdgeCheck>;
}

/** A 1440-pixel-wide part of the page from x = `left`, as test-artifacts/screenshots/<name>.png. */
async function screenshotPart(page: Page, name: string, left: number): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), clip: { x: left, y: 0, width: 1440, height: 1000 } });
}

describe("lineage edges", () => {
  let browser: Browser;
  let sandbox: ServerSandbox;
  let server: ServerProcess;
  let project: string;

  beforeAll(async () => {
    assertBuilt();
    mkdirSync(path.join(REPO_ROOT, ".scratch"), { recursive: true });
    // In the repository, so that `import "sluice"` resolves to this package.
    project = mkdtempSync(path.join(REPO_ROOT, ".scratch", "ui-edges-"));
    writeFileSync(
      path.join(project, "defs.ts"),
      `import { asset, defineDefinitions } from "sluice";

const graph: [string, string, string[]][] = ${JSON.stringify(GRAPH)};
export default defineDefinitions({ assets: graph.map(([key, group, deps]) => asset({ key, group, deps, run: () => 1 })) });
`,
    );
    browser = await launchBrowser();
    sandbox = new ServerSandbox();
    server = await sandbox.startServer("dev", ["-f", path.join(project, "defs.ts")], { cwd: REPO_ROOT });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  /** Waits until the graph shows `assets` asset nodes and `edges` edges, laid out and fitted. */
  async function waitForGraph(page: Page, assets: number, edges: number): Promise<void> {
    await waitFor(
      `${assets} assets and ${edges} edges drawn`,
      async () => {
        const [a, e, busy] = await Promise.all([
          page.locator("[data-testid=lineage-asset]").count(),
          page.locator(".react-flow__edge").count(),
          page.getByTestId("lineage-canvas").getAttribute("aria-busy"),
        ]);
        return a === assets && e === edges && busy === "false" ? true : undefined;
      },
      15_000,
    );
    // The fit to the whole graph animates (200 ms): wait until the view has not moved for 300 ms.
    // (The checks hold at any zoom; this is for the screenshots.)
    let last = "";
    let still = 0;
    await waitFor(
      "the view to settle",
      async () => {
        const now = (await page.locator(".react-flow__viewport").getAttribute("style")) ?? "";
        still = now === last ? still + 1 : 0;
        last = now;
        return still >= 3 ? true : undefined;
      },
      10_000,
    );
  }

  it("draws every edge with an arrowhead at its target, around the nodes it does not connect", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets`);
    await waitForGraph(page, GRAPH.length, EDGE_COUNT);
    const check = await checkEdges(page);
    await screenshot(page, "lineage-edges-routed");
    expect(check.edges).toBe(EDGE_COUNT);
    // The graph provokes it: drawn straight, edges would cross nodes.
    expect(check.straight.length).toBeGreaterThan(0);
    expect(check.straight).toEqual(expect.arrayContaining(["asset:a0->asset:d0 would cross asset:b0"]));
    expect(check.unmarked).toEqual([]);
    expect(check.misdirected).toEqual([]);
    expect(check.crossings).toEqual([]);

    // Twice as wide, fitted again: nodes big enough to read in screenshots of each half, and the
    // same checks at another zoom.
    await page.setViewportSize({ width: 2880, height: 1000 });
    await page.getByRole("button", { name: "fit view" }).click();
    await waitForGraph(page, GRAPH.length, EDGE_COUNT);
    const wide = await checkEdges(page);
    expect(wide.crossings).toEqual([]);
    expect(wide.misdirected).toEqual([]);
    await screenshotPart(page, "lineage-edges-routed-left", 0);
    await screenshotPart(page, "lineage-edges-routed-right", 1440);
    expect(errors()).toEqual([]);
    await page.close();
  });

  it("routes edges into and out of a collapsed group around the nodes between", async () => {
    const { page, errors } = await newPage(browser);
    await page.goto(`${server.url}/assets`);
    await waitForGraph(page, GRAPH.length, EDGE_COUNT);
    await page.locator('[data-testid=lineage-group-box][data-group="stage"]').getByRole("button", { name: "Collapse" }).click();
    // stage as one node: its two inner edges go; d0→stage, d1→stage and stage→r1 stand for the edges in and out.
    await waitForGraph(page, GRAPH.length - 3, EDGE_COUNT - 2);
    const check = await checkEdges(page);
    await screenshot(page, "lineage-edges-collapsed");
    expect(check.unmarked).toEqual([]);
    expect(check.misdirected).toEqual([]);
    expect(check.crossings).toEqual([]);
    expect(errors()).toEqual([]);
    await page.close();
  });
});
