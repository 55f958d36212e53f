/**
 * Time of the lineage layout itself (ui/src/lineage/lineage-layout.ts, what the layout worker runs),
 * in Node, on the layered DAGs of bench/ui.ts, up to 100,000 assets: the overview (one node per
 * group), one group expanded, and every group expanded (the worst case: "Expand all").
 *
 *   npm run bench:lineage-layout   (or: node --import tsx bench/lineage-layout.ts [--sizes 10000,100000] [--reps 5] [--baseline REV])
 *
 * With `--baseline REV` the layout code of git revision REV (its ui/src/lineage/layered-layout.ts and
 * lineage-layout.ts, written to bench/.generated/) is timed in the same process, alternating with
 * today's, and each row gives the ratio today / baseline: figures of two runs on a shared machine
 * are not comparable, a ratio measured in one run is.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as current from "../ui/src/lineage/lineage-layout.js";
import type { GraphAsset, LineageLayoutRequest } from "../ui/src/lineage/lineage-layout.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "10000,100000" }, reps: { type: "string", default: "5" }, baseline: { type: "string" } } });
const SIZES = values.sizes.split(",").map(Number);
const REPS = Number(values.reps);
const root = path.resolve(import.meta.dirname, "..");
const LAYERS = 20;
const BANDS = 4;

/** The part of the layout module that is timed; both versions have it. */
interface LayoutModule {
  LineageGraph: new (assets: readonly GraphAsset[]) => { layout(request: LineageLayoutRequest): { edges: unknown[] } };
}

/** The same graphs as bench/ui.ts: 20 layers, 1–3 parents in the layer before, groups of slices. */
function generate(n: number): GraphAsset[] {
  let s = n;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const perLayer = Math.ceil(n / LAYERS);
  const groupSize = n > 2000 ? 250 : 50;
  const slices = Math.max(1, Math.round(n / groupSize / BANDS));
  const sliceWidth = Math.ceil(perLayer / slices);
  const keyOf = (layer: number, column: number) => `l${String(layer).padStart(2, "0")}/asset_${layer * perLayer + column}`;
  const assets: GraphAsset[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / perLayer);
    const column = i % perLayer;
    const deps = new Set<string>();
    if (layer > 0) {
      const sliceStart = Math.floor(column / sliceWidth) * sliceWidth;
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
        const from = rand() < 0.1 ? Math.floor(rand() * perLayer) : Math.min(perLayer - 1, sliceStart + Math.floor(rand() * sliceWidth));
        deps.add(keyOf(layer - 1, from));
      }
    }
    const band = Math.floor((layer * BANDS) / LAYERS);
    const slice = Math.min(slices - 1, Math.floor(column / sliceWidth));
    assets.push({ key: keyOf(layer, column), group: `band${band}_part${String(slice).padStart(2, "0")}`, deps: [...deps] });
  }
  return assets;
}

/** Writes the layout modules of `rev` beside the generated benches and imports them. */
async function loadBaseline(rev: string): Promise<LayoutModule> {
  const dir = path.join(root, "bench", ".generated", `lineage-layout-${rev.replace(/[^\w.-]/g, "_")}`);
  mkdirSync(dir, { recursive: true });
  for (const file of ["layered-layout.ts", "lineage-layout.ts"]) {
    writeFileSync(path.join(dir, file), execFileSync("git", ["show", `${rev}:ui/src/lineage/${file}`], { cwd: root, encoding: "utf8" }));
  }
  return (await import(pathToFileURL(path.join(dir, "lineage-layout.ts")).href)) as LayoutModule;
}

/** Milliseconds of one layout, on a graph indexed anew (so no cached group layout is reused). */
function timeLayout(module: LayoutModule, assets: readonly GraphAsset[], request: LineageLayoutRequest): number {
  const graph = new module.LineageGraph(assets);
  const started = performance.now();
  graph.layout(request);
  return performance.now() - started;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const baseline = values.baseline ? await loadBaseline(values.baseline) : null;
const rows: string[][] = [];
const loadBefore = os.loadavg()[0]!;
for (const n of SIZES) {
  const assets = generate(n);
  const groups = [...new Set(assets.map((a) => a.group))];
  const cases: [string, LineageLayoutRequest][] = [
    ["overview", { visible: null, expanded: [] }],
    ["one group expanded", { visible: null, expanded: [groups[Math.floor(groups.length / 2)]!] }],
    ["every group expanded", { visible: null, expanded: groups }],
  ];
  for (const [name, request] of cases) {
    const mine: number[] = [];
    const theirs: number[] = [];
    // Alternating, after one warm-up each, so that both see the same machine; which goes first
    // alternates too (the one after pays for the garbage of the one before).
    timeLayout(current, assets, request);
    if (baseline) timeLayout(baseline, assets, request);
    for (let rep = 0; rep < REPS; rep++) {
      if (baseline && rep % 2 === 1) theirs.push(timeLayout(baseline, assets, request));
      mine.push(timeLayout(current, assets, request));
      if (baseline && rep % 2 === 0) theirs.push(timeLayout(baseline, assets, request));
    }
    const row = [n.toLocaleString("en"), String(groups.length), name, `${Math.round(median(mine))} ms`];
    if (baseline) row.push(`${Math.round(median(theirs))} ms`, `${(median(mine) / median(theirs)).toFixed(2)}×`);
    rows.push(row);
  }
}

const header = ["assets", "groups", "layout", "today"];
if (baseline) header.push(`baseline ${values.baseline}`, "today / baseline");
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
console.log(`Lineage layout in Node ${process.version}, median of ${REPS} (LineageGraph.layout, see bench/lineage-layout.ts)`);
console.log(`${os.cpus().length} CPUs, load average ${loadBefore.toFixed(1)} before and ${os.loadavg()[0]!.toFixed(1)} after`);
console.log(line(header));
for (const r of rows) console.log(line(r));
