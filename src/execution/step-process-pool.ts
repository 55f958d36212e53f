import type { ChildProcess } from "node:child_process";
import { UserCodeError } from "../definitions/errors.js";
import { EventType, LogLevel, type NewEvent, type SerializedError } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { stepAssetKey, type PlanStep } from "./plan.js";
import type { PreparedRun } from "./prepare-run.js";
import type { RunEventWriter } from "./run-event-writer.js";
import { stepPartition } from "./run-partition.js";
import { serializeError } from "./serialize-error.js";
import type { StepProcessLauncher } from "./step-process-launcher.js";
import type { FromStepProcess, StepProcessInit, ToStepProcess } from "./step-process-protocol.js";
import type { StepOutcome } from "./step-runner.js";

/** What the pool needs of the run. */
export interface StepProcessPoolOptions {
  launcher: StepProcessLauncher;
  init: StepProcessInit;
  prepared: PreparedRun;
  writer: RunEventWriter;
  storage: Storage;
  /** Aborting it stops running steps: SIGTERM to their processes, SIGKILL after `killGraceMs`. */
  signal: AbortSignal;
  /** How long a step's process may take to end after SIGTERM (default 5 s). */
  killGraceMs?: number;
}

/** One child process and the step it runs, if any. */
interface Child {
  proc: ChildProcess;
  /** Resolves once the child has prepared the run; rejects when it could not. */
  ready: Promise<void>;
  step: { key: string; attempt: number; resolve: (outcome: StepOutcome) => void } | undefined;
  exited: boolean;
  /** Set when the pool itself asked it to stop (a cancel, or the end of the run). */
  stopping: boolean;
  /** Set once SIGKILL is scheduled for it. */
  killArmed: boolean;
}

/**
 * The run's side of the multiprocess executor: runs each step in a child process (see
 * serveStepProcess), writing the events the child sends with the run's writer and answering its
 * reads of storage. A child whose step ended takes the next step (a process loads Sluice and the
 * definitions once, which costs about as much CPU as a short step); at most as many children run
 * as steps run at once. A child that dies mid-step (process.exit, an uncaught crash, a signal, out
 * of memory) fails that step with a STEP_FAILURE naming its exit code or signal, and is replaced
 * for the next step.
 */
export class StepProcessPool {
  readonly #opts: StepProcessPoolOptions;
  readonly #idle: Child[] = [];
  readonly #all = new Set<Child>();
  readonly #onAbort = (): void => this.#cancel();

  constructor(options: StepProcessPoolOptions) {
    this.#opts = options;
    options.signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Runs one step in a child process; resolves with its outcome (a crash is a failed one). */
  async run(step: PlanStep): Promise<StepOutcome> {
    const child = this.#idle.pop() ?? this.#start();
    try {
      await child.ready;
    } catch (err) {
      this.#stop(child);
      return this.#fail(step, 1, new UserCodeError(`Step "${step.key}" could not start in a process of its own: ${(err as Error).message}`, step.key, err));
    }
    if (child.exited) return this.#fail(step, 1, this.#exitError(step.key, child));
    return new Promise<StepOutcome>((resolve) => {
      child.step = { key: step.key, attempt: 1, resolve };
      this.#send(child, { type: "step", stepKey: step.key });
      // Canceled while it was being handed over: it must stop like the others.
      if (this.#opts.signal.aborted) this.#terminate(child);
    });
  }

  /**
   * Starts up to `count` children now, so that they load the definitions while the run starts
   * rather than when their first step is ready (loading costs a process several tenths of a second).
   */
  warm(count: number): void {
    while (this.#all.size < count && !this.#opts.signal.aborted) this.#idle.push(this.#start());
  }

  /** Stops every child (idle ones at once; running ones as on a cancel) and waits for them to exit. */
  async close(): Promise<void> {
    this.#opts.signal.removeEventListener("abort", this.#onAbort);
    const exits = [...this.#all].map((child) => new Promise<void>((resolve) => (child.exited ? resolve() : child.proc.once("exit", () => resolve()))));
    for (const child of this.#all) {
      if (child.step) this.#terminate(child);
      else this.#stop(child);
    }
    await Promise.all(exits);
  }

  #start(): Child {
    const proc = this.#opts.launcher.spawn();
    const child: Child = { proc, ready: Promise.resolve(), step: undefined, exited: false, stopping: false, killArmed: false };
    this.#all.add(child);
    child.ready = new Promise<void>((resolve, reject) => {
      proc.on("message", (message: FromStepProcess) => {
        if (message.type === "ready") resolve();
        else if (message.type === "init-failed") reject(new Error(message.error.message));
        else this.#onMessage(child, message);
      });
      proc.once("exit", (code, signal) => {
        child.exited = true;
        this.#all.delete(child);
        const at = this.#idle.indexOf(child);
        if (at >= 0) this.#idle.splice(at, 1);
        reject(new Error(`its process ${exitHow(code, signal)} while it loaded the definitions`));
        const step = child.step;
        child.step = undefined;
        if (step) void this.#fail(this.#stepOf(step.key), step.attempt, this.#exitError(step.key, child, code, signal)).then(step.resolve);
      });
    });
    // Awaited only by the step that takes this child: a child that dies idle rejects for nobody.
    child.ready.catch(() => undefined);
    proc.on("error", () => {
      // A failed spawn or send: its "exit" (or the failed send's step) reports it.
    });
    this.#send(child, { type: "init", init: this.#opts.init });
    return child;
  }

  #onMessage(child: Child, message: FromStepProcess): void {
    switch (message.type) {
      case "event": {
        const event = withBuffers(message.event);
        const running = child.step;
        if (event.type === EventType.StepStart && running !== undefined && running.key === event.stepKey) running.attempt = Number(event.data?.attempt ?? 1);
        this.#opts.writer.write(event, { unlessLost: message.unlessLost }).then(
          (record) => this.#send(child, { type: "stored", id: message.id, record }),
          (err: unknown) => this.#send(child, { type: "lost", id: message.id, error: serializeError(err) }),
        );
        return;
      }
      case "call": {
        const method = (this.#opts.storage as unknown as Record<string, unknown>)[message.method];
        const call = typeof method === "function" ? Promise.resolve().then(() => (method as (...a: unknown[]) => unknown).apply(this.#opts.storage, message.args)) : Promise.reject(new Error(`Storage has no method "${message.method}".`));
        call.then(
          (value) => this.#send(child, { type: "returned", id: message.id, value }),
          (err: unknown) => this.#send(child, { type: "threw", id: message.id, error: serializeError(err) }),
        );
        return;
      }
      case "outcome": {
        const step = child.step;
        child.step = undefined;
        if (this.#opts.signal.aborted || child.stopping) this.#stop(child);
        else this.#idle.push(child);
        step?.resolve(message.outcome);
        return;
      }
    }
  }

  #send(child: Child, message: ToStepProcess): void {
    if (child.exited || !child.proc.connected) return;
    child.proc.send(message, (err) => {
      // The child is gone: its exit fails its step.
      if (err) child.proc.kill("SIGKILL");
    });
  }

  /** An idle child (or one still loading): told to exit, killed should it not. */
  #stop(child: Child): void {
    if (child.exited) return;
    child.stopping = true;
    if (child.proc.connected) this.#send(child, { type: "close" });
    else child.proc.kill("SIGTERM");
    this.#killLater(child);
  }

  /** A running child: SIGTERM (its step's signal aborts), SIGKILL if it has not exited after the grace. */
  #terminate(child: Child): void {
    if (child.exited || child.stopping) return;
    child.stopping = true;
    child.proc.kill("SIGTERM");
    this.#killLater(child);
  }

  #killLater(child: Child): void {
    if (child.killArmed) return;
    child.killArmed = true;
    const timer = setTimeout(() => {
      if (!child.exited) child.proc.kill("SIGKILL");
    }, this.#opts.killGraceMs ?? 5000);
    child.proc.once("exit", () => clearTimeout(timer));
  }

  #cancel(): void {
    for (const child of this.#all) {
      if (child.step) this.#terminate(child);
      else this.#stop(child);
    }
  }

  #stepOf(key: string): PlanStep {
    return this.#opts.prepared.plan.steps.find((s) => s.key === key)!;
  }

  #exitError(stepKey: string, child: Child, code: number | null = child.proc.exitCode, signal: NodeJS.Signals | null = child.proc.signalCode): UserCodeError {
    const how = exitHow(code, signal);
    const why =
      child.stopping && this.#opts.signal.aborted
        ? " after the run was canceled"
        : signal === "SIGKILL"
          ? " (killed from outside, by the system's out-of-memory killer?)"
          : signal === "SIGABRT"
            ? " (out of memory: Node aborts when the heap is full; or another fatal error, on its stderr)"
            : signal === null
            ? " (process.exit() in user code, or an uncaught crash?)"
            : "";
    return new UserCodeError(`The process of step "${stepKey}" ${how}${why} before the step ended.`, stepKey, undefined);
  }

  /** Records a step's failure that its process could not record (it died, or never started). */
  async #fail(step: PlanStep, attempt: number, err: UserCodeError): Promise<StepOutcome> {
    const { prepared, init, writer } = this.#opts;
    const redact = (t: string): string => prepared.redactor.redact(t);
    const error: SerializedError = serializeError(err, redact);
    const summary = redact(err.message);
    const partition = stepPartition(step.node.partitions, { key: init.partitionKey, range: prepared.partitionRange, rangeKeys: prepared.rangeKeys });
    const outputs = step.node.outputs;
    await writer
      .write({
        runId: init.runId,
        type: EventType.StepFailure,
        stepKey: step.key,
        assetKey: step.node.kind === "check" || step.node.observes ? null : stepAssetKey(step.node),
        partition: partition.partitionKey,
        level: LogLevel.Error,
        message: `Step "${step.key}" failed: ${summary}`,
        data: { error, attempt, ...(outputs ? { assetKeys: outputs.map((o) => o.assetKey) } : {}) },
      })
      .catch(() => {
        // The writer remembers the failure; the run reports it when it flushes.
      });
    return { ok: false, error, summary };
  }
}

/** `exited with code 3`, `was killed by signal SIGKILL`. */
function exitHow(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `was killed by signal ${signal}` : `exited with code ${code}`;
}

/** The event with its stored value's bytes as a Buffer again (structured clone makes a Uint8Array of it). */
function withBuffers(event: NewEvent): NewEvent {
  const json = event.value?.json;
  if (json && !Buffer.isBuffer(json)) return { ...event, value: { ...event.value!, json: Buffer.from(json.buffer, json.byteOffset, json.byteLength) } };
  return event;
}
