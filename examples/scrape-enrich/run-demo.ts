/**
 * Runs the example against its demo site: starts the site on a free port, runs
 * `sluice materialize -f definitions.ts` here with SCRAPE_BASE_URL pointing at it, stops the site.
 * SCRAPE_DATABASE_URL defaults to the local Postgres (postgres://postgres@127.0.0.1:5432/postgres).
 *
 *   npx tsx run-demo.ts            scrape the demo site once
 *   npx tsx run-demo.ts --serve    only serve the demo site, on port 8931 (for sluice dev)
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { startDemoSite } from "./site/demo-site.js";

const here = import.meta.dirname;
const LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres";

if (process.argv.includes("--serve")) {
  const site = await startDemoSite(8931);
  console.log(`Demo site at ${site.url} (Ctrl-C to stop). Set SCRAPE_BASE_URL=${site.url}`);
} else {
  const site = await startDemoSite(0);
  if (!process.env.SCRAPE_DATABASE_URL) console.error(`SCRAPE_DATABASE_URL is not set: using ${LOCAL_POSTGRES}`);
  const cli = path.resolve(here, "../../bin/sluice.js");
  const child = spawn(process.execPath, [cli, "materialize", "-f", "definitions.ts"], {
    cwd: here,
    stdio: "inherit",
    env: { ...process.env, SCRAPE_BASE_URL: site.url, SCRAPE_DATABASE_URL: process.env.SCRAPE_DATABASE_URL ?? LOCAL_POSTGRES },
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  await site.close();
  process.exitCode = code ?? 1;
}
