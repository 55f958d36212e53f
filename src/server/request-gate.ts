import type { ServerResponse } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { HttpError, HttpErrorCode } from "./http-errors.js";

/** How a {@link RequestGate} is sized. */
export interface RequestGateOptions {
  /** Requests handled at once; the rest wait in line, first come first served. */
  concurrency: number;
  /** Requests waiting at most; beyond, 503 with Retry-After. */
  maxWaiting: number;
  /**
   * How long a handled request keeps its place while its response is being sent. A client that
   * reads slowly should not block the others for long; its response is then sent outside the gate.
   */
  maxSendMs: number;
}

/**
 * Sized for memory and for these machines' cores: handlers are CPU-bound (SQLite runs in-process),
 * so 4 at a time keep two cores busy, and the memory they take is that of 4 responses. Measured:
 * 1,000 concurrent requests to each list route of an instance with 10,000 runs peak at 150 MB RSS;
 * with a run holding a 20 MB tag (stored before the input limits), 50 concurrent lists of runs
 * took 3 GB when all were built at once, and take under 900 MB through the gate, at 200 as at 50.
 */
export const API_GATE: RequestGateOptions = { concurrency: 4, maxWaiting: 10_000, maxSendMs: 5_000 };

/**
 * A line in front of the API handlers: at most `concurrency` of them build a response at a time,
 * each holding its place until its response is handed to the socket, so that a thousand clients
 * asking at once cost a few responses' worth of memory instead of a thousand.
 */
export class RequestGate {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly options: RequestGateOptions) {}

  /** Requests being handled now. */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting for their turn. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Middleware: waits for a place, runs the handler, and keeps the place until the response is
   * sent (or `maxSendMs` passed). Requests for which `bypass` is true (the event stream, which
   * never ends; health checks) pass without waiting.
   */
  middleware(bypass: (c: Context) => boolean = () => false): MiddlewareHandler {
    return async (c, next) => {
      if (bypass(c)) return next();
      if (this.#active >= this.options.concurrency && this.#waiting.length >= this.options.maxWaiting) {
        c.header("Retry-After", "1");
        throw new HttpError(503, HttpErrorCode.ServerBusy, `The server has ${this.#waiting.length} requests waiting already; try again in a moment.`);
      }
      // Read now so that the adapter aborts it when the client goes away while waiting.
      const signal = c.req.raw.signal;
      await this.#enter();
      let left = false;
      const leave = (): void => {
        if (left) return;
        left = true;
        this.#leave();
      };
      if (signal.aborted) {
        leave();
        // Nobody is listening any more; the status only shows in logs.
        return c.body(null, 499 as 200);
      }
      try {
        await next();
      } catch (err) {
        leave();
        throw err;
      }
      const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      if (outgoing === undefined || outgoing.writableFinished || outgoing.destroyed) return leave();
      outgoing.once("finish", leave);
      outgoing.once("close", leave);
      setTimeout(leave, this.options.maxSendMs).unref();
    };
  }

  #enter(): Promise<void> {
    if (this.#active < this.options.concurrency) {
      this.#active++;
      return Promise.resolve();
    }
    // The place is handed over directly on leave, so the line never overtakes itself.
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #leave(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}
