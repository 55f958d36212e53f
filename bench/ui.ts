/**
 * The performance goals of large graphs, measured against a real `sluice dev` and Debian's headless
 * Chromium (flags of test/ui/browser.ts), for 1,000, 10,000 and 100,000 assets, each printed beside
 * its goal and a baseline measured in the same run:
 *   - `sluice asset list -f defs.ts`, warm (the compiled definitions cached by an earlier run),
 *     beside a plain `node` that only imports the same definitions (defs.js, the text of defs.ts),
 *     evaluating its N asset() calls and defineDefinitions(): the floor of any command on them;
 *   - `sluice dev` start-up: from spawning the process until GET /api/assets answers 200 (the
 *     definitions loaded and the graph served), beside the same import floor;
 *   - the lineage view's time to interactive (below), beside when /api/assets arrived;
 *   - resident memory (VmRSS) of the `sluice dev` process and all its descendants, 5 s after it
 *     served the UI (beside the same 5 s after start-up, before the browser).
 *
 *   npm run bench:ui            (or: npm run build && node --import tsx bench/ui.ts [--sizes 10000,100000] [--reps 3])
 *
 * The graphs: layered DAGs (20 layers; each asset reads 1–3 assets of the layer before, mostly of
 * its own slice of columns) in groups of 50 (1,000 assets) or 250 (10,000 and more): a group is a
 * slice of columns across five layers; written to bench/.generated/ui-N/ (graph.json, and defs.ts
 * with one literal asset({...}) declaration per entry; defs.js the same text).
 *
 * "Interactive", measured from navigation start (the page's performance.now()), each step started
 * as soon as the previous one is seen:
 *   1. first nodes: the first lineage node is in the DOM (a MutationObserver in the page);
 *   2. click → selected: a click on a node (away from its link and buttons) shows it selected;
 *   3. search → applied: a selection (`group:<a group>`) typed and submitted with Enter is
 *      counted in the toolbar and only that group's assets are drawn.
 * Interactive = the end of step 3. Every figure is the median of the repetitions, each a fresh
 * browser context (nothing cached) or a fresh `sluice dev` (start-up). Above 2,000 assets the view
 * opens with one node per group; "expand" is then the time from a click on a group's Expand button
 * until its assets are drawn.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../test/ui/browser.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "1000,10000,100000" }, reps: { type: "string", default: "3" } } });
const SIZES = values.sizes.split(",").map(Number);
const REPS = Number(values.reps);
const root = path.resolve(import.meta.dirname, "..");
const LAYERS = 20;
const BANDS = 4;

interface GeneratedGraph {
  defsFile: string;
  groups: string[];
  /** The group searched for in step 3, and its size. */
  searchGroup: string;
  searchCount: number;
}

/** A seeded pseudo-random generator (the same graph every run). */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * Writes bench/.generated/ui-N/: graph.json (the graph) and defs.ts, which declares each asset
 * literally, one `asset({...})` per asset, as a large hand-written or generated project would:
 * loading it compiles and evaluates a file of N declarations.
 */
function generate(n: number): GeneratedGraph {
  const rand = random(n);
  const perLayer = Math.ceil(n / LAYERS);
  const groupSize = n > 2000 ? 250 : 50;
  const slices = Math.max(1, Math.round(n / groupSize / BANDS));
  const sliceWidth = Math.ceil(perLayer / slices);
  const keyOf = (layer: number, column: number) => `l${String(layer).padStart(2, "0")}/asset_${layer * perLayer + column}`;
  const assets: { key: string; group: string; deps: string[]; kinds: string[] }[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / perLayer);
    const column = i % perLayer;
    const deps = new Set<string>();
    if (layer > 0) {
      // Mostly from its own slice of columns (so groups are mostly connected within themselves),
      // one in ten from anywhere in the layer before.
      const sliceStart = Math.floor(column / sliceWidth) * sliceWidth;
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
        const from = rand() < 0.1 ? Math.floor(rand() * perLayer) : Math.min(perLayer - 1, sliceStart + Math.floor(rand() * sliceWidth));
        deps.add(keyOf(layer - 1, from));
      }
    }
    const band = Math.floor((layer * BANDS) / LAYERS);
    const slice = Math.min(slices - 1, Math.floor(column / sliceWidth));
    assets.push({ key: keyOf(layer, column), group: `band${band}_part${String(slice).padStart(2, "0")}`, deps: [...deps], kinds: i % 7 === 0 ? ["table"] : [] });
  }
  const dir = path.join(root, "bench", ".generated", `ui-${n}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "graph.json"), JSON.stringify(assets));
  const defsFile = path.join(dir, "defs.ts");
  const lines = [
    `// Generated by bench/ui.ts: ${n} assets in a layered DAG with groups (the same as graph.json).`,
    `import { asset, defineDefinitions } from "sluice";`,
    "",
    "const run = () => 1;",
    "export default defineDefinitions({",
    "  assets: [",
  ];
  for (const a of assets) {
    const kinds = a.kinds.length ? `, kinds: ${JSON.stringify(a.kinds)}` : "";
    const deps = a.deps.length ? `, deps: ${JSON.stringify(a.deps)}` : "";
    lines.push(`    asset({ key: ${JSON.stringify(a.key)}, group: ${JSON.stringify(a.group)}${deps}${kinds}, run }),`);
  }
  lines.push("  ],", "});", "");
  writeFileSync(defsFile, lines.join("\n"));
  // The same text is JavaScript too: what a plain `node` imports, for the baseline.
  writeFileSync(path.join(dir, "defs.js"), lines.join("\n"));
  const groups = [...new Set(assets.map((a) => a.group))];
  const searchGroup = groups[Math.floor(groups.length / 2)]!;
  return { defsFile, groups, searchGroup, searchCount: assets.filter((a) => a.group === searchGroup).length };
}

interface DevServer {
  child: ChildProcess;
  url: string;
  /** From spawning the process until it printed its URL (listening). */
  listeningMs: number;
  /** From spawning the process until GET /api/assets answered 200 (definitions loaded, graph served). */
  servingMs: number;
}

/**
 * Starts `sluice dev` on `defsFile` with a fresh home; resolves once the HTTP API serves the asset
 * graph (GET /api/assets answers 200; before the definitions are loaded it answers 503).
 */
async function startDev(defsFile: string, home: string): Promise<DevServer> {
  const started = performance.now();
  // From the repository, so that the generated file's `import "sluice"` resolves to this package.
  const child = spawn(process.execPath, [path.join(root, "bin", "sluice.js"), "dev", "-f", defsFile, "--port", "0", "--home", home], {
    cwd: root,
    env: { ...process.env, CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on("exit", () => (exited = true));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const line = stdout.split("\n").find((l) => l.startsWith("http://"));
      if (line) {
        clearInterval(timer);
        resolve(line.trim());
      }
    }, 10);
    child.on("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`sluice dev exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  const listeningMs = performance.now() - started;
  for (;;) {
    if (exited) throw new Error(`sluice dev exited before it served /api/assets:\n${stderr}`);
    const res = await fetch(`${url}/api/assets`).catch(() => undefined);
    if (res?.ok) {
      await res.arrayBuffer();
      break;
    }
    await res?.arrayBuffer();
    await sleep(10);
  }
  return { child, url, listeningMs, servingMs: performance.now() - started };
}

/** Stops a `sluice dev` started by startDev and waits for it to exit. */
async function stopDev(server: DevServer): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once("exit", r));
  server.child.kill("SIGTERM");
  await exited;
}

/** Wall time in ms of `node ARGS` (run from the repository), failing if it fails. */
function timeNode(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, CI: "1" }, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed (${result.status}):\n${result.stderr.toString()}`);
  return elapsed;
}

/** VmRSS in MB of `pid` and every process descended from it. */
function treeRssMb(pid: number): number {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of /proc/PID/stat, after the parenthesized command name (which may hold spaces).
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parent] of parentOf) if (tree.has(parent) && !tree.has(child)) (tree.add(child), (grew = true));
  }
  let kb = 0;
  for (const p of tree) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // Gone meanwhile.
    }
  }
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records, in the page, when the first lineage node enters the DOM. */
const OBSERVE_FIRST_NODE = `
  window.__bench = {};
  new MutationObserver((_, observer) => {
    if (document.querySelector(".react-flow__node")) {
      window.__bench.firstNode = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
`;

interface Sample {
  data: number;
  layoutMs: number;
  firstNode: number;
  selected: number;
  applied: number;
  expand?: number;
}

/** The page's clock (ms since navigation start) once `predicate` holds, polled every frame. */
async function pageTimeWhen(page: Page, predicate: string, arg?: unknown): Promise<number> {
  // A string is evaluated as an expression on every frame.
  const handle = await page.waitForFunction(`(${predicate})(${JSON.stringify(arg ?? null)}) ? performance.now() : false`, undefined, { polling: "raf", timeout: 120_000 });
  return (await handle.jsonValue()) as number;
}

/** Clicks the first node of `selector` that lies wholly in the canvas, away from its link and buttons. */
async function clickBody(page: Page, selector: string): Promise<void> {
  // In-page code is given as text: this file is type-checked without the DOM's types.
  const at = await page.waitForFunction(
    `(() => {
      const canvas = document.querySelector("[data-testid=lineage-canvas]").getBoundingClientRect();
      for (const el of document.querySelectorAll(${JSON.stringify(selector)})) {
        const r = el.getBoundingClientRect();
        if (r.left >= canvas.left && r.top >= canvas.top && r.right <= canvas.right && r.bottom <= canvas.bottom) return { x: r.right - r.width * 0.1, y: r.top + r.height / 2 };
      }
      return false;
    })()`,
    undefined,
    { polling: "raf", timeout: 120_000 },
  );
  const { x, y } = (await at.jsonValue()) as { x: number; y: number };
  await page.mouse.click(x, y);
}

async function measure(browser: Browser, url: string, graph: GeneratedGraph, big: boolean): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(OBSERVE_FIRST_NODE);
    await page.goto(`${url}/assets`, { waitUntil: "commit" });
    await pageTimeWhen(page, "() => window.__bench.firstNode !== undefined");
    const firstNode = (await page.evaluate("window.__bench.firstNode")) as number;
    // Step 2: a click on a node (an asset, or a group when collapsed) selects it.
    await clickBody(page, ".react-flow__node-lineageAsset, .react-flow__node-lineageGroup");
    const selected = await pageTimeWhen(page, '() => document.querySelector(".react-flow__node.selected") !== null');
    // Step 3: a search, submitted with Enter.
    const search = page.getByTestId("lineage-search");
    await search.fill(`group:${graph.searchGroup}`);
    await search.press("Enter");
    const applied = await pageTimeWhen(
      page,
      `(g) => {
        const count = document.querySelector("[data-testid=selection-count]")?.textContent ?? "";
        const nodes = [...document.querySelectorAll("[data-testid=lineage-asset]")];
        return count.startsWith(g.count.toLocaleString() + " of") && nodes.length > 0 && nodes.every((n) => n.getAttribute("data-group") === g.name);
      }`,
      { name: graph.searchGroup, count: graph.searchCount },
    );
    const timings = (await page.evaluate(`({
      data: performance.getEntriesByType("resource").find((e) => e.name.endsWith("/api/assets"))?.responseEnd ?? NaN,
      layoutMs: performance.getEntriesByName("sluice:lineage-layout")[0]?.detail?.ms ?? NaN,
    })`)) as { data: number; layoutMs: number };
    const sample: Sample = { ...timings, firstNode, selected, applied };
    if (big) {
      // Expanding one group of the overview.
      await page.goto(`${url}/assets`, { waitUntil: "commit" });
      await page.locator(".react-flow__node-lineageGroup button").first().waitFor();
      const group = await page.locator("[data-testid=lineage-group]").first().getAttribute("data-group");
      const clickedAt = await page.evaluate(() => performance.now());
      await page.locator(".react-flow__node-lineageGroup button").first().click();
      const drawn = await pageTimeWhen(page, '(g) => document.querySelector(`[data-testid=lineage-asset][data-group="${g}"]`) !== null', group);
      sample.expand = drawn - clickedAt;
    }
    return sample;
  } finally {
    await context.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "—" : `${Math.round(x)} ms`);
const sizeName = (n: number) => n.toLocaleString("en");

/** The goals of the performance issue, by graph size: in ms, or MB for memory. */
const GOALS: Record<number, { assetList?: number; serving?: number; interactive?: number; rssMb?: number }> = {
  10_000: { interactive: 1000 },
  100_000: { assetList: 3000, serving: 5000, interactive: 2000, rssMb: 500 },
};

/** One printed figure: what, its value, its goal and the baseline of the same run. */
interface Figure {
  what: string;
  value: string;
  goal: string;
  baseline: string;
  met?: boolean;
}

const figures = new Map<number, Figure[]>();
const rows: string[][] = [];
// Other work on the machine slows the browser more than anything measured here: say how busy it was.
const loadBefore = os.loadavg()[0]!;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  for (const n of SIZES) {
    const graph = generate(n);
    const goal = GOALS[n] ?? {};
    const list: Figure[] = [];
    figures.set(n, list);
    const verdict = (value: number, target: number | undefined) => (target === undefined ? undefined : value <= target);

    // The floor of any command on these definitions: a plain Node importing them (defs.js, the same
    // text as defs.ts), which evaluates the N asset() calls and defineDefinitions(), and nothing else.
    const importArgs = ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(graph.defsFile.replace(/\.ts$/, ".js")).href)})`];
    const listArgs = [path.join(root, "bin", "sluice.js"), "asset", "list", "-f", graph.defsFile];
    timeNode(listArgs); // cold: compiles the definitions into the cache
    const importMs: number[] = [];
    const listMs: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      importMs.push(timeNode(importArgs));
      listMs.push(timeNode(listArgs));
    }
    const baselineImport = `plain node importing the defs: ${ms(median(importMs))}`;
    list.push({ what: "sluice asset list (warm)", value: ms(median(listMs)), goal: goal.assetList ? `< ${ms(goal.assetList)}` : "", baseline: baselineImport, met: verdict(median(listMs), goal.assetList) });

    // Start-up: several starts, each on a fresh home; the last one serves the browser.
    const homes: string[] = [];
    const servingMs: number[] = [];
    const listeningMs: number[] = [];
    let server: DevServer | undefined;
    try {
      for (let rep = 0; rep < REPS; rep++) {
        const home = mkdtempSync(path.join(os.tmpdir(), "sluice-bench-ui-"));
        homes.push(home);
        server = await startDev(graph.defsFile, home);
        servingMs.push(server.servingMs);
        listeningMs.push(server.listeningMs);
        if (rep < REPS - 1) await stopDev(server);
      }
      list.push({ what: "sluice dev: spawn → /api/assets answers", value: ms(median(servingMs)), goal: goal.serving ? `< ${ms(goal.serving)}` : "", baseline: baselineImport, met: verdict(median(servingMs), goal.serving) });
      await sleep(5000);
      const idleMb = treeRssMb(server!.child.pid!);
      const samples: Sample[] = [];
      for (let rep = 0; rep < REPS; rep++) samples.push(await measure(browser, server!.url, graph, n > 2000));
      await sleep(5000);
      const servedMb = treeRssMb(server!.child.pid!);
      const pick = (f: (s: Sample) => number | undefined) => {
        const xs = samples.map(f).filter((x): x is number => x !== undefined);
        return xs.length ? median(xs) : undefined;
      };
      const interactive = pick((s) => s.applied)!;
      list.push({ what: "lineage interactive (Chromium)", value: ms(interactive), goal: goal.interactive ? `< ${ms(goal.interactive)}` : "", baseline: `/api/assets received at ${ms(pick((s) => s.data))}`, met: verdict(interactive, goal.interactive) });
      list.push({
        what: "sluice dev RSS after serving the UI",
        value: `${servedMb.toFixed(0)} MB`,
        goal: goal.rssMb ? `< ${goal.rssMb} MB` : "",
        baseline: `${idleMb.toFixed(0)} MB idle before the browser`,
        met: verdict(servedMb, goal.rssMb),
      });
      rows.push([
        sizeName(n),
        String(graph.groups.length),
        ms(median(servingMs)),
        ms(pick((s) => s.data)),
        ms(pick((s) => s.layoutMs)),
        ms(pick((s) => s.firstNode)),
        ms(pick((s) => s.selected - s.firstNode)),
        ms(pick((s) => s.applied - s.selected)),
        ms(interactive),
        ms(pick((s) => s.expand)),
      ]);
      console.error(`${n}: asset list ${listMs.map(Math.round).join(", ")} ms (import ${importMs.map(Math.round).join(", ")}); serving ${servingMs.map(Math.round).join(", ")} ms; interactive ${samples.map((s) => Math.round(s.applied)).join(", ")} ms`);
    } finally {
      if (server) await stopDev(server);
      for (const home of homes) rmSync(home, { recursive: true, force: true });
    }
  }
} finally {
  await browser.close();
}

const table = (header: string[], body: string[][]): string[] => {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), ...body.map(line)];
};
console.log(`Median of ${REPS}; ${os.cpus().length} CPUs, load average ${loadBefore.toFixed(1)} before and ${os.loadavg()[0]!.toFixed(1)} after; headless Chromium ${browser.version()}`);
for (const [n, list] of figures) {
  console.log("");
  console.log(`${sizeName(n)} assets`);
  const body = list.map((f) => [f.what, f.value, f.goal, f.met === undefined ? "" : f.met ? "met" : "NOT MET", f.baseline]);
  for (const l of table(["", "measured", "goal", "", "in the same run"], body)) console.log(`  ${l}`);
}
console.log("");
console.log(`Lineage view, times from navigation start ("interactive" = search applied, see bench/ui.ts):`);
const header = ["assets", "groups", "dev serving", "/api/assets", "layout (worker)", "first nodes", "click → selected", "search → applied", "interactive", "expand a group"];
for (const l of table(header, rows)) console.log(l);
