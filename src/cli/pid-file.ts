import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../definitions/errors.js";

/** What HOME/sluice.pid holds while a background server (`sluice start`) runs. */
export interface PidFileContent {
  pid: number;
  port: number;
  host: string;
  url: string;
  /** ISO time. */
  startedAt: string;
  location: { file?: string; module?: string };
  home: string;
  logFile: string;
}

/** HOME/sluice.pid. */
export function pidFilePath(home: string): string {
  return path.join(home, "sluice.pid");
}

/** HOME/logs/server.log, where a background server writes its output. */
export function serverLogPath(home: string): string {
  return path.join(home, "logs", "server.log");
}

/** The pid file's content, or undefined when there is none (or it is unreadable: treated as stale). */
export function readPidFile(home: string): PidFileContent | undefined {
  const file = pidFilePath(home);
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as PidFileContent;
    return Number.isInteger(value.pid) && value.pid > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True while `pid` is a live Sluice process: it exists, is not a zombie, and (where /proc tells)
 * its command line is Sluice's, so a pid reused by another program is not mistaken for ours.
 */
export function isSluiceProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: another user's process, so not a server this user started.
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    // A process tearing down has no command line any more: still ours until it is gone.
    return cmdline === "" || cmdline.includes("sluice");
  } catch {
    return true; // No /proc (macOS): the pid exists, trust it.
  }
}

/**
 * Writes the pid file for this process. Throws UsageError when another live server already holds
 * it for this home; a stale file (its process is gone) is replaced.
 */
export function claimPidFile(content: PidFileContent): void {
  const file = pidFilePath(content.home);
  const text = `${JSON.stringify(content, null, 2)}\n`;
  try {
    writeFileSync(file, text, { flag: "wx" });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const existing = readPidFile(content.home);
  if (existing && existing.pid !== content.pid && isSluiceProcess(existing.pid)) throw alreadyRunning(content.home, existing);
  writeFileSync(file, text);
}

/** Removes the pid file if it is this process's (or names `pid`). */
export function releasePidFile(home: string, pid: number = process.pid): void {
  const existing = readPidFile(home);
  if (existing === undefined || existing.pid === pid) rmSync(pidFilePath(home), { force: true });
}

/** The error for a second server on one home. */
export function alreadyRunning(home: string, existing: PidFileContent): UsageError {
  return new UsageError(`Sluice is already running for ${home}: pid ${existing.pid} at ${existing.url}. Stop it first with: sluice stop --home ${home}`);
}
