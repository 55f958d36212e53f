import type { RunQueueLimits } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import type { RunLauncher } from "./run-launcher.js";

/** What the coordinator needs. */
export interface RunCoordinatorOptions {
  storage: Storage;
  launcher: RunLauncher;
  limits: RunQueueLimits;
  workerId: string;
  /** Set by tests of the crash-point harness: "run_launched" kills the daemon after a launch. */
  crashAt?: string | undefined;
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
    const claimed = await storage.claimQueuedRuns(workerId, limits.maxConcurrentRuns, limits);
    for (const run of claimed) {
      launcher.launch(run);
      if (this.options.crashAt === "run_launched") process.kill(process.pid, "SIGKILL");
    }
    return claimed.length;
  }
}
