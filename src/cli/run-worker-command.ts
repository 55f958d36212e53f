import type { Definitions } from "../definitions/definitions.js";
import { UsageError } from "../definitions/errors.js";
import { isStandbyAssignment, type StandbyMessage } from "../daemon/standby-protocol.js";
import { definitionsFingerprint } from "../instance/load-definitions.js";
import type { Instance } from "../instance/instance.js";
import { workRun } from "../runs/run-worker.js";
import { loadFromOptions, openInstance, type LocationOptions } from "./cli-context.js";

interface RunWorkerFlags extends LocationOptions {
  standby?: boolean;
  launcherPid?: string;
}

/**
 * `sluice __run-worker RUN_ID`: the process a launcher starts for one claimed run (see workRun).
 * `sluice __run-worker --standby`: the same process started ahead of time, which loads everything
 * first and is given its one run by the launcher over IPC (see standby-protocol.ts). Not for users,
 * and parsed without commander (main() calls this for it: a run's process should not pay for the
 * command-line parser). Exits 0 when the run succeeded, 1 otherwise. Takes what the launcher
 * passes: `[RUN_ID] [-f FILE | -m MODULE] [--home DIR] [--standby] [--launcher-pid PID]`; throws
 * UsageError for anything else.
 */
export async function runWorkerCommand(args: readonly string[]): Promise<void> {
  const flags: RunWorkerFlags = {};
  let runId: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) throw new UsageError(`__run-worker: ${arg} needs a value.`);
      return next;
    };
    if (arg === "-f" || arg === "--file") flags.file = value();
    else if (arg === "-m" || arg === "--module") flags.module = value();
    else if (arg === "--home") flags.home = value();
    else if (arg === "--launcher-pid") flags.launcherPid = value();
    else if (arg === "--standby") flags.standby = true;
    else if (!arg.startsWith("-") && runId === undefined) runId = arg;
    else throw new UsageError(`__run-worker: unexpected argument ${JSON.stringify(arg)}.`);
  }
  await runWorker(runId, flags);
}

async function runWorker(runId: string | undefined, flags: RunWorkerFlags): Promise<void> {
  if (flags.standby) {
    await standBy(flags);
    return;
  }
  if (runId === undefined) throw new UsageError("__run-worker needs a run id, or --standby.");
  // Claimed moments ago from this database: if it is restarting, wait for it.
  const instance = await openInstance(flags, { waitForServer: true });
  try {
    process.exitCode = await work(instance, runId, async () => (await loadFromOptions(flags)).defs);
  } finally {
    await instance.close();
  }
}

/** Executes the run, SIGTERM canceling it; resolves with the exit code. */
function work(instance: Instance, runId: string, loadDefinitions: () => Promise<Definitions>): Promise<0 | 1> {
  const stop = new AbortController();
  process.once("SIGTERM", () => stop.abort());
  return workRun(instance, runId, { loadDefinitions, signal: stop.signal, log: (line) => void process.stderr.write(`${line}\n`) });
}

/**
 * A standby: opens the instance and loads the definitions (keeping a failure to load them, which
 * fails the run it is given as it would fail a worker started for it), says it is ready, and waits
 * for one run. The definitions' fingerprint is taken before they load and again when the run
 * comes: code that changed in between is not used (the run is declined). Until it has a run,
 * nothing keeps it: its launcher gone (the IPC channel closed) or SIGTERM, it exits.
 */
async function standBy(flags: RunWorkerFlags): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new UsageError("__run-worker --standby is started by a launcher, with an IPC channel.");
  const leave = (): never => process.exit(0);
  process.once("disconnect", leave);
  const location = { file: flags.file, module: flags.module };
  // The run it is given was claimed moments before: if the database is restarting, wait for it.
  const instance = await openInstance(flags, { waitForServer: true });
  const fingerprint = await definitionsFingerprint(location);
  const loaded: Promise<Definitions> = loadFromOptions(flags).then((l) => l.defs);
  // Kept for the run: a load that failed fails it, once it has a run to fail.
  loaded.catch(() => undefined);
  await loaded.catch(() => undefined);
  const runId = await new Promise<string>((resolve) => {
    const onMessage = (message: unknown): void => {
      if (!isStandbyAssignment(message)) return;
      process.off("message", onMessage);
      resolve(message.runId);
    };
    process.on("message", onMessage);
    send({ type: "ready" } satisfies StandbyMessage);
  });
  const fresh = (await definitionsFingerprint(location)) === fingerprint;
  const answer: StandbyMessage = fresh ? { type: "accepted", runId } : { type: "stale", runId };
  // From here the launcher going away no longer ends this process: a run goes on without it.
  process.off("disconnect", leave);
  // The launcher closes the channel once it has the answer: closing it from here could lose it.
  send(answer);
  try {
    process.exitCode = fresh ? await work(instance, runId, () => loaded) : 0;
  } finally {
    await instance.close();
  }
}
