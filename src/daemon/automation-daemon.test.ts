import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "../definitions/asset.js";
import { AutomationCondition } from "../definitions/automation/automation-condition.js";
import { defineDefinitions, type DefinitionsSpec } from "../definitions/definitions.js";
import { staticPartitions } from "../definitions/partitions/static-partitions.js";
import { AUTOMATION_EVALUATION_TAG } from "../runs/new-run.js";
import { tempTarget, type TempTarget } from "../runs/testing/temp-target.js";
import { AUTOMATION_INSTIGATOR } from "../storage/automation-records.js";
import { InstigatorStatus, InstigatorType } from "../storage/records.js";
import { AutomationDaemon } from "./automation-daemon.js";

let target: TempTarget;
beforeEach(async () => {
  target = await tempTarget();
});
afterEach(async () => {
  await target.dispose();
});

const eager = AutomationCondition.eager();
const raw = asset({ key: "raw", automation: eager, run: () => [1, 2] });
const clean = asset({ key: "clean", ins: { raw }, automation: eager, run: ({ raw }) => raw.length });
const report = asset({ key: "report", ins: { clean }, automation: eager, run: ({ clean }) => clean * 2 });
const plain = asset({ key: "plain", run: () => 0 });

function daemonOf(spec: DefinitionsSpec, lines: string[] = []): AutomationDaemon {
  const defs = defineDefinitions({ automation: { defaultStatus: "RUNNING" }, ...spec });
  return new AutomationDaemon({ storage: target.storage, defs, log: (line) => lines.push(line) });
}

describe("AutomationDaemon", () => {
  it("requests one run of a missing eager chain, tagged with its evaluation, then nothing while it is queued", async () => {
    const lines: string[] = [];
    const daemon = daemonOf({ assets: [raw, clean, report, plain] }, lines);
    const first = await daemon.tick();
    expect(first.kind).toBe("recorded");
    const runs = await target.storage.listRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.selection).toEqual(["raw", "clean", "report"]);
    expect(runs[0]!.tags[AUTOMATION_EVALUATION_TAG]).toBe("1");
    expect(lines.filter((l) => l.includes("requested run"))).toHaveLength(1);
    expect(lines[0]).toMatch(/"raw", "clean", "report"/);

    const second = await daemon.tick();
    expect(second).toMatchObject({ kind: "recorded", evaluationId: 2, result: { runs: [] } });
    expect(await target.storage.countRuns()).toBe(1);
    const ticks = await target.storage.listTicks(AUTOMATION_INSTIGATOR);
    expect(ticks.map((t) => [t.status, t.cursor, t.runIds])).toEqual([
      ["SKIPPED", "2", []],
      ["SUCCESS", "1", [runs[0]!.runId]],
    ]);
    const kept = await target.storage.getAutomationEvaluations("raw");
    expect(kept.find((e) => e.evaluationId === 1)?.runIds).toEqual([runs[0]!.runId]);
  });

  it("does nothing while stopped (by default, or stopped after being started), or when no asset has a condition", async () => {
    const stoppedByDefault = new AutomationDaemon({ storage: target.storage, defs: defineDefinitions({ assets: [raw, clean, report] }) });
    expect(await stoppedByDefault.tick()).toEqual({ kind: "idle", reason: "stopped" });

    const running = daemonOf({ assets: [raw, clean, report] });
    await target.storage.setInstigatorStatus(AUTOMATION_INSTIGATOR, InstigatorType.Automation, InstigatorStatus.Stopped);
    expect(await running.tick()).toEqual({ kind: "idle", reason: "stopped" });
    expect(await daemonOf({ assets: [plain] }).tick()).toEqual({ kind: "idle", reason: "no_conditions" });
    expect(await target.storage.countRuns()).toBe(0);
    expect(await target.storage.getAutomationCursor()).toBeUndefined();

    // Started: the stored state wins over a default of STOPPED.
    await target.storage.setInstigatorStatus(AUTOMATION_INSTIGATOR, InstigatorType.Automation, InstigatorStatus.Running);
    expect((await stoppedByDefault.tick()).kind).toBe("recorded");
    expect(await target.storage.countRuns()).toBe(1);
  });

  it("leaves out a request whose run cannot be made (invalid config), logging its assets, and launches the others", async () => {
    const needsConfig = asset({ key: "needs_config", config: z.object({ path: z.string() }), automation: AutomationCondition.onMissing(), run: () => 1 });
    const regions = asset({ key: "regions", partitions: staticPartitions(["eu", "us"]), automation: AutomationCondition.onMissing(), run: () => 1 });
    const lines: string[] = [];
    const outcome = await daemonOf({ assets: [needsConfig, regions] }, lines).tick();
    expect(outcome).toMatchObject({ kind: "recorded", skipped: 1 });
    const runs = await target.storage.listRuns();
    expect(runs.map((r) => [r.selection, r.partition]).sort()).toEqual([
      [["regions"], "eu"],
      [["regions"], "us"],
    ]);
    expect(lines.find((l) => l.includes("cannot request"))).toMatch(/asset "needs_config"[\s\S]*config\.path/);
  });

  it("rejects an automation default status that is not RUNNING or STOPPED", () => {
    expect(() => defineDefinitions({ assets: [raw], automation: { defaultStatus: "ON" as "RUNNING" } })).toThrow(/automation\.defaultStatus must be "RUNNING" or "STOPPED", got "ON"/);
  });
});
