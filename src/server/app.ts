import { Hono } from "hono";
import { apiGuard } from "./auth.js";
import { errorResponseOf, HttpError, HttpErrorCode } from "./http-errors.js";
import { assetRoutes } from "./routes/asset-routes.js";
import { instigatorRoutes } from "./routes/instigator-routes.js";
import { runRoutes } from "./routes/run-routes.js";
import { streamRoutes } from "./routes/stream-routes.js";
import { systemRoutes } from "./routes/system-routes.js";
import type { ServerContext } from "./server-context.js";
import { serveUi } from "./static-ui.js";

/**
 * The Sluice web app: the JSON API under /api (guarded by {@link apiGuard}; every error is
 * `{error: {code, message, path?}}`, statuses mapped in http-errors.ts), and the UI everywhere else.
 */
export function createApp(ctx: ServerContext): Hono {
  const app = new Hono();

  app.onError((err, c) => {
    const { status, body } = errorResponseOf(err);
    if (status >= 500) ctx.log(`${c.req.method} ${c.req.path} failed: ${(err as Error)?.stack ?? String(err)}`);
    return c.json(body, status as 500);
  });

  const api = new Hono();
  api.use("*", apiGuard({ token: ctx.token }));
  api.route("/", systemRoutes(ctx));
  api.route("/", assetRoutes(ctx));
  api.route("/", runRoutes(ctx));
  api.route("/", instigatorRoutes(ctx));
  api.route("/", streamRoutes(ctx));
  api.all("*", (c) => {
    throw new HttpError(404, HttpErrorCode.NotFound, `No API endpoint ${c.req.method} ${c.req.path}. See GET / or the README's "HTTP API".`);
  });
  app.route("/api", api);

  app.get("*", (c) => serveUi(c, ctx.uiDir));
  return app;
}
