import { ErrorCode, SluiceError } from "../../index.js";

/** An HTTP request of the `sluice/http` client that failed for good (after its retries). */
export class HttpRequestError extends SluiceError {
  readonly method: string;
  /** The full URL (without credentials; auth goes in headers, never in messages). */
  readonly url: string;
  /** The last response's status; null when no response came (timeout, network error). */
  readonly status: number | null;
  /** The start of the last response's body, for the message. */
  readonly responseBody: string | null;
  readonly attempts: number;
  constructor(
    fields: { method: string; url: string; status: number | null; responseBody: string | null; attempts: number; reason: string },
    options?: { cause?: unknown },
  ) {
    const body = fields.responseBody ? `: ${fields.responseBody}` : "";
    super(
      ErrorCode.HttpRequest,
      `${fields.method} ${fields.url} failed: ${fields.reason}` +
        `${fields.attempts > 1 ? ` (after ${fields.attempts} attempts)` : ""}${body}`,
      options,
    );
    this.method = fields.method;
    this.url = fields.url;
    this.status = fields.status;
    this.responseBody = fields.responseBody;
    this.attempts = fields.attempts;
  }
}
