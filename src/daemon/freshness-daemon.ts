import type { Definitions } from "../definitions/definitions.js";
import { formatDuration } from "../definitions/freshness-policy.js";
import { assetFreshness } from "../runs/asset-freshness.js";
import type { FreshnessTransitionRecord } from "../storage/freshness-records.js";
import type { Storage } from "../storage/storage.js";

/** What a FreshnessDaemon needs. */
export interface FreshnessDaemonOptions {
  storage: Storage;
  defs: Definitions;
  /** The clock (tests step through time with it). */
  now?: () => number;
  /** When the daemon started: a policy first seen now is watched from then (default: now). */
  startedAt?: number;
  log?: (line: string) => void;
}

/**
 * The freshness half of the daemon: each `tick()` evaluates every asset with a freshness policy
 * from the asset index and records the states in one transaction, with a transition for each
 * status that changed (freshness sensors react to those). States of assets whose policy was
 * removed are forgotten.
 *
 * @example
 * const freshness = new FreshnessDaemon({ storage, defs, log: console.error });
 * await freshness.tick(); // → the transitions it recorded
 */
export class FreshnessDaemon {
  readonly #storage: Storage;
  readonly #defs: Definitions;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #log: (line: string) => void;
  #cleaned = false;

  constructor(opts: FreshnessDaemonOptions) {
    this.#storage = opts.storage;
    this.#defs = opts.defs;
    this.#now = opts.now ?? (() => Date.now());
    this.#startedAt = opts.startedAt ?? this.#now();
    this.#log = opts.log ?? (() => undefined);
  }

  /** One evaluation of every policy; returns the transitions recorded. Throws when storage fails. */
  async tick(): Promise<FreshnessTransitionRecord[]> {
    if (!this.#cleaned) {
      // Once per daemon term: states of assets that lost their policy (or were removed) would
      // otherwise show a status nobody computes any more.
      const stale = (await this.#storage.getFreshness()).filter((s) => this.#defs.assets.get(s.assetKey)?.freshness === undefined).map((s) => s.assetKey);
      if (stale.length > 0) await this.#storage.deleteFreshness(stale);
      this.#cleaned = true;
    }
    const now = this.#now();
    const states = await assetFreshness(this.#defs, this.#storage, { now, since: this.#startedAt });
    if (states.size === 0) return [];
    const transitions = await this.#storage.recordFreshness(
      [...states.values()].map((s) => ({
        assetKey: s.assetKey,
        status: s.status,
        lastMaterializationAt: s.lastMaterializationAt,
        nextDeadline: s.nextDeadline,
        evaluatedAt: now,
        trackedSince: this.#startedAt,
      })),
    );
    for (const t of transitions) {
      const lag = t.lastMaterializationAt === null ? "never materialized" : `last materialized ${formatDuration(Math.max(0, now - t.lastMaterializationAt))} ago`;
      this.#log(`Asset "${t.assetKey}" is ${t.status}${t.previousStatus ? ` (was ${t.previousStatus})` : ""}: ${lag}`);
    }
    return transitions;
  }
}
