/**
 * Freshness under `sluice daemon` and through the CLI: with sluice.yaml `freshness:
 * {evaluation_interval_seconds: 0.2}`, an asset with `maximumLag: "2s"` goes OVERDUE once its data
 * is older, a freshness sensor sees that change exactly once, and `sluice asset freshness` reports
 * statuses, lags and deadlines.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, removeTempDirs, REPO_ROOT } from "../cli/helpers.js";
import { Sandbox, STORAGE_BACKENDS, waitFor } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const DEFS = path.join(REPO_ROOT, "test", "fixtures", "daemon", "freshness-defs.ts");
const SETTINGS = "freshness:\n  evaluation_interval_seconds: 0.2\n";

interface FreshnessRow {
  assetKey: string;
  status: string;
  lastMaterializationAt: string | null;
  lagMs: number | null;
  nextDeadline: string;
  policy: { description: string };
}

function alerts(box: Sandbox): string[] {
  const file = path.join(box.fixtureDir, "alerts.log");
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];
}

describe.concurrent.each(STORAGE_BACKENDS)("freshness under sluice daemon (%s storage)", (backend) => {
  it("the daemon sees an asset go overdue and the freshness sensor fires once for it", { timeout: 120_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: SETTINGS });
    onTestFinished(() => box.dispose());
    await box.cliOk(["materialize", "-f", DEFS, "--select", "orders or report"]);
    const daemon = await box.startDaemon({}, { defs: DEFS });
    const storage = await box.storage();

    await waitFor("orders to go OVERDUE", async () => alerts(box).includes("orders FRESH OVERDUE"), 60_000);
    // Many more evaluations of both loops later, it still fired once (and never for report, fresh).
    const transitions = async () => (await storage.getFreshnessTransitions()).length;
    const ticks = async () => (await storage.listTicks("overdue_alerts", { limit: 1000 })).length;
    const [t0, s0] = [await transitions(), await ticks()];
    await waitFor("five more sensor ticks", async () => (await ticks()) >= s0 + 5, 60_000);
    expect(alerts(box)).toEqual(["orders FRESH OVERDUE"]);
    expect(await transitions()).toBe(t0);
    expect(daemon.log()).toContain('Asset "orders" is OVERDUE (was FRESH)');
    const states = new Map((await storage.getFreshness()).map((s) => [s.assetKey, s.status]));
    expect(Object.fromEntries(states)).toEqual({ orders: "OVERDUE", report: "FRESH", never: "UNKNOWN" });

    // The CLI reads the same instance: statuses, lag, deadline, policy.
    const listed = JSON.parse((await box.cliOk(["asset", "freshness", "-f", DEFS, "--json"])).stdout) as FreshnessRow[];
    expect(listed.map((r) => [r.assetKey, r.status])).toEqual([
      ["orders", "OVERDUE"],
      ["report", "FRESH"],
      ["never", "UNKNOWN"],
    ]);
    const orders = listed[0]!;
    expect(orders.lagMs).toBeGreaterThan(2000);
    expect(Date.parse(orders.nextDeadline)).toBe(Date.parse(orders.lastMaterializationAt!) + 2000);
    expect(listed[2]).toMatchObject({ lastMaterializationAt: null, lagMs: null, policy: { description: "by 09:00 Europe/Paris, at most 2h old" } });

    // Fresh data again: FRESH, and the sensor (watching OVERDUE only) stays quiet.
    await box.cliOk(["materialize", "-f", DEFS, "--select", "orders"]);
    await waitFor("orders to be FRESH again", async () => (await storage.getFreshness(["orders"]))[0]?.status === "FRESH", 30_000);
    await waitFor("orders to go OVERDUE a second time", async () => alerts(box).length === 2, 60_000);
    expect(alerts(box)).toEqual(["orders FRESH OVERDUE", "orders FRESH OVERDUE"]);
  });
});

describe("sluice asset freshness", () => {

  it("sluice asset freshness prints a table, narrows with --select, and refuses a bad selection with exit 2", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox();
    onTestFinished(() => box.dispose());
    await box.cliOk(["materialize", "-f", DEFS, "--select", "orders or report"]);
    const text = (await box.cliOk(["asset", "freshness", "-f", DEFS, "--select", "report or never or plain"])).stdout;
    const lines = text.trim().split("\n");
    expect(lines[0]).toMatch(/^ASSET\s+STATUS\s+LAST MATERIALIZATION\s+LAG\s+DEADLINE\s+POLICY$/);
    expect(lines[1]).toMatch(/^report\s+FRESH\s+\d{4}-\d\d-\d\dT\S+Z\s+\S+\s+\S+Z\s+at most 1h old$/);
    // Never materialized, and no daemon ever watched it: no deadline has passed for it yet.
    expect(lines[2]).toMatch(/^never\s+UNKNOWN\s+never\s+/);
    expect(lines).toHaveLength(3); // plain has no policy
    const none = await box.cli(["asset", "freshness", "-f", DEFS, "--select", "plain"]);
    expect([none.code, none.stdout, none.stderr]).toEqual([0, "", expect.stringContaining("No asset of this selection has a freshness policy")]);
    const bad = await box.cli(["asset", "freshness", "-f", DEFS, "--select", "key:nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/nope/);
  });
});
