/**
 * `sluice worker`: processes that claim queued runs from the instance's storage and execute each in
 * a child process. With sluice.yaml `run_queue.executed_by: workers` the daemon leaves the queue to
 * them. A worker stops gracefully on SIGTERM (finishes its runs, claims nothing more; a second
 * SIGTERM stops them). On Postgres, workers are what scales out: a worker that dies with its runs
 * (a machine lost) has them failed by the daemon's monitoring while other workers' runs go on.
 *
 * The first suites run on SQLite and on Postgres (Sandbox, STORAGE_BACKENDS).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, removeTempDirs, runEvents } from "../cli/helpers.js";
import { firstEvent, isAlive, pgrep, Sandbox, sleep, STORAGE_BACKENDS, waitFor } from "./helpers.js";

beforeAll(assertBuilt);
afterAll(removeTempDirs);

const WORKERS_ONLY = "run_queue:\n  executed_by: workers\n";

describe.concurrent.each(STORAGE_BACKENDS)("sluice worker (%s storage)", (backend) => {
  it("executed_by: workers — the daemon leaves queued runs alone; a worker with --max-runs 1 executes them one at a time, once each", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend, settings: WORKERS_ONLY });
    onTestFinished(() => box.dispose());
    box.setFlag("sleep", "1500");
    const runIds = await Promise.all([box.launch(), box.launch()]);
    const daemon = await box.startDaemon();
    expect(daemon.log()).toContain("run queue left to sluice worker processes");
    // Several coordinator intervals (250 ms) of a daemon that would otherwise have started them.
    await sleep(3000);
    for (const id of runIds) expect((await box.run(id)).status, `run ${id} with only a daemon`).toBe("QUEUED");

    const worker = await box.startWorker(["--max-runs", "1"]);
    const runs = await Promise.all(runIds.map((id) => box.waitForStatus(id, ["SUCCESS", "FAILURE", "CANCELED"], 90_000)));
    expect(runs.map((r) => r.status)).toEqual(["SUCCESS", "SUCCESS"]);
    for (const run of runs) expect(run.workerId).toMatch(/^worker:.+:\d+$/);
    const [first, second] = [...runs].sort((a, b) => a.startedAt! - b.startedAt!);
    expect(second!.startedAt!, "--max-runs 1: the second run started after the first ended").toBeGreaterThanOrEqual(first!.endedAt!);
    for (const id of runIds) expect(box.callsOf(id)).toEqual(["extract", "transform", "load"]);
    expect(daemon.log()).not.toMatch(/launched run/);

    worker.child.kill("SIGTERM");
    const result = await worker.done;
    expect(result.code, worker.log()).toBe(0);
    expect(worker.log()).toMatch(/worker worker:\S+ stopped/);
  });

  it("SIGTERM with a run in flight: the run finishes, nothing more is claimed, exit 0", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    box.setFlag("sleep", "4000");
    const inFlight = await box.launch();
    const worker = await box.startWorker();
    await waitFor("transform to start", () => box.callsOf(inFlight).includes("transform"), 60_000);

    worker.child.kill("SIGTERM");
    await worker.waitForStderr("waiting up to");
    const later = await box.launch();
    const result = await worker.done;
    expect(result.code, worker.log()).toBe(0);
    expect((await box.run(inFlight)).status).toBe("SUCCESS");
    expect(box.callsOf(inFlight)).toEqual(["extract", "transform", "load"]);
    expect((await box.run(later)).status, "a run queued during the stop stays queued").toBe("QUEUED");
    expect(box.callsOf(later)).toEqual([]);
  });

  it("a second SIGTERM stops the runs in flight: they end CANCELED and the worker exits 0", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    box.setFlag("slow");
    const runId = await box.launch();
    const worker = await box.startWorker();
    await waitFor("transform to start", () => box.callsOf(runId).includes("transform"), 60_000);
    const pid = worker.workerPid(runId)!;

    worker.child.kill("SIGTERM");
    await worker.waitForStderr("signal again to stop them now");
    const stoppedAt = Date.now();
    worker.child.kill("SIGTERM");
    const result = await worker.done;
    expect(result.code, worker.log()).toBe(0);
    expect(Date.now() - stoppedAt, "long before the step's 120 s").toBeLessThan(20_000);
    expect((await box.run(runId)).status).toBe("CANCELED");
    expect(box.callsOf(runId)).not.toContain("load");
    await waitFor(`the run's process (pid ${pid}) to exit`, () => !isAlive(pid), 10_000);
  });

  it("runs go to run workers started ahead of time, each replaced once used; a stop leaves none behind", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({ backend });
    onTestFinished(() => box.dispose());
    const worker = await box.startWorker(["--max-runs", "2"]);
    expect(worker.log()).toContain("2 run worker(s) started ahead of time");
    // The worker's children are the only processes given this sandbox's home on their command line.
    const standbys = await waitFor("two standby run workers ready", () => {
      const pids = [...worker.log().matchAll(/standby run worker pid (\d+) ready/g)].map((m) => Number(m[1]));
      return pids.length === 2 ? pids : undefined;
    }, 60_000);
    expect(pgrep(box.home).sort()).toEqual([...standbys].sort());
    const runId = await box.launch();
    expect((await box.waitForStatus(runId, ["SUCCESS", "FAILURE", "CANCELED"], 90_000)).status).toBe("SUCCESS");
    expect(box.callsOf(runId)).toEqual(["extract", "transform", "load"]);
    // stderr reaches this process through a pipe: the line may come a moment after the run's end.
    const launched = await waitFor("the worker to log the launch", () => new RegExp(`launched run ${runId} \\(etl\\) in worker pid (\\d+)[^\\n]*`).exec(worker.log()) ?? undefined, 10_000).catch(() => undefined);
    expect(launched?.[0], worker.log()).toMatch(/\(started ahead of time\)$/);
    expect(standbys).toContain(Number(launched![1]));
    await waitFor("a standby in place of the one used", () => pgrep(box.home).some((pid) => !standbys.includes(pid)), 60_000);

    worker.child.kill("SIGTERM");
    const result = await worker.done;
    expect(result.code, worker.log()).toBe(0);
    await waitFor("no run worker left", () => pgrep(box.home).length === 0, 10_000);
  });
});

describe.concurrent("sluice workers sharing a Postgres instance", () => {
  it("a worker killed with its run (a machine lost): monitoring fails that run from its missing heartbeat; another worker's run is unaffected", { timeout: 150_000 }, async ({ onTestFinished }) => {
    const box = new Sandbox({
      backend: "postgres",
      settings: `${WORKERS_ONLY}run_monitoring:\n  heartbeat_timeout_seconds: 4\n  poll_interval_seconds: 0.5\n`,
    });
    onTestFinished(() => box.dispose());
    box.setFlag("sleep", "8000");
    await box.startDaemon();
    const doomed = await box.launch();
    const lost = await box.startWorker(["--max-runs", "1"]);
    await waitFor("the first run's transform to start", () => box.callsOf(doomed).includes("transform"), 60_000);
    const survivor = await box.launch();
    const other = await box.startWorker(["--max-runs", "1"]);
    await waitFor("the second run's transform to start", () => box.callsOf(survivor).includes("transform"), 60_000);
    expect(other.workerPid(survivor), "the second worker took the second run").toBeDefined();

    // The worker and its run's process group, at once, as when their machine goes away.
    const runPid = lost.workerPid(doomed)!;
    process.kill(-runPid, "SIGKILL");
    lost.child.kill("SIGKILL");
    const killedAt = Date.now();
    const failed = await box.waitForStatus(doomed, ["FAILURE", "SUCCESS", "CANCELED"], 30_000);
    console.log(`[measure] worker and run killed -> run FAILURE: ${((Date.now() - killedAt) / 1000).toFixed(2)} s (heartbeat timeout 4 s)`);
    expect(failed.status).toBe("FAILURE");
    expect(firstEvent(await runEvents(box.home, doomed), "RUN_FAILURE")?.message).toMatch(/heartbeat/);
    expect(box.callsOf(doomed)).toEqual(["extract", "transform"]);

    const ok = await box.waitForStatus(survivor, ["FAILURE", "SUCCESS", "CANCELED"], 60_000);
    expect(ok.status).toBe("SUCCESS");
    expect(box.callsOf(survivor)).toEqual(["extract", "transform", "load"]);
  });
});
