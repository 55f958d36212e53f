import { ErrorCode, errorMessage, isSluiceError } from "../definitions/errors.js";

/** Codes of errors the HTTP layer itself raises (beside SluiceError codes). */
export const HttpErrorCode = {
  InvalidInput: "INVALID_INPUT",
  InvalidJson: "INVALID_JSON",
  NotFound: "NOT_FOUND",
  Unauthorized: "UNAUTHORIZED",
  Forbidden: "FORBIDDEN",
  Conflict: "CONFLICT",
  /** A POST/PUT/PATCH/DELETE whose body is not declared `application/json` (415). */
  UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
  /** A request body over the limit (413). */
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  /** More requests wait than the server queues (503, with Retry-After). */
  ServerBusy: "SERVER_BUSY",
  DefinitionsNotLoaded: "DEFINITIONS_NOT_LOADED",
  Internal: "INTERNAL_ERROR",
} as const;
/** One of the values of {@link HttpErrorCode}. */
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** An error with an HTTP status, raised by route handlers (bad input, unknown name...). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Where in the input the problem is (`body.config.ops`, `query.limit`), when it is about input. */
    readonly path?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; path?: string };
}

/**
 * The one place SluiceError codes become HTTP statuses: what the user gave is wrong → 400, an
 * unknown run → 404, definitions that do not load → 503, storage failures → 500.
 */
const STATUS_OF_CODE: Record<string, number> = {
  [ErrorCode.Usage]: 400,
  [ErrorCode.Config]: 400,
  [ErrorCode.MissingEnvVar]: 400,
  [ErrorCode.Selection]: 400,
  [ErrorCode.Definition]: 400,
  [ErrorCode.Partition]: 400,
  [ErrorCode.InputTooLarge]: 400,
  [ErrorCode.RunNotFound]: 404,
  [ErrorCode.BackfillNotFound]: 404,
  [ErrorCode.Load]: 503,
  [ErrorCode.InputNotMaterialized]: 409,
  [ErrorCode.Storage]: 500,
  [ErrorCode.UserCode]: 500,
  [ErrorCode.Serialization]: 500,
};

/** Status and JSON body for anything a handler threw. Unknown errors become a 500 without internals. */
export function errorResponseOf(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.path !== undefined ? { path: err.path } : {}) } } };
  }
  if (isSluiceError(err)) {
    const path = (err as { path?: unknown }).path;
    return {
      status: STATUS_OF_CODE[err.code] ?? 500,
      body: { error: { code: err.code, message: err.message, ...(typeof path === "string" && path !== "" ? { path } : {}) } },
    };
  }
  return { status: 500, body: { error: { code: HttpErrorCode.Internal, message: `Internal error: ${errorMessage(err)}` } } };
}
