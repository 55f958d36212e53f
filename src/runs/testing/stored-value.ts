import { InputNotMaterializedError } from "../../definitions/errors.js";
import type { StepLogger } from "../../definitions/step-logger.js";
import { DefaultIOManager } from "../../execution/default-io-manager.js";
import type { Storage } from "../../storage/storage.js";

const silent: StepLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The value the default IO manager keeps for an asset (and partition), read as a downstream step
 * of a later run reads it (from the database, or from its file when large). Throws
 * InputNotMaterializedError when none is stored.
 */
export async function storedValue(target: { storage: Storage; valuesDir: string }, assetKey: string, partitionKey: string | null = null): Promise<unknown> {
  return new DefaultIOManager(target.storage, target.valuesDir).loadInput({
    assetKey,
    upstreamStepKey: assetKey,
    upstreamRunId: null,
    downstreamKey: "test",
    inputName: "value",
    runId: "test",
    partitionKey,
    log: silent,
  });
}

/** Whether the default IO manager keeps a value for the asset (and partition). */
export async function hasStoredValue(target: { storage: Storage; valuesDir: string }, assetKey: string, partitionKey: string | null = null): Promise<boolean> {
  try {
    await storedValue(target, assetKey, partitionKey);
    return true;
  } catch (err) {
    if (err instanceof InputNotMaterializedError) return false;
    throw err;
  }
}
