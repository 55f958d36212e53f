import { errorMessage } from "../definitions/errors.js";
import { hostname } from "node:os";
import { abortableSleep } from "../execution/abortable-sleep.js";
import type { Storage } from "../storage/storage.js";

/** The lease that makes one daemon of an instance the active one. */
export const DAEMON_LEASE = "daemon";

/** Timings of the leadership (defaults: a standby takes over within 30 s of the leader's death). */
export interface LeadershipTimings {
  /** How long a lease holds without renewal (default 20 s). */
  ttlMs: number;
  /** How often the leader renews (default 5 s). */
  renewMs: number;
  /** How often a standby tries to take the lease (default 2 s). */
  standbyPollMs: number;
}

const DEFAULT_TIMINGS: LeadershipTimings = { ttlMs: 20_000, renewMs: 5_000, standbyPollMs: 2_000 };

/**
 * One daemon of an instance is active at a time: the holder of the `daemon` lease in storage,
 * which it renews every few seconds. A standby daemon waits and takes the lease when it expires
 * (the leader died, hung, or lost its connection), or at once when the leader's id names a process
 * of this machine that no longer exists (a leader killed and restarted on one machine). The leader
 * acts only while its lease is valid by its own clock, and steps down as soon as a renewal finds
 * the lease taken, so two daemons never both tick, given clocks that agree within the TTL.
 */
export class DaemonLeadership {
  /** This daemon's holder id: `HOST:PID:NONCE` (the nonce tells apart daemons of one process). */
  readonly holder: string;
  readonly #storage: Storage;
  readonly #timings: LeadershipTimings;
  readonly #log: (line: string) => void;
  /** Until when this daemon's lease is valid by its own clock (0: not the leader). */
  #validUntil = 0;

  constructor(options: { storage: Storage; timings?: Partial<LeadershipTimings>; log?: (line: string) => void }) {
    this.#storage = options.storage;
    this.#timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.#log = options.log ?? (() => {});
    this.holder = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Whether this daemon may act now: it holds the lease and the lease has not run out. */
  isLeader(): boolean {
    return Date.now() < this.#validUntil;
  }

  /**
   * Waits until this daemon holds the lease (true), or until `signal` aborts (false). Logs once
   * that it is standing by, naming the leader. Storage errors are logged and retried.
   */
  async acquire(signal: AbortSignal): Promise<boolean> {
    let reported: string | undefined;
    while (!signal.aborted) {
      try {
        if (await this.#tryAcquire()) return true;
        const lease = await this.#storage.getLease(DAEMON_LEASE);
        if (lease && lease.holder !== reported) {
          reported = lease.holder;
          const inSeconds = Math.max(0, Math.round((lease.expiresAt - Date.now()) / 1000));
          this.#log(`standby: daemon ${lease.holder} is active (its lease runs out in ${inSeconds} s unless renewed); waiting to take over`);
        }
      } catch (err) {
        this.#log(`standby: could not read the daemon lease: ${errorMessage(err)}`);
      }
      await abortableSleep(this.#timings.standbyPollMs, signal);
    }
    return false;
  }

  /**
   * Renews the lease until `term` aborts; aborts `term` itself when the lease is lost (taken by
   * another daemon, or not renewed in time because storage was unreachable).
   */
  async hold(term: AbortController): Promise<void> {
    while (!term.signal.aborted) {
      await abortableSleep(this.#timings.renewMs, term.signal);
      if (term.signal.aborted) return;
      try {
        const { acquired, lease } = await this.#storage.acquireLease(DAEMON_LEASE, this.holder, this.#timings.ttlMs);
        if (acquired) {
          this.#validUntil = Date.now() + this.#timings.ttlMs - this.#timings.renewMs;
          continue;
        }
        this.#validUntil = 0;
        this.#log(`lost the daemon lease to ${lease.holder}: stepping down to standby`);
        term.abort();
      } catch (err) {
        this.#log(`could not renew the daemon lease: ${errorMessage(err)}`);
        if (!this.isLeader()) {
          this.#log("the daemon lease may have run out: stepping down to standby");
          term.abort();
        }
      }
    }
  }

  /** Gives the lease up (a clean stop), so a standby takes over at once. */
  async release(): Promise<void> {
    this.#validUntil = 0;
    await this.#storage.releaseLease(DAEMON_LEASE, this.holder).catch(() => false);
  }

  async #tryAcquire(): Promise<boolean> {
    const { ttlMs, renewMs } = this.#timings;
    let result = await this.#storage.acquireLease(DAEMON_LEASE, this.holder, ttlMs);
    if (!result.acquired && isDeadLocalHolder(result.lease.holder)) {
      this.#log(`taking over the daemon lease from ${result.lease.holder}: that process no longer exists`);
      result = await this.#storage.acquireLease(DAEMON_LEASE, this.holder, ttlMs, { takeOverFrom: result.lease.holder });
    }
    // Valid a renewal interval short of the stored expiry: a renewal that comes late by that much
    // still leaves no moment where a standby could hold the lease while this daemon acts.
    if (result.acquired) this.#validUntil = Date.now() + ttlMs - renewMs;
    return result.acquired;
  }
}

/** True when `holder` names a process of this machine that has exited. */
function isDeadLocalHolder(holder: string): boolean {
  const [host, pidText] = holder.split(":");
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: it exists under another user.
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
