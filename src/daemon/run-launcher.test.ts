/**
 * RunLauncher with standby workers, on real processes of the built CLI (`npm run build` first): a
 * run goes to a worker started ahead of time, which is then replaced; out-of-date definitions, a
 * standby that died, a crash, a cancel and a stop all behave as with a worker started for the run.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Instance } from "../instance/instance.js";
import { packageRoot } from "../instance/package-root.js";
import { EventType, FINISHED_RUN_STATUSES, RunStatus, type RunRecord } from "../storage/records.js";
import { RunLauncher } from "./run-launcher.js";

const ROOT = packageRoot();

beforeAll(() => {
  if (!existsSync(path.join(ROOT, "dist", "cli", "main.js"))) throw new Error("dist/cli/main.js is missing: run `npm run build` first.");
});

/** Definitions of job `j` (one op, `work`), tagged `version`; files in the project steer the op. */
function defsSource(version: string): string {
  return `import { appendFileSync, existsSync } from "node:fs";
import path from "node:path";
import { defineDefinitions, job, op } from "sluice";
const here = import.meta.dirname;
const flag = (name: string) => existsSync(path.join(here, name));
console.log("loaded ${version} in pid " + process.pid);
const work = op({
  name: "work",
  run: async (_inputs, { runId, signal }) => {
    appendFileSync(path.join(here, "calls.log"), "${version} " + runId + " " + process.pid + "\\n");
    if (flag("crash")) process.exit(3);
    if (flag("slow")) await new Promise<void>((resolve) => { const t = setTimeout(resolve, 120_000); signal.addEventListener("abort", () => (clearTimeout(t), resolve())); });
    return 1;
  },
});
export default defineDefinitions({ jobs: [job({ name: "j", ops: [work] })] });
`;
}

interface Setup {
  project: string;
  defs: string;
  home: string;
  instance: Instance;
  launcher: RunLauncher;
  lines: string[];
}

let current: Setup | undefined;

async function setUp(standbys = 1): Promise<Setup> {
  // Inside the repository, so that the definitions' "sluice" is this package.
  mkdirSync(path.join(ROOT, ".scratch"), { recursive: true });
  const project = mkdtempSync(path.join(ROOT, ".scratch", "standby-"));
  const defs = path.join(project, "defs.ts");
  writeFileSync(defs, defsSource("v1"));
  const home = mkdtempSync(path.join(os.tmpdir(), "sluice-standby-home-"));
  const instance = await Instance.open({ home });
  const lines: string[] = [];
  const launcher = new RunLauncher({ storage: instance.storage, home, location: { file: defs }, cwd: project, standbys, log: (line) => lines.push(line) });
  current = { project, defs, home, instance, launcher, lines };
  return current;
}

afterEach(async () => {
  if (!current) return;
  const { launcher, instance, project, home } = current;
  current = undefined;
  for (const runId of launcher.running()) launcher.kill(runId);
  await launcher.waitForAll(10_000);
  launcher.stopWatching();
  await instance.close();
  rmSync(project, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The pid of a ready standby (waits for one). */
function readyStandby(s: Setup, not?: number): Promise<number> {
  return waitFor("a ready standby", () => {
    const { pids, ready } = s.launcher.standbyState();
    const pid = pids.find((p) => p !== not);
    return ready >= 1 && pid !== undefined ? pid : undefined;
  });
}

async function claimedRun(s: Setup): Promise<RunRecord> {
  return s.instance.storage.createRun({ runId: randomUUID(), jobName: "j", selection: ["work"], status: RunStatus.Starting });
}

function ended(s: Setup, runId: string): Promise<RunRecord> {
  return waitFor(`run ${runId} to end`, async () => {
    const run = await s.instance.storage.getRun(runId);
    return run && FINISHED_RUN_STATUSES.includes(run.status) ? run : undefined;
  });
}

function calls(s: Setup): string[] {
  const file = path.join(s.project, "calls.log");
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : [];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function standbyLogs(s: Setup): string[] {
  const dir = path.join(s.home, "logs", "runs");
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(".standby-")) : [];
}

describe("RunLauncher with standby workers", { timeout: 120_000 }, () => {
  it("gives a run to a ready standby, which keeps its log and events, and starts a fresh standby in its place", async () => {
    const s = await setUp();
    s.launcher.startStandbys();
    const pid = await readyStandby(s);
    const run = await claimedRun(s);
    s.launcher.launch(run);
    expect((await ended(s, run.runId)).status).toBe(RunStatus.Success);

    expect(calls(s)).toEqual([`v1 ${run.runId} ${pid}`]);
    expect(s.lines).toContain(`launched run ${run.runId} (j) in worker pid ${pid} (started ahead of time)`);
    const log = readFileSync(path.join(s.home, "logs", "runs", `${run.runId}.log`), "utf8");
    expect(log).toContain(`loaded v1 in pid ${pid}`);
    expect(log).toContain(`Run ${run.runId} SUCCESS`);
    const types = (await s.instance.storage.getEvents(run.runId)).map((e) => e.type);
    expect(types).toContain(EventType.RunStart);
    expect(types).toContain(EventType.StepSuccess);
    expect(types).toContain(EventType.RunSuccess);

    const next = await readyStandby(s, pid);
    expect(next).not.toBe(pid);
    await waitFor("the used standby to exit", () => !isAlive(pid));
    expect(standbyLogs(s)).toHaveLength(1);
  });

  it("does not use a standby whose definitions changed: the run executes the new code in a worker started for it", async () => {
    const s = await setUp();
    s.launcher.startStandbys();
    const pid = await readyStandby(s);
    writeFileSync(s.defs, defsSource("v2"));
    const run = await claimedRun(s);
    s.launcher.launch(run);
    expect((await ended(s, run.runId)).status).toBe(RunStatus.Success);

    const [call] = calls(s);
    expect(call).toMatch(new RegExp(`^v2 ${run.runId} \\d+$`));
    expect(call).not.toContain(` ${pid}`);
    expect(s.lines.join("\n")).toContain(`standby worker pid ${pid} did not take run ${run.runId}: its definitions are out of date`);
    await waitFor("the stale standby to exit", () => !isAlive(pid));
    // Its replacement loads the new code, and takes the next run.
    const next = await readyStandby(s, pid);
    const second = await claimedRun(s);
    s.launcher.launch(second);
    expect((await ended(s, second.runId)).status).toBe(RunStatus.Success);
    expect(calls(s)[1]).toBe(`v2 ${second.runId} ${next}`);
  });

  it("replaces a standby killed before it was used, and the next run succeeds", async () => {
    const s = await setUp();
    s.launcher.startStandbys();
    const pid = await readyStandby(s);
    process.kill(pid, "SIGKILL");
    const next = await readyStandby(s, pid);
    expect(s.lines.join("\n")).toContain(`standby run worker pid ${pid} was killed by SIGKILL before it was used; starting another`);
    const run = await claimedRun(s);
    s.launcher.launch(run);
    expect((await ended(s, run.runId)).status).toBe(RunStatus.Success);
    expect(calls(s)).toEqual([`v1 ${run.runId} ${next}`]);
  });

  it("a standby's process that exits in the middle of its run fails the run, naming the exit code", async () => {
    const s = await setUp();
    writeFileSync(path.join(s.project, "crash"), "");
    s.launcher.startStandbys();
    const pid = await readyStandby(s);
    const run = await claimedRun(s);
    s.launcher.launch(run);
    const end = await ended(s, run.runId);
    expect(end.status).toBe(RunStatus.Failure);
    expect(calls(s)).toEqual([`v1 ${run.runId} ${pid}`]);
    const failure = (await s.instance.storage.getEvents(run.runId)).find((e) => e.type === EventType.RunFailure);
    expect(failure?.message).toContain("its worker process exited with code 3 before the run finished");
  });

  it("SIGTERM to a run in a standby (a cancel) ends it CANCELED", async () => {
    const s = await setUp();
    writeFileSync(path.join(s.project, "slow"), "");
    s.launcher.startStandbys();
    const pid = await readyStandby(s);
    const run = await claimedRun(s);
    s.launcher.launch(run);
    await waitFor("the op to start", () => calls(s).length === 1);
    expect(s.launcher.terminate(run.runId)).toBe(true);
    expect((await ended(s, run.runId)).status).toBe(RunStatus.Canceled);
    await waitFor("the worker to exit", () => !isAlive(pid));
  });

  it("stopWatching kills the standbys and removes their logs", async () => {
    const s = await setUp(2);
    s.launcher.startStandbys();
    await waitFor("two ready standbys", () => s.launcher.standbyState().ready === 2);
    const { pids } = s.launcher.standbyState();
    expect(pids).toHaveLength(2);
    s.launcher.stopWatching();
    await waitFor("the standbys to exit", () => pids.every((pid) => !isAlive(pid)));
    expect(standbyLogs(s)).toEqual([]);
    expect(s.launcher.standbyState().pids).toEqual([]);
  });

  it("starts no standby without `standbys`", async () => {
    const s = await setUp(0);
    s.launcher.startStandbys();
    const run = await claimedRun(s);
    s.launcher.launch(run);
    expect((await ended(s, run.runId)).status).toBe(RunStatus.Success);
    expect(s.launcher.standbyState().pids).toEqual([]);
    expect(s.lines.join("\n")).not.toContain("started ahead of time");
  });
});
