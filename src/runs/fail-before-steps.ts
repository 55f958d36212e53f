import { serializeError } from "../execution/serialize-error.js";
import { EventType, LogLevel, type EventRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";

/**
 * Ends a claimed run that failed before any step could run (its definitions did not load, its
 * config could not be resolved on this machine): RUN_START then RUN_FAILURE with `message` and the
 * error, in one transaction, so its log reads like any run's. Returns the failure event.
 */
export async function failBeforeSteps(storage: Storage, runId: string, message: string, err: unknown): Promise<EventRecord> {
  const [, failure] = await storage.storeEvents([
    { runId, type: EventType.RunStart, message: "Started run." },
    { runId, type: EventType.RunFailure, level: LogLevel.Error, message, data: { error: serializeError(err), failedSteps: [] } },
  ]);
  return failure!;
}
