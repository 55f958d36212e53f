/**
 * The quickstart, run as its README tells users to: the daily revenue report it writes, the row
 * counts it records and the warnings it logs for the orders it drops.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  describeResult,
  lastLine,
  removeTempDirs,
  REPO_ROOT,
  runCli,
  runEvents,
  showRun,
  tempDir,
  type EventJson,
} from "../../test/cli/helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

describe("quickstart", () => {
  const home = tempDir();
  const outDir = tempDir("sluice-quickstart-out-");
  let runId: string;
  let events: EventJson[];

  beforeAll(async () => {
    const config = JSON.stringify({ ops: { "export/daily_revenue_csv": { config: { dir: outDir } } } });
    const result = await runCli(["materialize", "-f", "examples/quickstart/defs.ts", "-c", config], { home, cwd: REPO_ROOT });
    expect(result.code, describeResult(result)).toBe(0);
    runId = lastLine(result.stdout);
    events = await runEvents(home, runId);
  });

  it("materializes all six assets", async () => {
    const run = await showRun(home, runId);
    expect(run.status).toBe("SUCCESS");
    expect(run.steps!.map((s) => s.key).sort()).toEqual([
      "clean/orders",
      "export/daily_revenue_csv",
      "raw/customers",
      "raw/orders",
      "report/daily_revenue",
      "report/revenue_by_country",
    ]);
  });

  it("writes the daily revenue CSV: four days, dropped orders left out", () => {
    const lines = readFileSync(path.join(outDir, "daily_revenue.csv"), "utf8").trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe("day,orders,revenue");
    const rows = lines.slice(1).map((line) => {
      const [day, orders, revenue] = line.split(",");
      return { day, orders: Number(orders), revenue: Number(revenue) };
    });
    // From data/orders.csv, without 1003 (no amount), 1006 (bad date) and 1009 (negative amount).
    expect(rows).toEqual([
      { day: "2026-11-01", orders: 2, revenue: 155.5 }, // 120.50 + 35.00
      { day: "2026-11-02", orders: 3, revenue: 305.25 }, // 80.00 + 15.25 + 210.00
      { day: "2026-11-03", orders: 3, revenue: 176.89 }, // 64.90 + 99.99 + 12.00
      { day: "2026-11-04", orders: 1, revenue: 150 }, // 150.00
    ]);
  });

  it("records a row count on every materialization", () => {
    const materializations = events.filter((e) => e.type === "ASSET_MATERIALIZATION");
    expect(materializations).toHaveLength(6);
    const rowCounts = Object.fromEntries(materializations.map((e) => [e.stepKey, e.metadata?.["sluice/row_count"]]));
    expect(rowCounts).toEqual({
      "raw/orders": { type: "int", value: 12 },
      "raw/customers": { type: "int", value: 6 },
      "clean/orders": { type: "int", value: 9 },
      "report/daily_revenue": { type: "int", value: 4 },
      "report/revenue_by_country": { type: "int", value: 3 },
      "export/daily_revenue_csv": { type: "int", value: 4 },
    });
  });

  it("logs a WARN line for each of the three dropped orders", () => {
    const warnings = events.filter((e) => e.type === "LOG" && e.level === "WARN");
    expect(warnings.map((e) => e.stepKey)).toEqual(["clean/orders", "clean/orders", "clean/orders"]);
    expect(warnings.map((e) => e.message.match(/\b10\d\d\b/)?.[0]).sort()).toEqual(["1003", "1006", "1009"]);
  });
});
