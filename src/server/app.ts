import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { InputLimits } from "../definitions/input-limits.js";
import { apiGuard } from "./auth.js";
import { errorResponseOf, HttpError, HttpErrorCode } from "./http-errors.js";
import { jsonOnly } from "./json-only.js";
import { maskSecretsInResponses } from "./masked-responses.js";
import { API_GATE, RequestGate } from "./request-gate.js";
import { assetRoutes } from "./routes/asset-routes.js";
import { externalAssetRoutes } from "./routes/external-asset-routes.js";
import { backfillRoutes } from "./routes/backfill-routes.js";
import { checkRoutes } from "./routes/check-routes.js";
import { automationRoutes } from "./routes/automation-routes.js";
import { instigatorRoutes } from "./routes/instigator-routes.js";
import { partitionRoutes } from "./routes/partition-routes.js";
import { runRoutes } from "./routes/run-routes.js";
import { streamRoutes } from "./routes/stream-routes.js";
import { systemRoutes } from "./routes/system-routes.js";
import type { ServerContext } from "./server-context.js";
import { serveUi } from "./static-ui.js";
import { errorDetail } from "../definitions/errors.js";

/** API paths that skip the request gate: the event stream never ends, and health checks must answer under load. */
const UNGATED = new Set(["/api/events/stream", "/api/health"]);

/**
 * The Sluice web app: the JSON API under /api (guarded by {@link apiGuard}, JSON bodies only, at
 * most `InputLimits.requestBodyBytes` each, a few handled at a time by a {@link RequestGate}; every
 * error is `{error: {code, message, path?}}`, statuses mapped in http-errors.ts), and the UI
 * everywhere else.
 */
export function createApp(ctx: ServerContext): Hono {
  const app = new Hono();

  app.onError((err, c) => {
    const { status, body } = errorResponseOf(err);
    if (status >= 500) ctx.log(`${c.req.method} ${c.req.path} failed: ${errorDetail(err)}`);
    return c.json(body, status as 500);
  });

  const api = new Hono();
  api.use("*", apiGuard({ token: ctx.token }));
  api.use("*", jsonOnly());
  // Before the body is read: 1,000 clients uploading at once should not all be buffered.
  api.use("*", new RequestGate(API_GATE).middleware((c) => UNGATED.has(c.req.path)));
  api.use(
    "*",
    bodyLimit({
      maxSize: InputLimits.requestBodyBytes,
      onError: () => {
        throw new HttpError(
          413,
          HttpErrorCode.PayloadTooLarge,
          `The request body is larger than ${InputLimits.requestBodyBytes.toLocaleString("en-US")} bytes, the limit of this API.`,
          "body",
        );
      },
    }),
  );
  // Inside the gate: a masked answer is built, and counted, like any other.
  api.use("*", maskSecretsInResponses());
  api.route("/", systemRoutes(ctx));
  // Before the asset routes: their `/assets/:key{.+}` would take ".../checks" for a key.
  api.route("/", checkRoutes(ctx));
  api.route("/", externalAssetRoutes(ctx));
  api.route("/", assetRoutes(ctx));
  api.route("/", runRoutes(ctx));
  api.route("/", instigatorRoutes(ctx));
  api.route("/", automationRoutes(ctx));
  api.route("/", partitionRoutes(ctx));
  api.route("/", backfillRoutes(ctx));
  api.route("/", streamRoutes(ctx));
  api.all("*", (c) => {
    throw new HttpError(404, HttpErrorCode.NotFound, `No API endpoint ${c.req.method} ${c.req.path}. See GET / or the README's "HTTP API".`);
  });
  app.route("/api", api);

  app.get("*", (c) => serveUi(c, ctx.uiDir));
  return app;
}
