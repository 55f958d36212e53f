/**
 * The crash-point harness for the automation loop: the daemon SIGKILLs itself at each point of an
 * evaluation (evaluated but not recorded; recorded), is restarted without the hook, and every
 * (asset, partition) the conditions ask for gets exactly one run: none lost with the killed
 * process, none requested again by the restarted one. Runs stay QUEUED (no worker claims them),
 * so what is counted is the loop's requests alone. On SQLite and on a fresh Postgres schema.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DaemonPoint } from "../../src/daemon/daemon-hooks.js";
import { AUTOMATION_INSTIGATOR } from "../../src/storage/automation-records.js";
import { assertBuilt, REPO_ROOT, removeTempDirs } from "../cli/helpers.js";
import { Sandbox, STORAGE_BACKENDS, waitFor } from "./helpers.js";

const DEFS = path.join(REPO_ROOT, "test", "fixtures", "daemon", "automation-defs.ts");
const SETTINGS = "automation:\n  evaluation_interval_seconds: 0.2\nrun_queue:\n  executed_by: workers\n";
/** What the fixture's conditions ask for, as `selection@partition`. */
const EXPECTED = ["raw,clean@", "regions@asia", "regions@eu", "regions@us"];

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const POINTS: DaemonPoint[] = ["automation_evaluated", "automation_recorded"];

describe.concurrent.each(STORAGE_BACKENDS)("daemon killed by SIGKILL in the middle of an automation evaluation, then restarted (%s storage)", (backend) => {
  for (const point of POINTS) {
    it(`crash at ${point}: each requested asset partition has exactly one run`, { timeout: 120_000 }, async ({ onTestFinished }) => {
      const box = new Sandbox({ backend, settings: SETTINGS });
      onTestFinished(() => box.dispose());
      const crashing = await box.startDaemon({}, { defs: DEFS, crashAt: point });
      expect(await crashing.exited, `the daemon should have killed itself at ${point}:\n${crashing.log()}`).toBe("SIGKILL");

      const storage = await box.storage();
      const runsAtCrash = await storage.listRuns();
      if (point === "automation_evaluated") {
        expect(runsAtCrash).toEqual([]);
        expect(await storage.getAutomationCursor()).toBeUndefined();
      } else {
        expect(runsAtCrash).toHaveLength(EXPECTED.length);
        expect(await storage.getAutomationCursor()).toMatchObject({ evaluationId: 1 });
      }

      const daemon = await box.startDaemon({}, { defs: DEFS });
      // Two evaluations recorded after the restart: the restarted daemon has seen the runs.
      const before = (await storage.getAutomationCursor())?.evaluationId ?? 0;
      await waitFor("two evaluations after the restart", async () => ((await storage.getAutomationCursor())?.evaluationId ?? 0) >= before + 2, 60_000);
      await box.stopDaemon(daemon);

      const runs = await storage.listRuns();
      expect(runs.map((r) => `${r.selection.join(",")}@${r.partition ?? ""}`).sort(), daemon.log()).toEqual(EXPECTED);
      const ticks = await storage.listTicks(AUTOMATION_INSTIGATOR);
      expect(ticks.flatMap((t) => t.runIds).sort()).toEqual(runs.map((r) => r.runId).sort());
    });
  }
});
