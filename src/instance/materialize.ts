import type { Definitions } from "../definitions/definitions.js";
import type { RunResult } from "../execution/execute-run.js";
import { materializeAssets, type MaterializeOptions } from "../runs/materialize-assets.js";
import { Instance } from "./instance.js";

/** Options of {@link materialize}: what to run, and which instance records it. */
export interface MaterializeFromCodeOptions extends MaterializeOptions {
  /** Instance home (default: SLUICE_HOME, else ./.sluice). */
  home?: string;
  /** An instance already open (it is left open). */
  instance?: Instance;
}

/**
 * Materializes assets from a plain script ("classic mode") and records the run in the instance,
 * so `sluice run list` shows it. Resolves with the result; a failed step does not throw.
 * @example
 * import defs from "./defs.js";
 * const result = await materialize(defs, { selection: "group:ingest+", config: { ops: { "raw/orders": { config: { path: "in.csv" } } } } });
 * if (!result.success) process.exitCode = 1;
 */
export async function materialize(defs: Definitions, options: MaterializeFromCodeOptions = {}): Promise<RunResult> {
  const instance = options.instance ?? (await Instance.open({ home: options.home }));
  try {
    const maxConcurrent = options.maxConcurrent ?? instance.settings.execution.max_concurrent;
    return await materializeAssets(instance, defs, {
      ...options,
      ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
    });
  } finally {
    if (!options.instance) await instance.close();
  }
}
