import { randomUUID } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import path from "node:path";
import { isStandbyMessage } from "./standby-protocol.js";

/** A run worker started ahead of time, and the log file its output goes to until it is given a run. */
export interface Standby {
  readonly child: ChildProcess;
  readonly logFile: string;
}

/** What a pool of standbys needs. */
export interface StandbyPoolOptions {
  /** Standbys kept (0: none). */
  size: number;
  /** Where their log files are made (`HOME/logs/runs`). */
  logDir: string;
  /** Starts one standby process writing to `logFd` (stdout and stderr), with an IPC channel. */
  spawn: (logFd: number) => ChildProcess;
  log?: (line: string) => void;
}

interface Member extends Standby {
  ready: boolean;
  readonly detach: () => void;
}

/**
 * Run worker processes started ahead of time (`sluice __run-worker --standby`): each has loaded
 * Node, Sluice, the instance's storage and the definitions, and waits for one run. {@link take}
 * hands out a ready one; {@link fill} starts new ones up to the pool's size. A standby that exits
 * while it waits is removed and, once it had been ready, replaced; one that exits before it was
 * ready (definitions or storage that cannot be loaded) is replaced at the next fill only, so that
 * a broken setup does not start processes in a loop. {@link close} kills them all.
 */
export class StandbyPool {
  private readonly members = new Set<Member>();
  private closed = false;

  constructor(private readonly options: StandbyPoolOptions) {}

  /** Starts standbys until the pool holds its size. */
  fill(): void {
    while (!this.closed && this.members.size < this.options.size) this.start();
  }

  /** A ready standby, out of the pool (its output still goes to its own log file); undefined when none is ready. */
  take(): Standby | undefined {
    for (const member of this.members) {
      if (!member.ready || !isLive(member.child)) continue;
      this.members.delete(member);
      member.detach();
      return { child: member.child, logFile: member.logFile };
    }
    return undefined;
  }

  /** Pids of the standbys in the pool. */
  pids(): number[] {
    return [...this.members].map((m) => m.child.pid).filter((pid) => pid !== undefined);
  }

  /** How many standbys in the pool are ready. */
  readyCount(): number {
    return [...this.members].filter((m) => m.ready && isLive(m.child)).length;
  }

  /** Kills every standby (they hold no run) and starts no more. */
  close(): void {
    this.closed = true;
    for (const member of this.members) {
      member.detach();
      killGroup(member.child);
      rmSync(member.logFile, { force: true });
    }
    this.members.clear();
  }

  private start(): void {
    mkdirSync(this.options.logDir, { recursive: true });
    // Hidden, and named by no run: the run it is given later has its log renamed to it then.
    const logFile = path.join(this.options.logDir, `.standby-${randomUUID()}.log`);
    const logFd = openSync(logFile, "a");
    let child: ChildProcess;
    try {
      child = this.options.spawn(logFd);
    } finally {
      closeSync(logFd);
    }
    const onMessage = (message: unknown): void => {
      if (!isStandbyMessage(message) || message.type !== "ready") return;
      member.ready = true;
      this.options.log?.(`standby run worker pid ${child.pid} ready`);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      this.members.delete(member);
      member.detach();
      rmSync(logFile, { force: true });
      if (this.closed) return;
      if (member.ready) {
        this.options.log?.(`standby run worker pid ${child.pid} ${signal ? `was killed by ${signal}` : `exited with code ${code}`} before it was used; starting another`);
        this.fill();
      } else {
        this.options.log?.(`standby run worker pid ${child.pid} ${signal ? `was killed by ${signal}` : `exited with code ${code}`} before it was ready`);
      }
    };
    const onError = (err: Error): void => {
      this.options.log?.(`could not start a standby run worker: ${err.message}`);
      onExit(null, null);
    };
    const member: Member = {
      child,
      logFile,
      ready: false,
      detach: () => {
        child.off("message", onMessage);
        child.off("exit", onExit);
        child.off("error", onError);
      },
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
    child.on("error", onError);
    this.members.add(member);
  }
}

function isLive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.connected;
}

/** Kills a standby and whatever it started (it leads its own process group). */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}
