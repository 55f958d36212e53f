import { errorMessage } from "../definitions/errors.js";
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import path from "node:path";
import { registerEnvSecrets } from "../definitions/secret-mask.js";
import { serializeError } from "../execution/serialize-error.js";
import type { CodeLocation } from "../instance/load-definitions.js";
import { packageRoot } from "../instance/package-root.js";
import { EventType, FINISHED_RUN_STATUSES, LogLevel, RunStatus, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { isStandbyMessage, type StandbyAssignment } from "./standby-protocol.js";
import { killGroup, StandbyPool, type Standby } from "./standby-pool.js";

/** The `sluice` executable that run workers are started with. */
export const SLUICE_BIN = path.join(packageRoot(), "bin", "sluice.js");

/** What the launcher needs to start run workers. */
export interface RunLauncherOptions {
  storage: Storage;
  /** Instance home, passed to workers. */
  home: string;
  location: CodeLocation;
  /** Working directory of the workers (where .env and relative paths are read); default: this one's. */
  cwd?: string;
  /**
   * Workers run this much lower in CPU priority than this process (a nice increment; default 0),
   * so that user code saturating the CPU cannot delay the daemon's ticks and monitoring.
   */
  workerNice?: number;
  /**
   * Run workers kept started ahead of time (default 0): each has loaded Node, Sluice, storage and
   * the definitions already and executes one run, so a run starts without waiting for that. They
   * are started by {@link RunLauncher.startStandbys}, replaced as they are used, and killed by
   * {@link RunLauncher.stopWatching}.
   */
  standbys?: number;
  log?: (line: string) => void;
}

/**
 * Starts each run in its own worker process (`sluice __run-worker RUN_ID`), so a crash, an exit or
 * an endless loop in user code never takes the daemon down. Workers run in their own process
 * group: a Ctrl-C of the daemon's terminal does not kill runs in flight. A worker that exits
 * before its run finished has the run marked FAILURE at once, naming the exit code or signal.
 *
 * With `standbys`, runs go to workers started ahead of time when one is ready (see StandbyPool):
 * the same process, given its run later. One whose definitions are out of date declines the run,
 * and one that dies before it began the run is not counted against the run: either way the run
 * gets a worker started for it, as without standbys.
 */
export class RunLauncher {
  private readonly children = new Map<string, ChildProcess>();
  /** Runs whose worker exited and whose end is being recorded. */
  private readonly ending = new Set<string>();
  private watching = true;
  private readonly standbys: StandbyPool | undefined;

  constructor(private readonly options: RunLauncherOptions) {
    const size = options.standbys ?? 0;
    this.standbys =
      size > 0
        ? new StandbyPool({ size, logDir: this.logDir(), spawn: (logFd) => this.spawnWorker(["--standby", "--launcher-pid", String(process.pid)], logFd, true), log: options.log })
        : undefined;
  }

  /** Starts the standby workers (none without `standbys`); each one used is replaced by {@link launch}. */
  startStandbys(): void {
    if (this.watching) this.standbys?.fill();
  }

  /** Pids of the standby workers waiting for a run, and how many of them are ready (for tests and logs). */
  standbyState(): { pids: number[]; ready: number } {
    return { pids: this.standbys?.pids() ?? [], ready: this.standbys?.readyCount() ?? 0 };
  }

  /** Starts the worker of a claimed (STARTING) run: a ready standby's, else a new process. */
  launch(run: RunRecord): void {
    // The worker resolves these from the environment it inherits from this process: knowing them
    // here too, the end of a run this process records (its worker's last words) is masked.
    registerEnvSecrets(run.config);
    const standby = this.standbys?.take();
    if (standby) this.offer(run, standby);
    else this.launchNew(run);
    this.startStandbys();
  }

  private logDir(): string {
    return path.join(this.options.home, "logs", "runs");
  }

  /** Starts `sluice __run-worker ...args` with stdout and stderr on `logFd`, in its own process group. */
  private spawnWorker(args: string[], logFd: number, ipc: boolean): ChildProcess {
    const { home, location } = this.options;
    const argv = [SLUICE_BIN, "__run-worker", ...args, "--home", home];
    if (location.file) argv.push("-f", path.resolve(this.options.cwd ?? process.cwd(), location.file));
    if (location.module) argv.push("-m", location.module);
    const child = spawn(process.execPath, argv, {
      cwd: this.options.cwd ?? process.cwd(),
      detached: true,
      stdio: ipc ? ["ignore", logFd, logFd, "ipc"] : ["ignore", logFd, logFd],
      env: process.env,
    });
    if (child.pid !== undefined && this.options.workerNice) lowerPriority(child.pid, this.options.workerNice, this.options.log);
    return child;
  }

  /** Starts a worker process for this run. */
  private launchNew(run: RunRecord): void {
    const logDir = this.logDir();
    mkdirSync(logDir, { recursive: true });
    const logFd = openSync(path.join(logDir, `${run.runId}.log`), "a");
    let child: ChildProcess;
    try {
      child = this.spawnWorker([run.runId], logFd, false);
    } finally {
      closeSync(logFd);
    }
    this.children.set(run.runId, child);
    this.options.log?.(`launched run ${run.runId} (${run.jobName}) in worker pid ${child.pid}`);
    child.on("error", (err) => void this.onExit(run.runId, null, null, err));
    child.on("exit", (code, signal) => void this.onExit(run.runId, code, signal));
  }

  /**
   * Gives a run to a standby. It is the run's worker from now on (logged as launched, its log file
   * renamed to the run's) unless it declines (its definitions are out of date) or dies before it
   * began the run: then the run gets a new worker process, as without standbys, and the standby's
   * earlier output stays at the head of the run's log. Whether a standby that exited had begun the
   * run is read from storage (the run's recorded process), not from its `accepted` message alone,
   * which may still be on its way.
   */
  private offer(run: RunRecord, standby: Standby): void {
    const { child } = standby;
    const { runId } = run;
    let state: "offered" | "accepted" | "declined" = "offered";
    this.children.set(runId, child);
    try {
      renameSync(standby.logFile, path.join(this.logDir(), `${runId}.log`));
    } catch (err) {
      this.options.log?.(`run ${runId}: its log stays in ${standby.logFile} (${errorMessage(err)})`);
    }
    this.options.log?.(`launched run ${runId} (${run.jobName}) in worker pid ${child.pid} (started ahead of time)`);
    const decline = (why: string): void => {
      if (state !== "offered") return;
      state = "declined";
      child.removeAllListeners("message");
      if (this.children.get(runId) === child) this.children.delete(runId);
      this.options.log?.(`standby worker pid ${child.pid} did not take run ${runId}: ${why}`);
      if (this.watching) this.launchNew(run);
    };
    const accept = (): void => {
      if (state !== "offered") return;
      state = "accepted";
      // Nothing more is said over the channel; the worker must not depend on it (nor on this process).
      if (child.connected) child.disconnect();
    };
    child.on("message", (message: unknown) => {
      if (!isStandbyMessage(message) || state !== "offered") return;
      if (message.type === "stale") decline("its definitions are out of date");
      else if (message.type === "accepted") accept();
    });
    child.on("error", (err) => {
      if (state === "offered") {
        killGroup(child);
        decline(`it could not be reached (${err.message})`);
      } else if (state === "accepted") {
        void this.onExit(runId, null, null, err);
      }
    });
    child.on("exit", (code, signal) => {
      if (state === "accepted") {
        void this.onExit(runId, code, signal);
        return;
      }
      if (state !== "offered") return;
      const how = signal ? `it was killed by ${signal}` : `it exited with code ${code}`;
      void this.beganRun(runId, child.pid).then((began) => {
        if (!began) return decline(how);
        accept();
        void this.onExit(runId, code, signal);
      });
    });
    const assignment: StandbyAssignment = { type: "run", runId };
    try {
      child.send(assignment, (err) => {
        if (err && state === "offered") {
          killGroup(child);
          decline(`it could not be reached (${err.message})`);
        }
      });
    } catch (err) {
      killGroup(child);
      decline(`it could not be reached (${errorMessage(err)})`);
    }
  }

  /** Run ids whose worker process is alive. */
  running(): string[] {
    return [...this.children.keys()];
  }

  /**
   * Whether this launcher looks after the run: its worker is alive, or its end (with what the
   * worker said last) is being recorded now.
   */
  owns(runId: string): boolean {
    return this.children.has(runId) || this.ending.has(runId);
  }

  /** Kills a run's worker process (monitoring does this to hung or canceled workers). */
  kill(runId: string): boolean {
    const child = this.children.get(runId);
    if (!child?.pid) return false;
    try {
      // The worker leads its own process group: kill the group, so its children go too.
      process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
    return true;
  }

  /**
   * Asks a run's worker process to stop (SIGTERM: it aborts its steps and records the run
   * CANCELED); false when this launcher has no live worker for the run.
   */
  terminate(runId: string): boolean {
    const child = this.children.get(runId);
    if (!child?.pid) return false;
    return child.kill("SIGTERM");
  }

  /**
   * Stops watching workers (the daemon is stopping and its storage closes): they run on, and a
   * worker that dies unwatched is caught by the next daemon's monitoring through its heartbeat.
   * Standby workers, which hold no run, are killed.
   */
  stopWatching(): void {
    this.watching = false;
    // Standbys hold no run: none is left behind.
    this.standbys?.close();
    for (const child of this.children.values()) child.removeAllListeners("exit").removeAllListeners("error");
    this.children.clear();
  }

  /** Resolves when every worker has exited (or after timeoutMs). */
  async waitForAll(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.children.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }

  /** Whether storage names this process as the run's (a worker records itself before anything else). */
  private async beganRun(runId: string, pid: number | undefined): Promise<boolean> {
    try {
      const run = await this.options.storage.getRun(runId);
      return pid !== undefined && run?.process?.pid === pid;
    } catch {
      // Storage out of reach: a new worker for the run finds out what is left to do, if anything.
      return false;
    }
  }

  private async onExit(runId: string, code: number | null, signal: NodeJS.Signals | null, error?: Error): Promise<void> {
    this.ending.add(runId);
    this.children.delete(runId);
    try {
      if (this.watching) await this.recordExit(runId, code, signal, error);
    } finally {
      this.ending.delete(runId);
    }
  }

  private async recordExit(runId: string, code: number | null, signal: NodeJS.Signals | null, error?: Error): Promise<void> {
    const logFile = path.join(this.options.home, "logs", "runs", `${runId}.log`);
    const how = error ? `could not start (${error.message})` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    // What the process said last about why (an error it could not record itself, such as a
    // database it could not reach), so the run's failure names it.
    const said = error || signal ? undefined : lastErrorLine(logFile);
    // Storage may be out of reach (a database restarting, which may be why the process gave up):
    // the end of the run is recorded once it is back, rather than forgotten.
    for (let attempt = 1; this.watching; attempt++) {
      try {
        const run = await this.options.storage.getRun(runId);
        if (!run || FINISHED_RUN_STATUSES.includes(run.status)) return;
        const canceled = run.status === RunStatus.Canceling;
        await this.options.storage.endRunIfUnfinished({
          runId,
          type: canceled ? EventType.RunCanceled : EventType.RunFailure,
          level: canceled ? LogLevel.Warn : LogLevel.Error,
          message: canceled
            ? `Run canceled: its worker process ${how}.`
            : `Run failed: its worker process ${how} before the run finished${said ? ` (${said})` : ""}. See ${logFile}.`,
          data: error ? { error: serializeError(error), failedSteps: [] } : { failedSteps: [] },
        });
        return;
      } catch (err) {
        if (attempt === 1) this.options.log?.(`could not record the end of run ${runId} yet: ${errorMessage(err)} (trying again every second)`);
        if (attempt >= END_RECORD_ATTEMPTS) {
          this.options.log?.(`gave up recording the end of run ${runId}: monitoring will fail it once its heartbeat is stale`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
}

/** How many times the end of a run is tried (about a second apart, plus storage's own reconnect wait). */
const END_RECORD_ATTEMPTS = 600;

/**
 * The last line of a run's log that reports an error (`Error: ...` as the CLI prints it, or an
 * uncaught `SomethingError: ...`), shortened; undefined when there is none or no log.
 */
function lastErrorLine(file: string): string | undefined {
  let tail: string;
  try {
    const size = statSync(file).size;
    const fd = openSync(file, "r");
    try {
      const length = Math.min(size, 16_384);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      tail = buffer.toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const lines = tail.replace(/\u001b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim());
  const line = lines.reverse().find((l) => /^(?:Unexpected error|[A-Za-z]*Error)(?: \[[A-Z_]+\])?: /.test(l));
  return line === undefined ? undefined : line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/**
 * Sets a process's nice value `increment` above this process's (at most 19). Lowering a priority
 * needs no privilege; should it fail anyway, the worker runs at the daemon's priority, which is
 * logged and otherwise harmless.
 */
function lowerPriority(pid: number, increment: number, log?: (line: string) => void): void {
  try {
    setPriority(pid, Math.min(19, getPriority() + increment));
  } catch (err) {
    log?.(`could not lower the CPU priority of worker pid ${pid}: ${errorMessage(err)}`);
  }
}
