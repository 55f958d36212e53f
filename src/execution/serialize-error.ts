import { errorMessage } from "../definitions/errors.js";
import type { SerializedError } from "../storage/records.js";

const MAX_CAUSE_DEPTH = 5;

/** Turns anything thrown into the error shape events keep, with its cause chain. */
export function serializeError(err: unknown, redact: (text: string) => string = (t) => t, depth = 0): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      className: err.constructor?.name && err.constructor.name !== "Object" ? err.constructor.name : err.name,
      message: redact(err.message),
      stack: err.stack ? redact(err.stack) : null,
      ...(typeof code === "string" ? { code } : {}),
      cause: err.cause !== undefined && depth < MAX_CAUSE_DEPTH ? serializeError(err.cause, redact, depth + 1) : null,
    };
  }
  return { className: typeof err, message: redact(errorMessage(err)), stack: null, cause: null };
}
