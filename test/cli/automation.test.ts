/**
 * `sluice automation start|stop|status` end to end: the loop's status as stored (or the definitions'
 * default), the interval of sluice.yaml, the automated assets, and the last evaluations recorded.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Instance } from "../../src/instance/instance.js";
import { assertBuilt, cliJson, describeResult, fixture, removeTempDirs, runCli, startCli, tempDir } from "./helpers.js";

const DEFS = fixture("automation-defs.ts");

beforeAll(assertBuilt);
afterAll(removeTempDirs);

interface StatusJson {
  status: string;
  isDefault: boolean;
  intervalSeconds: number;
  automatedAssets: string[];
  lastEvaluation: { id: number; at: string | null } | null;
  ticks: { id: number; time: string; status: string; evaluationId: number | null; runIds: string[] }[];
}

describe("sluice automation", () => {
  it("status, start, stop: stopped by default, then as stored, with the interval, assets and last evaluations", { timeout: 60_000 }, async () => {
    const home = tempDir("sluice-automation-");
    writeFileSync(path.join(home, "sluice.yaml"), "automation:\n  evaluation_interval_seconds: 12\n");
    const status = () => cliJson<StatusJson>(["automation", "status", "--json", "-f", DEFS, "--home", home]);

    expect(await status()).toEqual({ status: "STOPPED", isDefault: true, intervalSeconds: 12, automatedAssets: ["raw", "clean"], lastEvaluation: null, ticks: [] });
    const text = await runCli(["automation", "status", "-f", DEFS, "--home", home]);
    expect(text.stdout).toContain("Automation: STOPPED (default), evaluated every 12s");
    expect(text.stdout).toContain("Automated assets: 2 (raw, clean)");
    expect(text.stdout).toContain("sluice automation start");

    const started = await runCli(["automation", "start", "-f", DEFS, "--home", home]);
    expect(started.code, describeResult(started)).toBe(0);
    expect(started.stderr).toMatch(/Automation is RUNNING \(since \d{4}-/);
    expect(await status()).toMatchObject({ status: "RUNNING", isDefault: false });

    // An evaluation recorded (as the daemon records them): status shows it and its runs.
    const instance = await Instance.open({ home });
    try {
      await instance.storage.recordAutomationTick({
        previousEvaluationId: 0,
        cursor: { evaluationId: 1, evaluatedAt: Date.UTC(2026, 0, 1), lastEventId: 0 },
        assetStates: [],
        deleteAssetStates: [],
        evaluations: [],
        launches: [{ run: { runId: "auto-run-1", jobName: "__asset_job", selection: ["raw", "clean"] }, assetKeys: ["raw", "clean"] }],
      });
    } finally {
      await instance.close();
    }
    const after = await status();
    expect(after.lastEvaluation).toEqual({ id: 1, at: "2026-01-01T00:00:00.000Z" });
    expect(after.ticks).toMatchObject([{ status: "SUCCESS", evaluationId: 1, runIds: ["auto-run-1"] }]);
    expect((await runCli(["automation", "status", "-f", DEFS, "--home", home])).stdout).toMatch(/1\s+2026-01-01T00:00:00.000Z\s+SUCCESS\s+auto-run-1/);

    const stopped = await runCli(["automation", "stop", "--home", home]);
    expect(stopped.code, describeResult(stopped)).toBe(0);
    expect(await status()).toMatchObject({ status: "STOPPED", isDefault: false });
  });

  it("the daemon says at startup that the loop is stopped while assets have conditions, and how to start it", { timeout: 60_000 }, async () => {
    const daemon = startCli(["daemon", "-f", DEFS], { home: tempDir("sluice-automation-") });
    try {
      await daemon.waitForStderr("automation is stopped (by default): 2 asset(s) have an automation condition");
      await daemon.waitForStderr("sluice automation start");
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.done;
    }
  });

  it("status without definitions says how to give them", async () => {
    const result = await runCli(["automation", "status", "--home", tempDir("sluice-automation-")]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Pass -f FILE or -m MODULE");
  });
});
