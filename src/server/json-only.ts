import type { MiddlewareHandler } from "hono";
import { STATE_CHANGING_METHODS } from "./auth.js";
import { HttpError, HttpErrorCode } from "./http-errors.js";

/**
 * Requires `Content-Type: application/json` (parameters such as `; charset=utf-8` allowed) on every
 * POST, PUT, PATCH and DELETE, with a body or without: 415 otherwise. A browser sends a cross-site
 * `text/plain` form or a no-cors fetch without asking the server first; a JSON content type makes
 * it ask (a CORS preflight), which this server never grants.
 */
export function jsonOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (STATE_CHANGING_METHODS.has(c.req.method)) {
      const given = c.req.header("content-type");
      const mediaType = given?.split(";")[0]!.trim().toLowerCase();
      if (mediaType !== "application/json") {
        throw new HttpError(
          415,
          HttpErrorCode.UnsupportedMediaType,
          `${c.req.method} ${c.req.path} needs "Content-Type: application/json" ` +
            `(${given === undefined ? "none was sent; it is needed even without a body" : `got "${given.slice(0, 100)}"`}), ` +
            `e.g. curl -H 'content-type: application/json' -d '{...}'.`,
          "headers.content-type",
        );
      }
    }
    await next();
  };
}
