import type { Definitions } from "../definitions/definitions.js";
import { ErrorCode, SluiceError } from "../definitions/errors.js";
import { runScheduleCode, runSensorCode, type ScheduleCall, type ScheduleOutcome, type SensorCall, type SensorOutcome } from "./instigator-code.js";

/**
 * Where the daemon runs the user code of schedules and sensors (their functions and resources).
 * Both methods resolve with plain data and never throw for user code; they throw
 * {@link EvaluationHostClosedError} once the host is closed.
 */
export interface EvaluationHost {
  /** Runs a schedule tick's execute function. */
  evaluateSchedule(call: ScheduleCall): Promise<ScheduleOutcome>;
  /** Runs a sensor evaluation's function (once, or once per event). */
  evaluateSensor(call: SensorCall): Promise<SensorOutcome>;
  /** Ends what runs (threads are stopped) and refuses more; calls in flight throw EvaluationHostClosedError. */
  close(): Promise<void>;
}

/**
 * Thrown by an {@link EvaluationHost} that was closed (the daemon is stopping or reloading): not a
 * failure of the schedule or sensor, so no tick records it; the daemon tries again later.
 */
export class EvaluationHostClosedError extends SluiceError {
  /** Who was not evaluated: `Sensor "NAME"` or `Schedule "NAME" (tick ISO)`. */
  readonly what: string;
  constructor(what: string) {
    super(ErrorCode.EvaluationHostClosed, `${what} was not evaluated: its evaluation threads were stopped (the daemon is stopping or reloading)`);
    this.what = what;
  }
}

/**
 * Runs user code on the caller's own event loop, from definitions in memory: for tests and
 * embedders whose definitions are not a code location a thread could load. A synchronous endless
 * loop blocks the caller; the daemon runs user code in threads (ThreadEvaluationHost).
 *
 * @example
 * const host = new InProcessEvaluationHost(defs, { timeoutMs: 60_000, log: console.error });
 * const outcome = await host.evaluateSensor({ name: "new_rows", cursor: null, lastTickAt: null, events: [] });
 */
export class InProcessEvaluationHost implements EvaluationHost {
  readonly #defs: Definitions;
  readonly #env: { timeoutMs: number; log: (line: string) => void };
  #closed = false;

  constructor(defs: Definitions, env: { timeoutMs: number; log: (line: string) => void }) {
    this.#defs = defs;
    this.#env = env;
  }

  evaluateSchedule(call: ScheduleCall): Promise<ScheduleOutcome> {
    if (this.#closed) return Promise.reject(new EvaluationHostClosedError(`Schedule "${call.name}"`));
    return runScheduleCode(this.#defs, call, this.#env);
  }

  evaluateSensor(call: SensorCall): Promise<SensorOutcome> {
    if (this.#closed) return Promise.reject(new EvaluationHostClosedError(`Sensor "${call.name}"`));
    return runSensorCode(this.#defs, call, this.#env);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
