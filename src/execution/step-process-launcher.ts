import type { ChildProcess } from "node:child_process";
import type { Definitions } from "../definitions/definitions.js";

/**
 * Starts the child processes of the multiprocess executor. A child must run
 * {@link serveStepProcess} with a way to load the same definitions as the run's process, and have
 * an IPC channel with "advanced" serialization (`fork(entry, { serialization: "advanced" })`).
 * The execution layer cannot load code locations itself: the layer that loaded the definitions
 * supplies this (see setStepProcessLauncher).
 */
export interface StepProcessLauncher {
  /** Starts one child process (it inherits this process's environment, so EnvVars resolve alike). */
  spawn(): ChildProcess;
}

const launchers = new WeakMap<Definitions, StepProcessLauncher>();

/** Remembers how child processes load `defs` again (called by whoever loaded them from a code location). */
export function setStepProcessLauncher(defs: Definitions, launcher: StepProcessLauncher): void {
  launchers.set(defs, launcher);
}

/** How child processes load `defs`, if they came from a code location; undefined for definitions made in code. */
export function stepProcessLauncherOf(defs: Definitions): StepProcessLauncher | undefined {
  return launchers.get(defs);
}
