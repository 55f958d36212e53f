import type { RunQueueLimits } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { DaemonHooks } from "./daemon-hooks.js";
import type { RunLauncher } from "./run-launcher.js";

/** What the coordinator needs. */
export interface RunCoordinatorOptions {
  storage: Storage;
  launcher: RunLauncher;
  limits: RunQueueLimits;
  workerId: string;
  /**
   * Runs this process may still take on (a `sluice worker`'s free slots); default: no limit of its
   * own, only the instance's.
   */
  capacity?: () => number;
  /** Test hooks (the crash-point harness): `at("run_launched")` after each launch; none in production. */
  hooks?: DaemonHooks;
  log?: (line: string) => void;
}

/**
 * Starts queued runs within the instance's limits: claims them atomically in storage (so two
 * coordinators, or a coordinator and a foreground CLI run, never start one run twice) and hands
 * each to the launcher.
 */
export class RunCoordinator {
  constructor(private readonly options: RunCoordinatorOptions) {}

  /** One pass over the queue; returns how many runs were launched. */
  async tick(): Promise<number> {
    const { storage, launcher, limits, workerId } = this.options;
    const max = Math.min(limits.maxConcurrentRuns < 0 ? Infinity : limits.maxConcurrentRuns, this.options.capacity?.() ?? Infinity);
    if (!(max > 0)) return 0;
    const claimed = await storage.claimQueuedRuns(workerId, Number.isFinite(max) ? max : 1000, limits);
    for (const run of claimed) {
      launcher.launch(run);
      this.options.hooks?.at?.("run_launched");
    }
    return claimed.length;
  }
}
