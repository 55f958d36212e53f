import pc from "picocolors";
import type { EventListener } from "../execution/run-event-writer.js";
import type { RunResult } from "../execution/execute-run.js";
import type { Instance } from "../instance/instance.js";
import { RunProgress } from "./run-progress.js";
import type { Storage } from "../storage/storage.js";
import { duration } from "./format.js";

/** Prints a finished foreground run: summary and failures on stderr, the run id on stdout; sets the exit code. */
export async function reportRun(storage: Storage, result: RunResult): Promise<void> {
  const run = await storage.getRun(result.runId);
  const took = run ? duration(run.startedAt, run.endedAt) : "";
  const color = result.success ? pc.green : pc.red;
  const partition = run?.partition != null ? ` (partition ${run.partition})` : "";
  process.stderr.write(
    `${color(`Run ${result.status}`)}${partition} in ${took}: ${result.succeeded.length} succeeded, ` +
      `${result.failures.length} failed, ${result.skipped.length} skipped.\n`,
  );
  for (const failure of result.failures) {
    process.stderr.write(`${pc.red("✖")} ${pc.bold(failure.stepKey)}: ${failure.error.className}: ${failure.error.message}\n`);
    if (failure.error.stack) process.stderr.write(`${pc.dim(failure.error.stack.split("\n").slice(1, 6).join("\n"))}\n`);
  }
  if (result.runError) process.stderr.write(`${pc.red("✖")} ${result.runError.message}\n`);
  process.stdout.write(`${result.runId}\n`);
  if (!result.success) process.exitCode = 1;
}

/** Cancels the run on the first Ctrl-C, quits on the second; returns the signal and a cleanup. */
export function cancelOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("\nCanceling the run (press Ctrl-C again to quit at once)...\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onSigint) };
}

/** What a foreground run gets from the terminal: cancellation, progress, the instance's step limit. */
export interface TerminalRunOptions {
  signal: AbortSignal;
  onEvent: EventListener;
  maxConcurrent?: number;
}

/** One run of a series: what to run, and its label (a partition key) when there are several. */
export interface TerminalRun {
  label: string | null;
  run: (options: TerminalRunOptions) => Promise<RunResult>;
}

/**
 * Runs one foreground run in the terminal: live progress on stderr, Ctrl-C to cancel, the
 * instance's `execution.max_concurrent`, then the summary and exit code. Closes the instance.
 */
export async function runInTerminal(
  instance: Instance,
  totalSteps: number,
  run: (options: TerminalRunOptions) => Promise<RunResult>,
): Promise<void> {
  await runSeriesInTerminal(instance, totalSteps, [{ label: null, run }]);
}

/**
 * Runs several foreground runs one after another (a partition range), each shown and reported as
 * {@link runInTerminal} does: every run id goes to stdout, one per line, and the exit code is 1 if
 * any run did not succeed. A failed run does not stop the next; Ctrl-C cancels the current run and
 * starts no more. Closes the instance.
 */
export async function runSeriesInTerminal(instance: Instance, totalSteps: number, runs: readonly TerminalRun[]): Promise<void> {
  const sigint = cancelOnSigint();
  try {
    const maxConcurrent = instance.settings.execution.max_concurrent;
    for (const [i, item] of runs.entries()) {
      if (sigint.signal.aborted) {
        process.stderr.write(`Canceled: ${runs.length - i} of ${runs.length} runs were not started.\n`);
        process.exitCode = 1;
        break;
      }
      if (item.label !== null && runs.length > 1) process.stderr.write(`${pc.bold(`Partition ${item.label}`)} (${i + 1}/${runs.length})\n`);
      const progress = new RunProgress(totalSteps);
      try {
        const result = await item.run({ signal: sigint.signal, onEvent: progress.onEvent, ...(maxConcurrent !== undefined ? { maxConcurrent } : {}) });
        progress.finish();
        await reportRun(instance.storage, result);
      } finally {
        progress.finish();
      }
    }
  } finally {
    sigint.dispose();
    await instance.close();
  }
}
