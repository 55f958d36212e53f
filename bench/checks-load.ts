/**
 * What asset checks add to loading definitions: defineDefinitions() and snapshotOf() of N assets
 * (a chain in layers, as real projects are) with one inline check each, against the same N assets
 * without checks, timed alternately in one process (figures of two runs on a shared machine are not
 * comparable; a ratio measured in one run is). The goal: under 1 s for 10,000 assets with checks.
 *
 *   node --import tsx bench/checks-load.ts [--size 10000] [--reps 5]
 */
import { parseArgs } from "node:util";
import { asset, type AssetDefinition } from "../src/definitions/asset.js";
import { assetCheck, type AssetCheckDefinition } from "../src/definitions/asset-check.js";
import { defineDefinitions } from "../src/definitions/definitions.js";
import { snapshotOf } from "../src/instance/snapshot.js";

const { values } = parseArgs({ options: { size: { type: "string", default: "10000" }, reps: { type: "string", default: "5" } } });
const SIZE = Number(values.size);
const REPS = Number(values.reps);
const LAYERS = 20;

/** N assets in 20 layers, each reading one asset of the layer before; with an inline check each, or none. */
function assets(withChecks: boolean): AssetDefinition[] {
  const perLayer = Math.ceil(SIZE / LAYERS);
  const list: AssetDefinition[] = [];
  for (let i = 0; i < SIZE; i++) {
    const layer = Math.floor(i / perLayer);
    const deps = layer > 0 ? [`l${layer - 1}/a${(layer - 1) * perLayer + (i % perLayer)}`] : [];
    list.push(
      asset({
        key: `l${layer}/a${i}`,
        deps,
        run: () => i,
        ...(withChecks ? { checks: [{ name: "positive", blocking: i % 2 === 0, run: (n: number) => ({ passed: n >= 0 }) }] } : {}),
      }) as AssetDefinition,
    );
  }
  return list;
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const plain = assets(false);
const inline = assets(true);
// Half the checks declared with assetCheck() instead: the "assetChecks" path.
const listedAssets = assets(false);
const listed: AssetCheckDefinition[] = listedAssets.map((a) => assetCheck({ asset: a, name: "positive", run: () => ({ passed: true }) }));

const rows: { name: string; define: number[]; snapshot: number[] }[] = [
  { name: "no checks", define: [], snapshot: [] },
  { name: "1 inline check each", define: [], snapshot: [] },
  { name: "1 assetCheck() each", define: [], snapshot: [] },
];
const specs = [{ assets: plain }, { assets: inline }, { assets: listedAssets, assetChecks: listed }];
for (let rep = 0; rep < REPS + 1; rep++) {
  specs.forEach((spec, i) => {
    let defs!: ReturnType<typeof defineDefinitions>;
    const define = time(() => (defs = defineDefinitions(spec)));
    const snapshot = time(() => snapshotOf(defs));
    // The first round warms the JIT up and is not counted.
    if (rep > 0) {
      rows[i]!.define.push(define);
      rows[i]!.snapshot.push(snapshot);
    }
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(rows[0]!.define) + median(rows[0]!.snapshot);
console.log(`${SIZE.toLocaleString("en-US")} assets, median of ${REPS} (ms):`);
console.log("case                   define  snapshot   total   ratio");
for (const row of rows) {
  const total = median(row.define) + median(row.snapshot);
  console.log(
    `${row.name.padEnd(22)} ${median(row.define).toFixed(0).padStart(6)}  ${median(row.snapshot).toFixed(0).padStart(8)}  ${total.toFixed(0).padStart(6)}  ${(total / base).toFixed(2).padStart(6)}`,
  );
}
const worst = Math.max(...rows.slice(1).map((r) => median(r.define) + median(r.snapshot)));
console.log(worst < 1000 ? `OK: with checks, under the 1 s goal (${worst.toFixed(0)} ms).` : `OVER the 1 s goal: ${worst.toFixed(0)} ms with checks.`);
