/**
 * Issue 5's fault test: Postgres crashes (`pg_ctl stop -m immediate`) and comes back a few seconds
 * later while runs are in flight. The daemon and the `sluice worker` processes must reconnect and
 * carry on; every run must end SUCCESS, or FAILURE with a reason that names the database; no run
 * may be left in progress, and no step may run twice. Within the reconnect window
 * (storage.postgres.reconnect_timeout_seconds, 60 s) runs ride through the outage and succeed;
 * beyond it, those in flight fail saying so. A run's process that dies while the database is down
 * has its end recorded when it is back, by the launcher that saw it die.
 *
 * The database is a private cluster of this file (PrivatePostgres): restarting the shared server
 * would break every other test file running beside this one.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FINISHED_RUN_STATUSES, RunStatus, type EventRecord, type RunRecord } from "../../src/storage/records.js";
import { PrivatePostgres } from "../../src/storage/testing/private-postgres.js";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { Sandbox, sleep, waitFor, type DaemonProcess } from "./helpers.js";

const STEPS = ["extract", "transform", "load"];
/** Each op's time in user code: a run takes ~3 s of it. */
const OP_MS = 1000;
/** How long the database stays down: longer than the heartbeat timeout below. */
const OUTAGE_MS = 5000;
/** Every run must have ended this long after the database is back (~10 s on an idle machine). */
const BOUND_MS = 60_000;
const MONITORING = "run_monitoring:\n  heartbeat_timeout_seconds: 4\n  poll_interval_seconds: 0.5\n";

let cluster: PrivatePostgres | undefined;

beforeAll(async () => {
  assertBuilt();
  cluster = await PrivatePostgres.create();
}, 60_000);

afterAll(async () => {
  await cluster?.remove();
  removeTempDirs();
});

/** One instance (a schema of the private cluster), its processes and the runs queued in it. */
interface Scenario {
  name: string;
  box: Sandbox;
  processes: DaemonProcess[];
  /** Runs queued before the crash, and after the database was back. */
  before: string[];
  after: string[];
  /** Whether the outage is shorter than the instance's reconnect window (runs ride through it). */
  ridesThrough: boolean;
}

describe("Postgres crashes and restarts in the middle of runs", () => {
  it("the daemon and the workers reconnect and carry on; runs end SUCCESS, or FAILURE naming the database when the outage outlasts the reconnect window; none runs twice", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const url = cluster!.url();
    const sandbox = (settings: string, postgresSettings: Record<string, number> = {}): Sandbox => {
      const box = new Sandbox({ backend: "postgres", postgresUrl: url, postgresSettings, settings: `${settings}${MONITORING}` });
      onTestFinished(() => box.dispose());
      box.setFlag("op_sleep", String(OP_MS));
      return box;
    };
    // Three instances (schemas) of the one cluster, all hit by the same crash: a daemon that
    // executes its runs; a daemon that leaves them to 2 workers; and a daemon whose reconnect
    // window (1 s) is shorter than the outage, so its runs in flight must fail, saying why.
    const byDaemon = sandbox("run_queue:\n  max_concurrent_runs: 3\n");
    const byWorkers = sandbox("run_queue:\n  executed_by: workers\n  max_concurrent_runs: 4\n");
    const givesUp = sandbox("run_queue:\n  max_concurrent_runs: 2\n", { reconnect_timeout_seconds: 1 });
    const scenarios: Scenario[] = [
      { name: "daemon", box: byDaemon, processes: [await byDaemon.startDaemon()], before: [], after: [], ridesThrough: true },
      {
        name: "workers",
        box: byWorkers,
        processes: [await byWorkers.startDaemon(), await byWorkers.startWorker(["--max-runs", "2"]), await byWorkers.startWorker(["--max-runs", "2"])],
        before: [],
        after: [],
        ridesThrough: true,
      },
      { name: "gives up", box: givesUp, processes: [await givesUp.startDaemon()], before: [], after: [], ridesThrough: false },
    ];
    for (const [s, n] of [[scenarios[0]!, 4], [scenarios[1]!, 5], [scenarios[2]!, 3]] as const) s.before = await queueRuns(s.box, n);

    // Down while runs are in user code: in each instance, at least two runs have started.
    await waitFor("runs in flight in every instance", () => scenarios.every((s) => new Set(s.box.calls().map((c) => c.runId)).size >= 2), 60_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\n${scenarios.map(logs).join("\n")}`);
    });
    const inFlight = await Promise.all(scenarios.map(async (s) => (await (await s.box.storage()).listRuns({ statuses: [RunStatus.Starting, RunStatus.Started] })).map((r) => r.runId)));
    const crashedAt = Date.now();
    await cluster!.stop("immediate");
    await sleep(OUTAGE_MS);
    await cluster!.start();
    const backAt = Date.now();
    console.log(`[measure] Postgres down ${((backAt - crashedAt) / 1000).toFixed(1)} s with ${inFlight.map((ids, i) => `${ids.length} run(s) in progress in "${scenarios[i]!.name}"`).join(", ")}`);

    // Runs queued after the restart: the processes must still be claiming.
    for (const s of scenarios) s.after = await queueRuns(s.box, s.ridesThrough ? 2 : 1);

    const ended = new Map<string, RunRecord[]>();
    for (const s of scenarios) {
      const all = [...s.before, ...s.after];
      const runs = await waitFor(
        `every run of "${s.name}" to end`,
        async () => {
          const runs = await (await s.box.storage()).listRuns({ runIds: all });
          return runs.every((r) => FINISHED_RUN_STATUSES.includes(r.status)) ? runs : undefined;
        },
        Math.max(1000, backAt + BOUND_MS - Date.now()),
        250,
      ).catch(async (err: Error) => {
        const runs = await (await s.box.storage()).listRuns({ runIds: all });
        throw new Error(`${err.message}: ${runs.map((r) => `${r.runId} ${r.status}`).join(", ")}\n${logs(s)}`);
      });
      ended.set(s.name, runs);
      const lastEnd = Math.max(...runs.map((r) => r.endedAt ?? 0));
      console.log(`[measure] "${s.name}": every run ended within ${((lastEnd - backAt) / 1000).toFixed(1)} s of Postgres being back: ${summary(runs)}`);
    }

    for (const [i, s] of scenarios.entries()) {
      const storage = await s.box.storage();
      const runs = ended.get(s.name)!;
      for (const run of runs) {
        if (run.status === RunStatus.Success) continue;
        const events = await storage.getEvents(run.runId);
        const why = `run ${run.runId} of "${s.name}": ${events.map((e) => `${e.type}${e.stepKey ? `(${e.stepKey})` : ""}`).join(" ")}\n${runLog(s.box, run.runId)}\n${logs(s)}`;
        // Within the reconnect window, nothing fails; beyond it, a run fails naming the database.
        expect(s.ridesThrough, `a run of "${s.name}" did not succeed: ${why}`).toBe(false);
        expect(run.status, why).toBe(RunStatus.Failure);
        expect(events.find((e) => e.type === "RUN_FAILURE")?.message, `the failure of ${why}`).toMatch(/Postgres at postgres:\/\/.*(connect|lost)/i);
      }
      if (!s.ridesThrough) {
        for (const run of runs.filter((r) => r.status === RunStatus.Failure)) {
          console.log(`"${s.name}": run ${run.runId} ${(await storage.getEvents(run.runId, { types: ["RUN_FAILURE"] }))[0]?.message}`);
        }
        const failed = runs.filter((r) => r.status === RunStatus.Failure).map((r) => r.runId);
        expect(failed.length, `"${s.name}": runs in flight at the crash (${inFlight[i]!.join(", ")}) failed`).toBeGreaterThan(0);
        expect(failed.every((id) => inFlight[i]!.includes(id)), `"${s.name}": only runs in flight at the crash failed`).toBe(true);
      }
      // The processes lived through it, and went on claiming.
      for (const p of s.processes) expect(p.child.exitCode, `a process of "${s.name}" exited\n${p.log()}`).toBeNull();
      for (const id of s.after) expect(runs.find((r) => r.runId === id)?.status, `run ${id} of "${s.name}", queued after the restart\n${logs(s)}`).toBe(RunStatus.Success);

      // No step ran twice: by the event log, and by what the ops recorded.
      const starts = await allEvents(storage, "STEP_START");
      const perStep = countBy(starts.map((e) => `${e.runId}/${e.stepKey}`));
      expect([...perStep].filter(([, n]) => n > 1), `STEP_START more than once in "${s.name}"`).toEqual([]);
      const perCall = countBy(s.box.calls().map((c) => `${c.runId}/${c.op}`));
      expect([...perCall].filter(([, n]) => n > 1), `an op called more than once in "${s.name}"`).toEqual([]);
      for (const run of runs.filter((r) => r.status === RunStatus.Success)) expect(s.box.callsOf(run.runId), `the ops of run ${run.runId}`).toEqual(STEPS);
    }
  });
});

describe("a run's process that dies while Postgres is down", () => {
  it("its end is recorded once the database is back, naming what the process said, not left to heartbeat monitoring", { timeout: 90_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend: "postgres", postgresUrl: cluster!.url(), postgresSettings: { reconnect_timeout_seconds: 1 }, settings: "run_monitoring:\n  heartbeat_timeout_seconds: 30\n" });
    onTestFinished(() => box.dispose());
    box.setFlag("sleep", "20000");
    box.setFlag("crash", "2000");
    const daemon = await box.startDaemon();
    const runId = await queueRuns(box, 1).then((ids) => ids[0]!);
    await waitFor("transform to start", () => box.callsOf(runId).includes("transform"), 60_000);
    // Down before the process dies (2 s into transform), back after it is dead.
    await cluster!.stop("immediate");
    onTestFinished(async () => {
      if (!cluster!.running) await cluster!.start();
    });
    // The process died (its launcher saw the exit) while the database was down.
    await waitFor("the daemon to try recording the end of the run", () => daemon.log().includes(`could not record the end of run ${runId}`), 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${daemon.log()}`);
    });
    await sleep(2000);
    await cluster!.start();
    const backAt = Date.now();
    const run = await box.waitForStatus(runId, ["SUCCESS", "FAILURE", "CANCELED"], 30_000);
    console.log(`[measure] the end of a run whose process died while Postgres was down: recorded ${((Date.now() - backAt) / 1000).toFixed(1)} s after it was back`);
    expect(run.status).toBe(RunStatus.Failure);
    const [failure] = await (await box.storage()).getEvents(runId, { types: ["RUN_FAILURE"] });
    expect(failure?.message).toMatch(/^Run failed: its worker process exited with code 1 before the run finished \(Error: transform crashed from a timer\)\. See .*\.log\.$/);
    expect(daemon.child.exitCode, daemon.log()).toBeNull();
  });
});

async function queueRuns(box: Sandbox, n: number): Promise<string[]> {
  const storage = await box.storage();
  const ids = Array.from({ length: n }, () => randomUUID());
  for (const runId of ids) await storage.createRun({ runId, jobName: "etl", selection: STEPS, status: RunStatus.Queued });
  return ids;
}

async function allEvents(storage: Awaited<ReturnType<Sandbox["storage"]>>, type: EventRecord["type"]): Promise<EventRecord[]> {
  const found: EventRecord[] = [];
  for (let afterId = 0; ; ) {
    const page = await storage.getEventsAcrossRuns({ afterId, types: [type], limit: 1000 });
    if (page.length === 0) return found;
    found.push(...page);
    afterId = page.at(-1)!.id;
  }
}

function countBy(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

function summary(runs: RunRecord[]): string {
  return [...countBy(runs.map((r) => r.status))].map(([status, n]) => `${n} ${status}`).join(", ");
}

/** The log of a run's process (its stdout and stderr), as the launcher keeps it. */
function runLog(box: Sandbox, runId: string): string {
  const file = path.join(box.home, "logs", "runs", `${runId}.log`);
  return existsSync(file) ? `--- ${file}\n${readFileSync(file, "utf8")}` : `(no log file ${file})`;
}

function logs(s: Scenario): string {
  return s.processes.map((p, i) => `--- process ${i} of "${s.name}"\n${p.log()}`).join("\n");
}
