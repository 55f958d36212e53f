/**
 * The partition health bar of an asset with over 100,000 partitions (hourly/ticks of
 * test/fixtures/ui/partitions, hourly since 2015-07-01) in headless Chromium against a real
 * `sluice dev`: the time from the page's request of GET /api/assets/:key/partitions to the bar's
 * first paint (measured in the page with performance.now()), the canvas draw alone, and the
 * endpoint's own time, each as a ratio of the 1 s budget.
 *
 *   npm run build && node --import tsx bench/partitions-ui.ts [--reps 5]
 */
import { parseArgs } from "node:util";
import { waitFor } from "../test/daemon/helpers.js";
import { newPage } from "../test/ui/browser.js";
import { startPartitionsWorld } from "../test/ui/partitions-helpers.js";

const BUDGET_MS = 1000;
const { values } = parseArgs({ options: { reps: { type: "string", default: "5" } } });
const reps = Math.max(1, Number(values.reps));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const world = await startPartitionsWorld();
try {
  const url = world.server.url;
  const api: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/assets/hourly/ticks/partitions`);
    await res.json();
    api.push(performance.now() - t0);
  }
  const render: number[] = [];
  const draw: number[] = [];
  let total = 0;
  for (let i = 0; i < reps; i++) {
    const { page } = await newPage(world.browser);
    await page.goto(`${url}/assets/hourly/ticks`);
    const bar = page.getByTestId("health-bar");
    render.push(Number(await waitFor("the bar's first paint", async () => (await bar.getAttribute("data-render-ms")) ?? undefined, 60_000)));
    draw.push(Number(await bar.getAttribute("data-draw-ms")));
    total = Number(await bar.getAttribute("data-total"));
    await page.close();
  }
  const line = (what: string, ms: number) => console.log(`${what.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / BUDGET_MS).toFixed(3)} of the 1 s budget`);
  console.log(`health bar of ${total.toLocaleString("en-US")} partitions, median of ${reps}:`);
  line("GET /api/assets/:key/partitions (from Node)", median(api));
  line("page: request to first paint of the bar", median(render));
  line("page: canvas draw", median(draw));
} finally {
  await world.dispose();
}
