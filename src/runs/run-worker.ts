import type { Definitions } from "../definitions/definitions.js";
import { errorDetail, errorMessage, RunNotFoundError } from "../definitions/errors.js";
import { RunStatus } from "../storage/records.js";
import { executeRunRecord, recordRunFailure } from "./execute-run-record.js";
import { failBeforeSteps } from "./fail-before-steps.js";
import { currentRunProcess } from "./run-process.js";
import type { RunDestination } from "./run-target.js";

/** What a run worker is given. */
export interface RunWorkerOptions {
  /** Loads the definitions the run executes (after the worker has said it is alive). */
  loadDefinitions: () => Promise<Definitions>;
  /** Aborting it cancels the run (SIGTERM from the launcher or a stopping `sluice worker`). */
  signal: AbortSignal;
  /** The worker's own log (its stderr, which the launcher keeps in the run's log file). */
  log: (line: string) => void;
}

/**
 * The run worker's side of the launcher protocol, for one claimed run: the run must be STARTING;
 * the worker records itself as the run's process with a first heartbeat (before loading the
 * definitions, which may take seconds on a busy machine), loads them, executes the run with
 * heartbeats and cancellation, and makes sure the run ends recorded whatever happens: definitions
 * that do not load fail it before any step, and storage lost for longer than its reconnect window
 * is waited out to record the failure. Resolves with the process's exit code: 0 when the run
 * succeeded, 1 otherwise. Throws RunNotFoundError for an unknown run.
 */
export async function workRun(destination: RunDestination, runId: string, options: RunWorkerOptions): Promise<0 | 1> {
  const { storage } = destination;
  const { log } = options;
  const run = await storage.getRun(runId);
  if (!run) throw new RunNotFoundError(runId);
  if (run.status !== RunStatus.Starting) {
    log(`Run ${runId} is ${run.status}, not STARTING: nothing to do.`);
    return 1;
  }
  // Monitoring counts a claimed run's silence from its claim, or from its storage coming back after
  // an outage this process just waited out; and should this process die, the next command opened
  // on this machine ends the run at once, before monitoring would.
  await storage.setRunProcess(runId, currentRunProcess());
  let defs: Definitions;
  try {
    defs = await options.loadDefinitions();
  } catch (err) {
    await failBeforeSteps(storage, runId, `Run failed: its definitions could not be loaded: ${errorMessage(err)}`, err);
    return 1;
  }
  let result;
  try {
    result = await executeRunRecord(destination, defs, run, { signal: options.signal });
  } catch (err) {
    // Its events could not all be stored (the database was gone for longer than the reconnect
    // window): the run must still end, with that reason, rather than wait for monitoring.
    log(`Run ${runId} could not finish: ${errorDetail(err)}`);
    if (!(await recordRunFailure(storage, runId, err, { log }))) log(`gave up recording the failure of run ${runId}`);
    return 1;
  }
  log(`Run ${runId} ${result.status}`);
  return result.success ? 0 : 1;
}
