import { runDaemon } from "./daemon.js";
import type { Definitions } from "../definitions/definitions.js";
import type { Instance } from "../instance/instance.js";
import type { CodeLocation } from "../instance/load-definitions.js";
import { errorDetail } from "../definitions/errors.js";

/**
 * Runs the daemon (schedules, sensors, run queue, monitoring, retries) inside `sluice dev`, and
 * restarts it with new definitions after a reload. Stopping it stops its loops; runs in flight go
 * on in their worker processes.
 */
export class DaemonSupervisor {
  #controller: AbortController | undefined;
  #running: Promise<void> | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: { instance: Instance; location: CodeLocation; log: (line: string) => void }) {}

  /** Whether a daemon is running now. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Stops the running daemon (if any) and starts one on these definitions. Calls run one after another. */
  restart(defs: Definitions): Promise<void> {
    this.#chain = this.#chain.then(async () => {
      await this.#stopNow();
      this.#start(defs);
    });
    return this.#chain;
  }

  /** Stops the daemon and waits until its loops have ended. */
  stop(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#stopNow());
    return this.#chain;
  }

  #start(defs: Definitions): void {
    const controller = new AbortController();
    this.#controller = controller;
    const { instance, location, log } = this.options;
    this.#running = (async () => {
      try {
        await runDaemon({ instance, defs, location, signal: controller.signal, keepsRunning: "the server", log: (line) => log(`daemon: ${line}`) });
      } catch (err) {
        // The daemon's loops record their own failures; this is a failure to start at all.
        log(`daemon: stopped by an error: ${errorDetail(err)}`);
      }
    })().finally(() => {
      if (this.#controller === controller) {
        this.#controller = undefined;
        this.#running = undefined;
      }
    });
  }

  async #stopNow(): Promise<void> {
    const running = this.#running;
    this.#controller?.abort();
    if (running) await running;
  }
}
