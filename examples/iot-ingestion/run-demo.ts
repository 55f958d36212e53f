/**
 * Runs the example against the demo device API: serves it on a free port, then, with this folder
 * as the instance home (its sluice.yaml) and its workspace.yaml as the code location,
 *   1. loads the device registry:           sluice materialize --select devices/registry
 *   2. ingests the hours of the last day:   sluice job execute -j hourly_device_logs --partition-range …
 *   3. writes that day's Parquet:           sluice job execute -j daily_device_parquet --partition …
 *   4. prints what landed in data/staging, read back from the Parquet files with DuckDB (query.ts).
 *
 *   npx tsx run-demo.ts              the above, for yesterday (UTC)
 *   npx tsx run-demo.ts --days 2     for the last 2 complete days
 *   npx tsx run-demo.ts --serve      only serve the demo API, on port 8932 (for sluice dev)
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { DEMO_ACCOUNT, DEMO_API_KEY, startDeviceCloud } from "./demo/device-cloud.js";
import { queryStaged, stagingDir } from "./query.js";

const here = import.meta.dirname;

if (process.argv.includes("--serve")) {
  const api = await startDeviceCloud({ port: 8932 });
  console.log(`Demo device API at ${api.url} (Ctrl-C to stop). Set IOT_API_URL=${api.url} IOT_ACCOUNT=${DEMO_ACCOUNT} IOT_API_KEY=${DEMO_API_KEY}`);
} else {
  const daysArg = process.argv.indexOf("--days");
  const count = daysArg > 0 ? Number(process.argv[daysArg + 1]) : 1;
  if (!Number.isInteger(count) || count < 1 || count > 7) throw new Error("--days takes a whole number from 1 to 7");
  const api = await startDeviceCloud({ port: 0, flaky: true });
  const env = { ...process.env, SLUICE_HOME: here, IOT_API_URL: api.url, IOT_ACCOUNT: DEMO_ACCOUNT, IOT_API_KEY: DEMO_API_KEY };
  try {
    await sluice(["materialize", "--select", "devices/registry"], env);
    const DAY_MS = 86_400_000;
    const yesterday = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
    const first = yesterday - (count - 1) * DAY_MS;
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    await sluice(["job", "execute", "-j", "hourly_device_logs", "--partition-range", `${day(first)}-00:00...${day(yesterday)}-23:00`], env);
    // Each day reads its 24 staged hours (an hourly → daily partition mapping) and writes its Parquet.
    await sluice(["job", "execute", "-j", "daily_device_parquet", "--partition-range", `${day(first)}...${day(yesterday)}`], env);
    console.log(`\nStaged Parquet under ${stagingDir()} (npx tsx query.ts to query it):`);
    console.table(await queryStaged(stagingDir()));
  } finally {
    await api.close();
  }
}

/** Runs the CLI in this folder; exits with its code when it fails (its output is on the terminal). */
async function sluice(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  console.error(`\n$ sluice ${args.join(" ")}`);
  const child = spawn(process.execPath, [path.resolve(here, "../../bin/sluice.js"), ...args], { cwd: here, stdio: "inherit", env });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) {
    console.error(`\nsluice ${args[0]} failed (exit ${code}); the run's log above says why.`);
    process.exit(code ?? 1);
  }
}
