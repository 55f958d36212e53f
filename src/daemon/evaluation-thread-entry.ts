/**
 * The code of an evaluation thread (a worker_threads Worker started by EvaluationThread): loads the
 * daemon's code location, then runs the schedule and sensor evaluations it is sent, one at a time,
 * and posts back their outcomes, log lines and the start of each call of user code (for the
 * daemon's watchdog), all as plain data.
 */
import { errorDetail, errorMessage } from "../definitions/errors.js";
import { parentPort, workerData } from "node:worker_threads";
import type { Definitions } from "../definitions/definitions.js";
import { serializeError } from "../execution/serialize-error.js";
import { loadDefinitions } from "../instance/load-definitions.js";
import type { EvaluateMessage, EvaluationOutcome, EvaluationThreadData, ThreadMessage } from "./evaluation-messages.js";
import { runScheduleCode, runSensorCode, type UserCodeEnv } from "./instigator-code.js";

const port = parentPort!;
const post = (message: ThreadMessage): void => port.postMessage(message);

// Errors user code throws after its call returned must not end the thread (Node's default), as
// they do not end the daemon: the daemon logs them.
const onStray = (err: unknown): void => post({ type: "stray-error", text: errorDetail(err) });
process.on("uncaughtException", onStray);
process.on("unhandledRejection", onStray);

const { location, cwd } = workerData as EvaluationThreadData;
let defs: Definitions | undefined;
try {
  defs = (await loadDefinitions(location, cwd)).defs;
  post({ type: "ready" });
} catch (err) {
  post({ type: "load-failed", error: serializeError(err) });
}

if (defs) {
  const loaded = defs;
  port.on("message", (message: EvaluateMessage) => void evaluate(loaded, message));
}

async function evaluate(loaded: Definitions, { id, request, timeoutMs }: EvaluateMessage): Promise<void> {
  const env: UserCodeEnv = {
    timeoutMs,
    log: (line) => post({ type: "log", line }),
    onPhase: (what) => post({ type: "phase", id, what }),
  };
  let outcome: EvaluationOutcome;
  try {
    outcome = request.kind === "schedule" ? await runScheduleCode(loaded, request.call, env) : await runSensorCode(loaded, request.call, env);
  } catch (err) {
    // runScheduleCode and runSensorCode catch what user code throws: this is a bug of ours.
    outcome = { ok: false, error: serializeError(err) };
  }
  try {
    post({ type: "result", id, outcome });
  } catch (err) {
    post({ type: "result", id, outcome: { ok: false, error: serializeError(new Error(`The evaluation's outcome could not be passed to the daemon: ${errorMessage(err)}`)) } });
  }
}
