import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { UsageError } from "../definitions/errors.js";
import { HttpError, HttpErrorCode } from "./http-errors.js";

/** True for addresses only this machine can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The token the server requires, from SLUICE_TOKEN. A non-loopback host without one is refused
 * (UsageError, exit 2): anyone on the network could otherwise launch runs.
 */
export function tokenForHost(host: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = env.SLUICE_TOKEN?.trim() || undefined;
  if (!isLoopbackHost(host) && token === undefined) {
    throw new UsageError(
      `--host ${host} makes the server reachable from other machines, so it needs a token: set SLUICE_TOKEN ` +
        `(e.g. SLUICE_TOKEN=$(openssl rand -hex 24)) and send it as "Authorization: Bearer <token>". ` +
        `Or bind to 127.0.0.1 (the default).`,
    );
  }
  return token;
}

function sameToken(given: string, expected: string): boolean {
  // Hash both so the comparison takes the same time whatever their lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Methods that change state; every other method only reads. */
export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Guards /api: refuses cross-origin browser requests (a web page must not launch runs through a
 * local server), state-changing requests from an opaque origin (`Origin: null`: a sandboxed
 * iframe, a `data:` or `file:` page), requests for another host name when no token is set (DNS
 * rebinding), and, when a token is set, requests without `Authorization: Bearer <token>` or
 * `?token=<token>` (401).
 */
export function apiGuard(options: { token: string | undefined }): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host") ?? "";
    const origin = c.req.header("origin");
    if (origin === "null" && STATE_CHANGING_METHODS.has(c.req.method)) {
      // No page of this server has an opaque origin, so such a request comes from elsewhere.
      throw new HttpError(
        403,
        HttpErrorCode.Forbidden,
        `${c.req.method} from an opaque origin (Origin: null: a sandboxed iframe, a data: or file: page) refused: only pages of this server may change state.`,
      );
    }
    if (origin !== undefined && origin !== "null") {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = undefined;
      }
      if (originHost !== host) throw new HttpError(403, HttpErrorCode.Forbidden, `Cross-origin request from ${origin} refused.`);
    }
    if (options.token === undefined) {
      const hostname = host.replace(/:\d+$/, "");
      if (hostname !== "" && !isLoopbackHost(hostname)) {
        throw new HttpError(403, HttpErrorCode.Forbidden, `Host "${host}" refused: without SLUICE_TOKEN this server answers only to localhost.`);
      }
    } else {
      const header = c.req.header("authorization");
      const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
      const given = bearer ?? c.req.query("token");
      if (given === undefined || !sameToken(given, options.token)) {
        c.header("WWW-Authenticate", 'Bearer realm="sluice"');
        throw new HttpError(
          401,
          HttpErrorCode.Unauthorized,
          given === undefined ? "This server requires a token: send Authorization: Bearer <SLUICE_TOKEN> (or ?token= for EventSource)." : "The token is not valid.",
        );
      }
    }
    await next();
  };
}
