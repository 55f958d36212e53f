import type { MiddlewareHandler } from "hono";
import { processSecrets } from "../definitions/secret-mask.js";

/**
 * Masks the secrets this server knows (those its definitions refer to) in every JSON answer of the
 * API. What storage holds is masked when written; this also covers rows written before that was
 * so, and anything a route builds from definitions. A no-op while no secret is known.
 */
export function maskSecretsInResponses(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (processSecrets.empty || !(c.res.headers.get("content-type") ?? "").includes("application/json")) return;
    const text = await c.res.text();
    const headers = new Headers(c.res.headers);
    headers.delete("content-length");
    c.res = new Response(processSecrets.mask(text), { status: c.res.status, statusText: c.res.statusText, headers });
  };
}
