import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { RunProcess } from "../storage/records.js";

let self: RunProcess | undefined;

/** This process, as recorded with the runs it executes. */
export function currentRunProcess(): RunProcess {
  self ??= { host: hostname(), pid: process.pid, identity: processIdentity(process.pid) };
  return self;
}

/**
 * The id a process claims runs under: `ROLE:HOST:PID`, where ROLE is `cli` (a foreground run),
 * `worker` (`sluice worker`) or `daemon` (whose id adds `:NONCE`, see daemon-leadership).
 */
export function localWorkerId(role: "cli" | "worker" = "cli"): string {
  return `${role}:${hostname()}:${process.pid}`;
}

/** The role, host and pid of a worker id made as {@link localWorkerId} describes; null for any other. */
export function parseWorkerId(workerId: string | null): { role: string; host: string; pid: number } | null {
  const match = /^(cli|worker|daemon):([^:]+):(\d+)(?::|$)/.exec(workerId ?? "");
  return match ? { role: match[1]!, host: match[2]!, pid: Number(match[3]) } : null;
}

/**
 * Whether the process recorded with a run is still running: false when it is gone (or its pid now
 * belongs to a later process); undefined when this machine cannot tell (another host, another pid
 * namespace or boot, or no /proc to read).
 */
export function isRunProcessAlive(recorded: RunProcess): boolean | undefined {
  const here = currentRunProcess();
  if (recorded.host !== here.host) return undefined;
  // Same host name, but another container or another boot: its pids are not ours to look at.
  if ((recorded.identity === null) !== (here.identity === null)) return undefined;
  if (recorded.identity !== null && machinePart(recorded.identity) !== machinePart(here.identity!)) return undefined;
  try {
    process.kill(recorded.pid, 0);
  } catch (err) {
    // EPERM: it exists, owned by another user.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (recorded.identity === null) return true;
  const ticks = startTicksOf(recorded.pid);
  // Unreadable (another user's process behind hidepid, or it ended this very moment): cannot tell.
  if (ticks === null) return undefined;
  // The pid exists but started at another time: it was reused after the run's process ended.
  return ticks === recorded.identity.slice(recorded.identity.lastIndexOf(":") + 1);
}

/**
 * `BOOT_ID:PID_NAMESPACE:START_TICKS` on Linux: the boot, the pid namespace, and the process's start
 * time in clock ticks since boot (from /proc); null where /proc cannot tell.
 */
export function processIdentity(pid: number): string | null {
  try {
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const namespace = readlinkSync("/proc/self/ns/pid");
    const startTicks = startTicksOf(pid);
    return bootId && startTicks !== null ? `${bootId}:${namespace}:${startTicks}` : null;
  } catch {
    return null;
  }
}

/** When a process started, in clock ticks since boot (Linux /proc), or null. */
function startTicksOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself hold spaces or ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Field 22 of the line (starttime) is the 20th after the pid and the name.
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** The boot and pid namespace of an identity: what two processes must share to be compared. */
function machinePart(identity: string): string {
  return identity.slice(0, identity.lastIndexOf(":"));
}
